// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl ike: talks to ikehelper over its control socket (see
 * ikehelper/control.c for the line protocol).
 *   kespctl ike up CONN | up --child CHILD   waits until up or failed
 *   kespctl ike up --no-child CONN        the IKE SA alone (RFC 6023)
 *   kespctl ike down CONN
 *   kespctl ike redirect CONN|ID GATEWAY
 *   kespctl ike rekey --child CHILD       starts a rekey of its CHILD_SAs now
 *   kespctl ike rekey CONN                starts a rekey of its IKE SA now
 *   kespctl ike resume CONN               RFC 5723: gives its IKE SA up, resumes
 *   kespctl [--json] ike list
 *   kespctl ike reload
 * The socket is /run/kesp/ikehelper.sock, or $KESP_IKEHELPER_SOCKET, or
 * "ike --socket PATH". Exit status 1 (EXIT_KERNEL) when ikehelper says no
 * or cannot be reached.
 */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "ike_cmd.h"
#include "json.h"

#define DEFAULT_SOCKET "/run/kesp/ikehelper.sock"

static int ike_usage(void)
{
	fprintf(stderr, "kespctl: ike: usage: ike [--socket PATH] up CONN | up --child CHILD | "
		"up --no-child CONN | down CONN | rekey CONN | rekey --child CHILD | "
		"resume CONN | redirect CONN|ID GATEWAY | list | reload (see kespctl help)\n");
	return EXIT_USAGE;
}

const char *ike_socket_path(void)
{
	const char *path = getenv("KESP_IKEHELPER_SOCKET");

	return path && *path ? path : DEFAULT_SOCKET;
}

int ike_connect(const char *path, bool quiet)
{
	struct sockaddr_un sun = { .sun_family = AF_UNIX };
	int fd;

	if (strlen(path) >= sizeof(sun.sun_path)) {
		fprintf(stderr, "kespctl: ike: socket path too long\n");
		return -1;
	}
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&sun, sizeof(sun))) {
		if (!quiet)
			fprintf(stderr, "kespctl: ike: cannot reach ikehelper at %s: %s%s\n", path,
			strerror(errno), errno == ENOENT || errno == ECONNREFUSED ?
			" (is ikehelper running?)" : "");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

static int hexval(int c)
{
	return isdigit(c) ? c - '0' : tolower(c) - 'a' + 10;
}

/* Undoes the daemon's %XX escaping in place. */
static void unescape(char *s)
{
	char *o = s;

	for (; *s; s++) {
		if (s[0] == '%' && isxdigit((unsigned char)s[1]) && isxdigit((unsigned char)s[2])) {
			*o++ = (char)(hexval((unsigned char)s[1]) << 4 | hexval((unsigned char)s[2]));
			s += 2;
		} else {
			*o++ = *s;
		}
	}
	*o = '\0';
}

int ike_record_parse(char *line, struct ike_record *r)
{
	char *save = NULL;

	memset(r, 0, sizeof(*r));
	for (char *tok = strtok_r(line, " ", &save); tok && r->n < IKE_RECORD_FIELDS;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		unescape(eq + 1);
		r->key[r->n] = strdup(tok);
		r->val[r->n] = strdup(eq + 1);
		if (!r->key[r->n] || !r->val[r->n]) {
			free(r->key[r->n]);
			free(r->val[r->n]);
			return -1;
		}
		r->n++;
	}
	return 0;
}

void ike_record_free(struct ike_record *r)
{
	for (size_t j = 0; j < r->n; j++) {
		free(r->key[j]);
		free(r->val[j]);
	}
	r->n = 0;
}

static int add_record(struct ike_listing *l, char *line, bool child)
{
	struct ike_record *r;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct ike_record *v = realloc(l->r, cap * sizeof(*v));

		if (!v)
			return -1;
		l->r = v;
		l->cap = cap;
	}
	r = &l->r[l->n++];
	if (ike_record_parse(line, r))
		return -1;
	r->child = child;
	return 0;
}

const char *ike_record_get(const struct ike_record *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->val[i];
	return "";
}

void ike_listing_free(struct ike_listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		ike_record_free(&l->r[i]);
	free(l->r);
	memset(l, 0, sizeof(*l));
}

/* "addr:port" or "[addr]:port" into its parts. */
static void split_endpoint(const char *e, char *addr, size_t len, unsigned long *port)
{
	const char *colon = strrchr(e, ':');
	size_t n = colon ? (size_t)(colon - e) : strlen(e);

	if (e[0] == '[' && n >= 2 && e[n - 1] == ']') {
		e++;
		n -= 2;
	}
	snprintf(addr, len, "%.*s", (int)n, e);
	*port = colon ? strtoul(colon + 1, NULL, 10) : 0;
}

