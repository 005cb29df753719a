// SPDX-License-Identifier: GPL-2.0
/*
 * The IKE sockets: UDP 500 and the NAT-T port 4500, IPv4 and IPv6, each
 * reporting the address a datagram arrived on (IP_PKTINFO,
 * IPV6_RECVPKTINFO) so answers leave from it. On 4500 IKE carries the
 * 4-byte zero non-ESP marker (RFC 3948 §2.2); a lone 0xFF is a keepalive.
 *
 * The 4500 sockets are attached to kesp devices (kesp.h: ESP in UDP is
 * consumed by the module, IKE passes up to us). A device takes one socket
 * per family; with several devices the extra ones share the port through
 * SO_REUSEPORT, and all of them are read here. Every socket carries the
 * daemon's fwmark, so IKE to a peer whose address lies in a remote
 * selector does not route into the device.
 */
#include <errno.h>
#include <fcntl.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "loop.h"

static const uint8_t non_esp_marker[4];

static int open_sock(int family, uint16_t port, uint32_t mark, bool reuseport, char *why,
		     size_t whylen)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0), one = 1, rc;
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;

	if (fd < 0) {
		snprintf(why, whylen, "%s socket: %s", family == AF_INET ? "IPv4" : "IPv6",
			 strerror(errno));
		return -errno;
	}
	if (family == AF_INET) {
		struct sockaddr_in *in = (struct sockaddr_in *)&ss;

		in->sin_family = AF_INET;
		in->sin_port = htons(port);
		sl = sizeof(*in);
		rc = setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &one, sizeof(one));
	} else {
		struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

		in6->sin6_family = AF_INET6;
		in6->sin6_port = htons(port);
		sl = sizeof(*in6);
		rc = setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) ||
		     setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &one, sizeof(one));
	}
	if (!rc)
		rc = setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
	if (!rc && reuseport)
		rc = setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one));
	if (!rc && mark)
		rc = setsockopt(fd, SOL_SOCKET, SO_MARK, &mark, sizeof(mark));
	if (!rc)
		rc = bind(fd, (struct sockaddr *)&ss, sl);
	if (rc) {
		rc = -errno;
		snprintf(why, whylen, "UDP port %u over %s: %s", port,
			 family == AF_INET ? "IPv4" : "IPv6", strerror(errno));
		close(fd);
		return rc;
	}
	return fd;
}

static void on_readable(void *arg, int fd);

/* Each watched socket needs its port at hand: its argument says it. */
static int watch(struct net *n, int fd, uint16_t port)
{
	struct net_sock_arg *a;

	if (n->nargs == sizeof(n->args) / sizeof(n->args[0]))
		return -ENOSPC;
	a = &n->args[n->nargs++];
	a->n = n;
	a->port = port;
	return loop_add(n->loop, fd, on_readable, a) ? 0 : -ENOMEM;
}

int net_open(struct net *n, struct loop *l, uint16_t port, uint16_t port_nat_t, uint32_t mark,
	     char *why, size_t whylen)
{
	int opened = 0;
	char reason[256] = "";

	n->loop = l;
	n->d = l->d;
	n->port = port;
	n->port_nat_t = port_nat_t;
	n->mark = mark;
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 2; p++) {
			int fd = open_sock(f ? AF_INET6 : AF_INET, p ? port_nat_t : port, mark, p,
					   reason, sizeof(reason));

			n->fd[f][p] = fd;
			if (fd == -EAFNOSUPPORT || fd == -EADDRNOTAVAIL) {
				log_msg(LOG_NET, 1, "no %s here: %s", f ? "IPv6" : "IPv4", reason);
				continue;
			}
			if (fd < 0) {
				snprintf(why, whylen, "%s", reason);
				net_close(n);
				return fd;
			}
			if (watch(n, fd, p ? port_nat_t : port)) {
				snprintf(why, whylen, "cannot watch a socket");
				net_close(n);
				return -ENOMEM;
			}
			opened++;
		}
	if (!opened) {
		snprintf(why, whylen, "no IPv4 nor IPv6 sockets: %s", reason);
		return -EAFNOSUPPORT;
	}
	log_msg(LOG_NET, 1, "listening on UDP %u and %u (%s%s%s), fwmark 0x%x", port, port_nat_t,
		n->fd[0][0] >= 0 ? "IPv4" : "", n->fd[0][0] >= 0 && n->fd[1][0] >= 0 ? ", " : "",
		n->fd[1][0] >= 0 ? "IPv6" : "", mark);
	return 0;
}

void net_close(struct net *n)
{
	for (int f = 0; f < 2; f++)
		for (int p = 0; p < 2; p++)
			if (n->fd[f][p] >= 0) {
				close(n->fd[f][p]);
				n->fd[f][p] = -1;
			}
	for (size_t i = 0; i < n->nencap; i++)
		close(n->encap[i]);
	n->nencap = 0;
}

