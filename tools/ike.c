// SPDX-License-Identifier: GPL-2.0
/*
 * kespctl ike: talks to ikehelper over its control socket (see
 * ikehelper/control.c for the line protocol).
 *   kespctl ike up CONN | up --child CHILD   waits until up or failed
 *   kespctl ike down CONN
 *   kespctl ike rekey --child CHILD       starts a rekey of its CHILD_SAs now
 *   kespctl ike rekey CONN                starts a rekey of its IKE SA now
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
#define MAX_FIELDS 32

struct record {
	bool child;
	size_t n;
	char *key[MAX_FIELDS], *val[MAX_FIELDS];
};

struct listing {
	struct record *r;
	size_t n, cap;
};

static int ike_usage(void)
{
	fprintf(stderr, "kespctl: ike: usage: ike [--socket PATH] up CONN | up --child CHILD | "
		"down CONN | rekey CONN | rekey --child CHILD | list | reload (see kespctl help)\n");
	return EXIT_USAGE;
}

static int connect_daemon(const char *path)
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

static int add_record(struct listing *l, char *line, bool child)
{
	struct record *r;
	char *save = NULL;

	if (l->n == l->cap) {
		size_t cap = l->cap ? 2 * l->cap : 16;
		struct record *v = realloc(l->r, cap * sizeof(*v));

		if (!v)
			return -1;
		l->r = v;
		l->cap = cap;
	}
	r = &l->r[l->n++];
	memset(r, 0, sizeof(*r));
	r->child = child;
	for (char *tok = strtok_r(line, " ", &save); tok && r->n < MAX_FIELDS;
	     tok = strtok_r(NULL, " ", &save)) {
		char *eq = strchr(tok, '=');

		if (!eq)
			continue;
		*eq = '\0';
		unescape(eq + 1);
		r->key[r->n] = strdup(tok);
		r->val[r->n] = strdup(eq + 1);
		if (!r->key[r->n] || !r->val[r->n])
			return -1;
		r->n++;
	}
	return 0;
}

static const char *get(const struct record *r, const char *key)
{
	for (size_t i = 0; i < r->n; i++)
		if (!strcmp(r->key[i], key))
			return r->val[i];
	return "";
}

static void free_listing(struct listing *l)
{
	for (size_t i = 0; i < l->n; i++)
		for (size_t j = 0; j < l->r[i].n; j++) {
			free(l->r[i].key[j]);
			free(l->r[i].val[j]);
		}
	free(l->r);
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
		"id", "age", "reqid", "bytes_in", "packets_in", "bytes_out", "packets_out", NULL,
	};

	for (const char *const *k = keys; *k; k++)
		if (!strcmp(*k, key))
			return true;
	return false;
}

static void json_record(struct json *j, const struct record *r)
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
		} else if (!strcmp(k, "local_ts") || !strcmp(k, "remote_ts")) {
			json_ts_list(j, k, v);
		} else if (!strcmp(k, "algs")) {
			json_string(j, "algorithms", v);
		} else if (numeric(k)) {
			json_uint(j, k, strtoull(v, NULL, 10));
		} else {
			json_string(j, k, v);
		}
	}
}

static void print_json(const struct listing *l)
{
	struct json j;
	bool in_ike = false, in_children = false;

	json_init(&j, stdout);
	json_object_begin(&j, NULL);
	json_array_begin(&j, "ike_sas");
	for (size_t i = 0; i < l->n; i++) {
		const struct record *r = &l->r[i];

		if (!r->child) {
			if (in_children)
				json_array_end(&j);
			if (in_ike)
				json_object_end(&j);
			json_object_begin(&j, NULL);
			json_record(&j, r);
			json_array_begin(&j, "child_sas");
			in_ike = in_children = true;
		} else if (in_children) {
			json_object_begin(&j, NULL);
			json_record(&j, r);
			json_object_end(&j);
		}
	}
	if (in_children)
		json_array_end(&j);
	if (in_ike)
		json_object_end(&j);
	json_array_end(&j);
	json_object_end(&j);
}

/* As swanctl --list-sas, for people. */
static void print_human(const struct listing *l)
{
	for (size_t i = 0; i < l->n; i++) {
		const struct record *r = &l->r[i];

		if (!r->child) {
			printf("%s[%s]: %s %s s, %s[%s]...%s[%s]\n", get(r, "name"), get(r, "id"),
			       get(r, "state"), get(r, "age"), get(r, "local"), get(r, "local_id"),
			       get(r, "remote"), get(r, "remote_id"));
			printf("  %s, SPIs %s_i %s_r, %s%s%s\n", get(r, "role"), get(r, "spi_i"),
			       get(r, "spi_r"), get(r, "algs"),
			       strcmp(get(r, "nat"), "none") ? ", NAT " : "",
			       strcmp(get(r, "nat"), "none") ? get(r, "nat") : "");
			continue;
		}
		printf("  %s{%s}: %s, %s%s, %s s, %s\n", get(r, "name"), get(r, "reqid"),
		       get(r, "state"), get(r, "mode"), strcmp(get(r, "encap"), "yes") ? "" :
		       " in UDP", get(r, "age"), get(r, "algs"));
		printf("    in  %s, %s bytes, %s packets\n", get(r, "spi_in"), get(r, "bytes_in"),
		       get(r, "packets_in"));
		printf("    out %s, %s bytes, %s packets\n", get(r, "spi_out"), get(r, "bytes_out"),
		       get(r, "packets_out"));
		printf("    local  %s\n    remote %s\n", get(r, "local_ts"), get(r, "remote_ts"));
	}
}