static void json_ts_list(struct json *j, const char *key, const char *list)
{
	char *copy = strdup(list), *save = NULL;

	json_array_begin(j, key);
	for (char *t = copy ? strtok_r(copy, ",", &save) : NULL; t; t = strtok_r(NULL, ",", &save)) {
		while (*t == ' ')
			t++;
		if (strcmp(t, "(none)"))
			json_string(j, NULL, t);
	}
	json_array_end(j);
	free(copy);
}

static bool numeric(const char *key)
{
	static const char *const keys[] = {
		"id", "age", "reqid", "bytes_in", "packets_in", "bytes_out", "packets_out",
		"established", "rekeyed", "rekey_in", "expire_in", "old_id", "count", "ticket_in",
		NULL,
	};

	for (const char *const *k = keys; *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

void ike_json_record(struct json *j, const struct ike_record *r)
{
	for (size_t i = 0; i < r->n; i++) {
		const char *k = r->key[i], *v = r->val[i];

		if (!strcmp(k, "local") || !strcmp(k, "remote")) {
			char addr[64], key[32];
			unsigned long port;

			split_endpoint(v, addr, sizeof(addr), &port);
			snprintf(key, sizeof(key), "%s_address", k);
			json_string(j, key, addr);
			snprintf(key, sizeof(key), "%s_port", k);
			json_uint(j, key, port);
		} else if (!strcmp(k, "local_ts") || !strcmp(k, "remote_ts") || !strcmp(k, "vips") ||
			   !strcmp(k, "leases")) {
			json_ts_list(j, k, v);
		} else if (!strcmp(k, "algs")) {
			json_string(j, "algorithms", v);
		} else if (!strcmp(k, "type")) {
			json_string(j, "event", v);
		} else if (numeric(k) && *v) {
			json_uint(j, k, strtoull(v, NULL, 10));
		} else {
			json_string(j, k, v);
		}
	}
}

void ike_json_sas(struct json *j, const struct ike_listing *l)
{
	bool in_ike = false, in_children = false;

	json_array_begin(j, "ike_sas");
	for (size_t i = 0; i < l->n; i++) {
		const struct ike_record *r = &l->r[i];

		if (!r->child) {
			if (in_children)
				json_array_end(j);
			if (in_ike)
				json_object_end(j);
			json_object_begin(j, NULL);
			ike_json_record(j, r);
			json_array_begin(j, "child_sas");
			in_ike = in_children = true;
		} else if (in_children) {
			json_object_begin(j, NULL);
			ike_json_record(j, r);
			json_object_end(j);
		}
	}
	if (in_children)
		json_array_end(j);
	if (in_ike)
		json_object_end(j);
	json_array_end(j);
}

/* "12 s", "3 min", "2 h" of a number of seconds given as text. */
static const char *human_secs(const char *v, char *buf, size_t len)
{
	unsigned long long s = strtoull(v, NULL, 10);

	if (s < 120)
		snprintf(buf, len, "%llu s", s);
	else if (s < 7200)
		snprintf(buf, len, "%llu min", s / 60);
	else
		snprintf(buf, len, "%llu h", s / 3600);
	return buf;
}

/* ", rekeying in 3 min" when the record has KEY. */
static const char *when(const struct ike_record *r, const char *key, const char *what, char *buf,
			size_t len)
{
	char t[32];

	if (!*ike_record_get(r, key))
		return "";
	snprintf(buf, len, ", %s %s%s", what, human_secs(ike_record_get(r, key), t, sizeof(t)),
		 !strcmp(what, "rekeyed") ? " ago" : "");
	return buf;
}

/* As swanctl --list-sas, for people. */
void ike_print_human(FILE *f, const struct ike_listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct ike_record *r = &l->r[i];
		char t[32], w1[64], w2[64], w3[64];

		if (!r->child) {
			/* "NAME[ID]: STATE AGE ago, ..." (94 reads it so) */
			fprintf(f, "%s[%s]: %s %s ago", ike_record_get(r, "name"),
				ike_record_get(r, "id"), ike_record_get(r, "state"),
				human_secs(*ike_record_get(r, "established") ?
					   ike_record_get(r, "established") : ike_record_get(r, "age"),
					   t, sizeof(t)));
			fprintf(f, ", %s[%s]...%s[%s]\n", ike_record_get(r, "local"), ike_record_get(r, "local_id"),
				ike_record_get(r, "remote"), ike_record_get(r, "remote_id"));
			fprintf(f, "  %s, SPIs %s_i %s_r, %s%s%s%s%s%s\n", ike_record_get(r, "role"),
				ike_record_get(r, "spi_i"), ike_record_get(r, "spi_r"), ike_record_get(r, "algs"),
				strcmp(ike_record_get(r, "nat"), "none") ? ", NAT " : "",
				strcmp(ike_record_get(r, "nat"), "none") ? ike_record_get(r, "nat") : "",
				*ike_record_get(r, "mobike") && strcmp(ike_record_get(r, "mobike"), "no") ?
				", MOBIKE" : "",
				when(r, "rekeyed", "rekeyed", w1, sizeof(w1)),
				when(r, "rekey_in", "rekeying in", w2, sizeof(w2)));
			if (*ike_record_get(r, "resumed") || *ike_record_get(r, "ticket_in"))
				/* when() starts with ", ": cut when nothing comes before */
				fprintf(f, "  %s%s\n", *ike_record_get(r, "resumed") ?
					"resumed (RFC 5723)" : "",
					when(r, "ticket_in", "resumption ticket expires in", w3,
					     sizeof(w3)) + (*ike_record_get(r, "resumed") ? 0 : 2));
			if (*ike_record_get(r, "vips"))
				fprintf(f, "  virtual IPs %s\n", ike_record_get(r, "vips"));
			if (*ike_record_get(r, "leases"))
				fprintf(f, "  leased to the peer: %s\n", ike_record_get(r, "leases"));
			if (*ike_record_get(r, "peer_addrs"))
				fprintf(f, "  the peer's additional addresses: %s\n",
					ike_record_get(r, "peer_addrs"));
			continue;
		}
		fprintf(f, "  %s{%s}: %s, %s%s, installed %s ago%s%s%s\n", ike_record_get(r, "name"),
			ike_record_get(r, "reqid"), ike_record_get(r, "state"), ike_record_get(r, "mode"),
			strcmp(ike_record_get(r, "encap"), "yes") ? "" : " in UDP",
			human_secs(ike_record_get(r, "age"), t, sizeof(t)),
			when(r, "rekeyed", "rekeyed", w1, sizeof(w1)),
			when(r, "rekey_in", "rekeying in", w2, sizeof(w2)),
			when(r, "expire_in", "expiring in", w3, sizeof(w3)));
		fprintf(f, "    %s\n", ike_record_get(r, "algs"));
		if (*ike_record_get(r, "per_cpu"))
			fprintf(f, "    per-CPU SA: %s\n", ike_record_get(r, "per_cpu"));
		fprintf(f, "    in  %s, %10s bytes, %8s packets\n", ike_record_get(r, "spi_in"),
			ike_record_get(r, "bytes_in"), ike_record_get(r, "packets_in"));
		fprintf(f, "    out %s, %10s bytes, %8s packets\n", ike_record_get(r, "spi_out"),
			ike_record_get(r, "bytes_out"), ike_record_get(r, "packets_out"));
		fprintf(f, "    local  %s\n    remote %s\n", ike_record_get(r, "local_ts"), ike_record_get(r, "remote_ts"));
	}
}

/* One event line from the daemon, as a person or a script wants it. */
void ike_print_event(FILE *f, const struct ike_record *r, bool json)
{
	const char *type = ike_record_get(r, "type"), *reason = ike_record_get(r, "reason");

	if (json) {
		struct json j;

		json_init(&j, f);
		json_object_begin(&j, NULL);
		json_string(&j, "source", "ikehelper");
		ike_json_record(&j, r);
		json_object_end(&j);
		fflush(f);
		return;
	}
	if (!strcmp(type, "lost")) {
		fprintf(f, "ikehelper: %s events lost (this monitor read too slowly)\n",
			ike_record_get(r, "count"));
	} else if (!strncmp(type, "child-", 6)) {
		fprintf(f, "%s %s[%s] %s{%s} SPIs %s_i %s_o", type, ike_record_get(r, "name"), ike_record_get(r, "id"),
			ike_record_get(r, "child"), ike_record_get(r, "reqid"), ike_record_get(r, "spi_in"), ike_record_get(r, "spi_out"));
		if (*ike_record_get(r, "replaces"))
			fprintf(f, " replace %s", ike_record_get(r, "replaces"));
	} else {
		fprintf(f, "%s %s[%s] %s[%s]...%s[%s] SPIs %s_i %s_r", type, ike_record_get(r, "name"),
			ike_record_get(r, "id"), ike_record_get(r, "local"), ike_record_get(r, "local_id"), ike_record_get(r, "remote"),
			ike_record_get(r, "remote_id"), ike_record_get(r, "spi_i"), ike_record_get(r, "spi_r"));
		if (*ike_record_get(r, "old_id"))
			fprintf(f, " replace IKE SA [%s]", ike_record_get(r, "old_id"));
	}
	if (strcmp(type, "lost"))
		fprintf(f, "%s%s\n", *reason ? ": " : "", reason);
	fflush(f);
}

/* Sends REQUEST; reads the answer to its last line, records into L. */
static int transact(const char *path, const char *request, bool json, struct ike_listing *l,
		    bool quiet)
{
	int fd = ike_connect(path, quiet);
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	int rc = EXIT_KERNEL;
	bool done = false;

	if (fd < 0)
		return EXIT_KERNEL;
	if (write(fd, request, strlen(request)) != (ssize_t)strlen(request) || write(fd, "\n", 1) != 1) {
		fprintf(stderr, "kespctl: ike: cannot talk to ikehelper: %s\n", strerror(errno));
		close(fd);
		return EXIT_KERNEL;
	}
	f = fdopen(fd, "r");
	if (!f) {
		close(fd);
		return EXIT_KERNEL;
	}
	while (!done && (n = getline(&line, &cap, f)) > 0) {
		if (line[n - 1] == '\n')
			line[--n] = '\0';
		if (!strncmp(line, "| ", 2)) {
			if (!json)
				printf("%s\n", line + 2);
		} else if (!strncmp(line, "ike ", 4) || !strncmp(line, "child ", 6)) {
			if (add_record(l, line + (line[0] == 'i' ? 4 : 6), line[0] == 'c'))
				break;
		} else if (line[0] == '+' || line[0] == '-') {
			done = true;
			rc = line[0] == '+' ? 0 : EXIT_KERNEL;
			if (rc) {
				fprintf(stderr, "kespctl: ike: %s\n", line + 2);
			} else if (json && strncmp(request, "list", 4)) {
				struct json j;

				json_init(&j, stdout);
				json_object_begin(&j, NULL);
				json_string(&j, "result", line + 2);
				json_object_end(&j);
			} else if (!json && strncmp(request, "list", 4)) {
				printf("%s\n", line + 2);
			}
		}
	}
	if (!done)
		fprintf(stderr, "kespctl: ike: ikehelper closed the connection without an answer\n");
	free(line);
	fclose(f);
	return rc;
}

int ike_list(const char *path, struct ike_listing *l, bool quiet)
{
	return transact(path, "list", true, l, quiet);
}

int cmd_ike(struct ctl *c, int argc, char **argv)
{
	const char *path = ike_socket_path();
	struct ike_listing l = { 0 };
	char request[300];
	int rc;

	if (argc >= 2 && !strcmp(argv[0], "--socket")) {
		path = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc < 1)
		return ike_usage();
	if (!strcmp(argv[0], "up") && argc == 3 && !strcmp(argv[1], "--child"))
		snprintf(request, sizeof(request), "up-child %.256s", argv[2]);
	else if (!strcmp(argv[0], "up") && argc == 3 && !strcmp(argv[1], "--no-child"))
		snprintf(request, sizeof(request), "up-ike %.256s", argv[2]);
	else if (!strcmp(argv[0], "rekey") && argc == 3 && !strcmp(argv[1], "--child"))
		snprintf(request, sizeof(request), "rekey-child %.256s", argv[2]);
	else if ((!strcmp(argv[0], "up") || !strcmp(argv[0], "down") ||
		  !strcmp(argv[0], "rekey") || !strcmp(argv[0], "resume")) && argc == 2)
		snprintf(request, sizeof(request), "%s %.256s", argv[0], argv[1]);
	else if (!strcmp(argv[0], "redirect") && argc == 3)
		snprintf(request, sizeof(request), "redirect %.200s %.60s", argv[1], argv[2]);
	else if ((!strcmp(argv[0], "list") || !strcmp(argv[0], "reload")) && argc == 1)
		snprintf(request, sizeof(request), "%s", argv[0]);
	else
		return ike_usage();
	for (const char *p = request; *p; p++)
		if (*p == '\n' || *p == '\r')
			return ike_usage();
	rc = transact(path, request, c->json, &l, false);
	if (!rc && !strcmp(argv[0], "list")) {
		if (c->json) {
			struct json j;

			json_init(&j, stdout);
			json_object_begin(&j, NULL);
			ike_json_sas(&j, &l);
			json_object_end(&j);
		} else {
			ike_print_human(stdout, &l);
		}
	}
	ike_listing_free(&l);
	return rc;
}