int net_encap_fd(void *ctx, int family)
{
	struct net *n = ctx;
	int f = family == AF_INET6, fd;
	char why[256];

	if (n->fd[f][1] < 0)
		return -1;
	if (!n->encap_given[f]) {
		n->encap_given[f] = true;
		return n->fd[f][1];
	}
	if (n->nencap == NET_ENCAP_MAX)
		return -1;
	fd = open_sock(family, n->port_nat_t, n->mark, true, why, sizeof(why));
	if (fd < 0) {
		log_msg(LOG_NET, 0, "another NAT-T socket for a device: %s", why);
		return -1;
	}
	if (watch(n, fd, n->port_nat_t)) {
		close(fd);
		return -1;
	}
	n->encap[n->nencap++] = fd;
	return fd;
}

static void on_readable(void *arg, int fd)
{
	struct net_sock_arg *a = arg;
	struct net *n = a->n;
	bool natt = a->port == n->port_nat_t;

	/* A bounded batch: other sockets get their turn. */
	for (int round = 0; round < 64; round++) {
		struct sockaddr_storage from;
		union {
			struct cmsghdr align;
			uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
		} ctl;
		struct iovec iov = { n->buf, sizeof(n->buf) };
		struct msghdr mh = {
			.msg_name = &from, .msg_namelen = sizeof(from), .msg_iov = &iov,
			.msg_iovlen = 1, .msg_control = ctl.buf, .msg_controllen = sizeof(ctl.buf),
		};
		struct endpoint local = { .port = a->port }, remote;
		ssize_t len = recvmsg(fd, &mh, 0);
		const uint8_t *p = n->buf;

		if (len < 0)
			return;
		endpoint_from_sockaddr(&remote, (struct sockaddr *)&from);
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
				struct in_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				local.addr.family = AF_INET;
				memcpy(local.addr.ip, &pi.ipi_addr, 4);
			} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
				struct in6_pktinfo pi;

				memcpy(&pi, CMSG_DATA(c), sizeof(pi));
				local.addr.family = AF_INET6;
				memcpy(local.addr.ip, &pi.ipi6_addr, 16);
			}
		}
		if (natt) {
			if (len == 1 && p[0] == 0xff)
				continue;	/* keepalive */
			if (len < 4 || memcmp(p, non_esp_marker, 4)) {
				/* ESP on a socket no device consumes from yet. */
				n->d->st.dropped_malformed++;
				continue;
			}
			p += 4;
			len -= 4;
		}
		if (!local.addr.family || !remote.addr.family)
			continue;
		if (log_enabled(LOG_ENC, 3)) {
			char what[2 * ENDPOINT_STRLEN + 32], r[ENDPOINT_STRLEN], l[ENDPOINT_STRLEN];

			snprintf(what, sizeof(what), "received from %s to %s",
				 endpoint_str(&remote, r, sizeof(r)), endpoint_str(&local, l, sizeof(l)));
			log_hex(LOG_ENC, 3, what, p, (size_t)len);
		}
		/*
		 * The loop set the clock when the batch began, but handling a
		 * datagram can take long (installing SAs can load a crypto
		 * module; a debug kernel took 21 s for one): timers armed for
		 * this one must count from now, or an IKE SA established late
		 * in a batch rekeyed and was deleted at once.
		 */
		n->d->now = loop_now_ms();
		ike_receive(n->d, &local, &remote, p, (size_t)len);
		daemon_reap(n->d);
	}
}

static int sock_for(struct net *n, const struct endpoint *local, bool *natt)
{
	int f = local->addr.family == AF_INET6;

	*natt = local->port == n->port_nat_t;
	return n->fd[f][*natt];
}

static void send_from(struct net *n, const struct endpoint *local, const struct endpoint *remote,
		      const struct iovec *iov, int iovcnt)
{
	struct sockaddr_storage to;
	union {
		struct cmsghdr align;
		uint8_t buf[CMSG_SPACE(sizeof(struct in6_pktinfo))];
	} ctl = { 0 };
	struct msghdr mh = { .msg_name = &to, .msg_iov = (struct iovec *)iov,
			     .msg_iovlen = (size_t)iovcnt };
	bool natt;
	int fd = sock_for(n, local, &natt);
	char r[ENDPOINT_STRLEN];

	if (fd < 0)
		return;
	mh.msg_namelen = endpoint_to_sockaddr(remote, &to);
	if (!addr_is_any(&local->addr)) {
		struct cmsghdr *c;

		mh.msg_control = ctl.buf;
		if (local->addr.family == AF_INET) {
			struct in_pktinfo pi = { 0 };

			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IP;
			c->cmsg_type = IP_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(&pi.ipi_spec_dst, local->addr.ip, 4);
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		} else {
			struct in6_pktinfo pi = { 0 };

			mh.msg_controllen = CMSG_SPACE(sizeof(pi));
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = IPPROTO_IPV6;
			c->cmsg_type = IPV6_PKTINFO;
			c->cmsg_len = CMSG_LEN(sizeof(pi));
			memcpy(&pi.ipi6_addr, local->addr.ip, 16);
			memcpy(CMSG_DATA(c), &pi, sizeof(pi));
		}
	}
	if (sendmsg(fd, &mh, 0) < 0)
		log_msg(LOG_NET, 1, "sending to %s: %s", endpoint_str(remote, r, sizeof(r)),
			strerror(errno));
}