/* Sends REQUEST, reads the answer to its last line. */
static int transact(const char *path, const char *request, bool json)
{
	int fd = connect_daemon(path);
	FILE *f;
	char *line = NULL;
	size_t cap = 0;
	ssize_t n;
	struct listing l = { 0 };
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
			if (add_record(&l, line + (line[0] == 'i' ? 4 : 6), line[0] == 'c'))
				break;
		} else if (line[0] == '+' || line[0] == '-') {
			done = true;
			rc = line[0] == '+' ? 0 : EXIT_KERNEL;
			if (rc)
				fprintf(stderr, "kespctl: ike: %s\n", line + 2);
			else if (!l.n && !json && strncmp(request, "list", 4))
				printf("%s\n", line + 2);
		}
	}
	if (!done)
		fprintf(stderr, "kespctl: ike: ikehelper closed the connection without an answer\n");
	else if (!rc && !strncmp(request, "list", 4))
		json ? print_json(&l) : print_human(&l);
	free(line);
	free_listing(&l);
	fclose(f);
	return rc;
}

int cmd_ike(struct ctl *c, int argc, char **argv)
{
	const char *path = getenv("KESP_IKEHELPER_SOCKET");
	char request[300];

	if (!path || !*path)
		path = DEFAULT_SOCKET;
	if (argc >= 2 && !strcmp(argv[0], "--socket")) {
		path = argv[1];
		argc -= 2;
		argv += 2;
	}
	if (argc < 1)
		return ike_usage();
	if (!strcmp(argv[0], "up") && argc == 3 && !strcmp(argv[1], "--child"))
		snprintf(request, sizeof(request), "up-child %.256s", argv[2]);
	else if (!strcmp(argv[0], "rekey") && argc == 3 && !strcmp(argv[1], "--child"))
		snprintf(request, sizeof(request), "rekey-child %.256s", argv[2]);
	else if (!strcmp(argv[0], "rekey") && argc == 2)
		snprintf(request, sizeof(request), "rekey-ike %.256s", argv[1]);
	else if ((!strcmp(argv[0], "up") || !strcmp(argv[0], "down")) && argc == 2)
		snprintf(request, sizeof(request), "%s %.256s", argv[0], argv[1]);
	else if ((!strcmp(argv[0], "list") || !strcmp(argv[0], "reload")) && argc == 1)
		snprintf(request, sizeof(request), "%s", argv[0]);
	else
		return ike_usage();
	for (const char *p = request; *p; p++)
		if (*p == '\n' || *p == '\r')
			return ike_usage();
	return transact(path, request, c->json && !strcmp(argv[0], "list"));
}
