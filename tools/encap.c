// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl encap: the UDP socket that ESP in UDP (RFC 3948) arrives on,
 * for manual keying without an IKE daemon (which attaches its own).
 *
 *   encap listen dev DEV [addr ADDR] [port PORT]
 *   encap detach dev DEV [family inet|inet6]
 *
 * The module holds no file reference: the socket lives as long as the
 * process that attached it, so "listen" stays in the foreground. Every
 * datagram that reaches it (IKE, the non-ESP marker) is printed; ESP and
 * keepalives never do, the module takes them.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <net/if.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include <linux/kesp.h>
#include <netlink/attr.h>
#include <netlink/genl/genl.h>

#include "encap.h"
#include "kesp_nl.h"
#include "json.h"
#include "parse.h"

int encap_parse(int argc, char **argv, struct encap_args *a)
{
	bool have_addr = false, have_port = false, have_family = false;
	const char *what;
	uint32_t port;

	memset(a, 0, sizeof(*a));
	a->port = 4500;
	a->addr.family = AF_INET;
	if (argc < 1)
		return ctl_usage("encap", "missing verb (listen or detach)");
	if (!strcmp(argv[0], "listen"))
		a->listen = true;
	else if (strcmp(argv[0], "detach"))
		return ctl_usage("encap", "unknown verb \"%s\"", argv[0]);
	what = a->listen ? "encap listen" : "encap detach";
	for (int i = 1; i < argc; i += 2) {
		const char *kw = argv[i], *val = argv[i + 1];

		if (i + 1 == argc)
			return ctl_usage(what, "\"%s\" needs a value", kw);
		if (!strcmp(kw, "dev")) {
			if (!val[0] || strlen(val) >= IFNAMSIZ)
				return ctl_usage(what, "bad device name \"%s\"", val);
			strcpy(a->dev, val);
		} else if (a->listen && !strcmp(kw, "addr") && !have_addr) {
			if (parse_addr(val, &a->addr) < 0)
				return ctl_usage(what, "bad addr \"%s\"", val);
			have_addr = true;
		} else if (a->listen && !strcmp(kw, "port") && !have_port) {
			if (parse_u32(val, UINT16_MAX, &port) < 0 || !port)
				return ctl_usage(what, "bad port \"%s\"", val);
			a->port = port;
			have_port = true;
		} else if (!a->listen && !strcmp(kw, "family") && !have_family) {
			if (!strcmp(val, "inet"))
				a->family = AF_INET;
			else if (!strcmp(val, "inet6"))
				a->family = AF_INET6;
			else
				return ctl_usage(what, "bad family \"%s\" (inet or inet6)", val);
			have_family = true;
		} else {
			return ctl_usage(what, "unexpected \"%s\"", kw);
		}
	}
	if (!a->dev[0])
		return ctl_usage(what, "missing \"dev\"");
	return 0;
}

/* Sends CMD for A's device (with FD when >= 0); the reply is not needed. */
static int encap_request(struct kesp_nl *nl, uint8_t cmd,
			 const struct encap_args *a, int fd)
{
	struct nl_msg *req = kesp_nl_request(nl, cmd, 0);

	if (!req || nla_put_string(req, KESP_DEV_A_IFNAME, a->dev) < 0 ||
	    (fd >= 0 && nla_put_u32(req, KESP_DEV_A_ENCAP_FD, fd) < 0) ||
	    (a->family && nla_put_u16(req, KESP_DEV_A_ENCAP_FAMILY, a->family) < 0)) {
		kesp_nl_free_request(req);
		return -ENOMEM;
	}
	return kesp_nl_call(nl, req, NULL, NULL);
}

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
	(void)sig;
	stop = 1;
}