static void net_send(void *ctx, const struct endpoint *local, const struct endpoint *remote,
		     const uint8_t *pkt, size_t len)
{
	struct net *n = ctx;
	struct iovec iov[2] = {
		{ (void *)non_esp_marker, sizeof(non_esp_marker) }, { (void *)pkt, len },
	};

	/* The datagram as it goes: encrypted beyond IKE_SA_INIT, whose KE
	 * and nonces are public values. */
	if (log_enabled(LOG_ENC, 3)) {
		char what[2 * ENDPOINT_STRLEN + 32], r[ENDPOINT_STRLEN], l[ENDPOINT_STRLEN];

		snprintf(what, sizeof(what), "sending from %s to %s",
			 endpoint_str(local, l, sizeof(l)), endpoint_str(remote, r, sizeof(r)));
		log_hex(LOG_ENC, 3, what, pkt, len);
	}

	if (local->port == n->port_nat_t)
		send_from(n, local, remote, iov, 2);
	else
		send_from(n, local, remote, iov + 1, 1);
}

static void net_keepalive(void *ctx, const struct endpoint *local, const struct endpoint *remote)
{
	static const uint8_t ka = 0xff;
	struct iovec iov = { (void *)&ka, 1 };

	send_from(ctx, local, remote, &iov, 1);
}

/* The kernel's choice of source towards DST, for marked packets as ours
 * are, from FROM if not NULL (which must be ours). */
static int route_src_from(struct net *n, const struct addr *dst, const struct addr *from,
			  struct addr *src)
{
	struct endpoint e = { .addr = *dst, .port = n->port };
	struct sockaddr_storage ss;
	socklen_t sl = endpoint_to_sockaddr(&e, &ss);
	int fd = socket(dst->family, SOCK_DGRAM | SOCK_CLOEXEC, 0), rc = -1;

	if (fd < 0)
		return -errno;
	if (n->mark)
		setsockopt(fd, SOL_SOCKET, SO_MARK, &n->mark, sizeof(n->mark));
	if (from) {
		struct endpoint f = { .addr = *from, .port = 0 };
		struct sockaddr_storage fs;
		socklen_t fl = endpoint_to_sockaddr(&f, &fs);

		if (bind(fd, (struct sockaddr *)&fs, fl)) {
			rc = -errno;
			close(fd);
			return rc;
		}
	}
	if (!connect(fd, (struct sockaddr *)&ss, sl)) {
		sl = sizeof(ss);
		if (!getsockname(fd, (struct sockaddr *)&ss, &sl)) {
			endpoint_from_sockaddr(&e, (struct sockaddr *)&ss);
			*src = e.addr;
			rc = 0;
		}
	}
	if (rc)
		rc = -errno;
	close(fd);
	return rc;
}

/* A is on an interface that is up and has its link (a down uplink may
 * keep its IPv4 address, and the kernel would route from it elsewhere). */
static bool addr_usable(const struct addr *a)
{
	struct ifaddrs *ifs, *i;
	bool up = false;

	if (getifaddrs(&ifs))
		return false;
	for (i = ifs; i && !up; i = i->ifa_next) {
		struct endpoint e;

		if (!i->ifa_addr || i->ifa_addr->sa_family != a->family ||
		    (i->ifa_flags & (IFF_UP | IFF_RUNNING)) != (IFF_UP | IFF_RUNNING))
			continue;
		endpoint_from_sockaddr(&e, i->ifa_addr);
		up = addr_equal(&e.addr, a);
	}
	freeifaddrs(ifs);
	return up;
}

static int net_route_src(void *ctx, const struct addr *dst, const struct addr *prefer,
			 struct addr *src)
{
	struct net *n = ctx;

	if (prefer && prefer->family == dst->family && !addr_is_any(prefer) &&
	    addr_usable(prefer) && !route_src_from(n, dst, prefer, src))
		return 0;
	return route_src_from(n, dst, NULL, src);
}

const struct io_ops net_io_ops = {
	.send = net_send,
	.keepalive = net_keepalive,
	.route_src = net_route_src,
};