static int bind_socket(const struct encap_args *a)
{
	struct sockaddr_storage ss = { 0 };
	socklen_t len;
	int fd, one = 1;

	fd = socket(a->addr.family, SOCK_DGRAM | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	if (a->addr.family == AF_INET6) {
		struct sockaddr_in6 *sin6 = (struct sockaddr_in6 *)&ss;

		/* One socket per family: IPv4 gets a socket of its own. */
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one));
		sin6->sin6_family = AF_INET6;
		sin6->sin6_port = htons(a->port);
		memcpy(&sin6->sin6_addr, a->addr.a, 16);
		len = sizeof(*sin6);
	} else {
		struct sockaddr_in *sin = (struct sockaddr_in *)&ss;

		sin->sin_family = AF_INET;
		sin->sin_port = htons(a->port);
		memcpy(&sin->sin_addr, a->addr.a, 4);
		len = sizeof(*sin);
	}
	if (bind(fd, (struct sockaddr *)&ss, len) < 0) {
		int err = -errno;

		close(fd);
		return err;
	}
	return fd;
}

static void print_datagram(bool json, const struct sockaddr_storage *from,
			   const uint8_t *data, size_t len)
{
	char addr[INET6_ADDRSTRLEN] = "?";
	unsigned int port = 0;

	if (from->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s6 = (const void *)from;

		inet_ntop(AF_INET6, &s6->sin6_addr, addr, sizeof(addr));
		port = ntohs(s6->sin6_port);
	} else if (from->ss_family == AF_INET) {
		const struct sockaddr_in *s4 = (const void *)from;

		inet_ntop(AF_INET, &s4->sin_addr, addr, sizeof(addr));
		port = ntohs(s4->sin_port);
	}
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "event", "datagram");
		json_string(&j, "src", addr);
		json_uint(&j, "sport", port);
		json_uint(&j, "length", len);
		json_hex(&j, "data", data, len);
		json_object_end(&j);
	} else {
		printf("datagram from %s port %u, %zu bytes: ", addr, port, len);
		for (size_t i = 0; i < len; i++)
			printf("%02x", data[i]);
		printf("\n");
	}
	fflush(stdout);
}

/* The line that says the socket is attached (tests wait for it). */
static void print_listening(bool json, const struct encap_args *a)
{
	char addr[INET6_ADDRSTRLEN];

	inet_ntop(a->addr.family, a->addr.a, addr, sizeof(addr));
	if (json) {
		struct json j;

		json_init(&j, stdout);
		json_object_begin(&j, NULL);
		json_string(&j, "event", "listening");
		json_string(&j, "dev", a->dev);
		json_string(&j, "addr", addr);
		json_uint(&j, "port", a->port);
		json_object_end(&j);
	} else {
		printf("listening on %s port %u for %s\n", addr, a->port, a->dev);
	}
	fflush(stdout);
}

static int listen_loop(struct kesp_nl *nl, const struct encap_args *a, bool json)
{
	struct sigaction sa = { .sa_handler = on_signal };
	static uint8_t buf[65536];
	int fd, ret;

	fd = bind_socket(a);
	if (fd < 0) {
		ctl_error("encap listen", "cannot bind UDP port %u: %s", a->port,
			  strerror(-fd));
		return EXIT_KERNEL;
	}
	ret = encap_request(nl, KESP_CMD_ENCAP_ATTACH, a, fd);
	if (ret < 0) {
		close(fd);
		return ctl_kernel_error(nl, "encap listen", ret);
	}
	/* No SA_RESTART: a signal must end the blocking read. */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	print_listening(json, a);
	while (!stop) {
		struct sockaddr_storage from;
		socklen_t from_len = sizeof(from);
		ssize_t n;

		n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from,
			     &from_len);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			ctl_error("encap listen", "%s", strerror(errno));
			close(fd);
			return EXIT_KERNEL;
		}
		print_datagram(json, &from, buf, (size_t)n);
	}
	/* Closing the socket detaches it. */
	close(fd);
	return 0;
}

int cmd_encap(struct ctl *c, int argc, char **argv)
{
	struct encap_args a;
	struct kesp_nl *nl;
	int ret;

	ret = encap_parse(argc, argv, &a);
	if (ret)
		return ret;
	nl = ctl_nl(c);
	if (!nl)
		return EXIT_KERNEL;
	if (a.listen)
		return listen_loop(nl, &a, c->json);
	ret = encap_request(nl, KESP_CMD_ENCAP_DETACH, &a, -1);
	return ret < 0 ? ctl_kernel_error(nl, "encap detach", ret) : 0;
}
