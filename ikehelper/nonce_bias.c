// SPDX-License-Identifier: GPL-2.0
/*
 * A test hook, off unless IKEHELPER_TEST_NONCES names connections: it
 * decides which side wins a rekey collision against a peer whose nonces
 * the test cannot choose (charon), so a test covers both outcomes of RFC
 * 7296 §2.8.1/§2.8.2 (the SA made with the lowest of the four nonces goes)
 * deterministically instead of by chance.
 *
 * "CONN=low": the nonces we send in CONN's CREATE_CHILD_SA requests begin
 * with four 0x00 bytes and those in our responses with four 0xff bytes, so
 * the exchange we start carries the lowest nonce and its product is ours
 * to delete. "CONN=high" is the reverse: the peer's exchange carries it.
 * The other 28 bytes stay random; IKE_SA_INIT's nonces are never touched.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config.h"
#include "daemon.h"

#define BIAS_MAX 16
#define BIAS_BYTES 4

struct nonce_bias {
	size_t n;
	struct {
		char conn[CONF_NAME_MAX];
		bool low;
	} e[BIAS_MAX];
};

struct nonce_bias *nonce_bias_parse(const char *spec, char *why, size_t len)
{
	struct nonce_bias *b = calloc(1, sizeof(*b));
	const char *p = spec;

	if (!b) {
		snprintf(why, len, "out of memory");
		return NULL;
	}
	while (*p) {
		size_t name_len, word_len, value_len;
		const char *eq, *value;
		bool low, high;

		while (isspace((unsigned char)*p))
			p++;
		if (!*p)
			break;
		word_len = strcspn(p, " \t\n");
		eq = memchr(p, '=', word_len);
		name_len = eq ? (size_t)(eq - p) : 0;
		value = eq ? eq + 1 : p;
		value_len = eq ? word_len - name_len - 1 : 0;
		low = value_len == 3 && !strncmp(value, "low", 3);
		high = value_len == 4 && !strncmp(value, "high", 4);
		if (!name_len || name_len >= CONF_NAME_MAX || !(low || high)) {
			snprintf(why, len, "'%.*s' is not CONNECTION=low or CONNECTION=high",
				 (int)word_len, p);
			free(b);
			return NULL;
		}
		if (b->n == BIAS_MAX) {
			snprintf(why, len, "more than %d connections", BIAS_MAX);
			free(b);
			return NULL;
		}
		memcpy(b->e[b->n].conn, p, name_len);
		b->e[b->n].low = low;
		b->n++;
		p += word_len;
	}
	if (!b->n) {
		snprintf(why, len, "names no connection");
		free(b);
		return NULL;
	}
	return b;
}

void nonce_bias_free(struct nonce_bias *b)
{
	free(b);
}

void nonce_bias_describe(const struct nonce_bias *b, char *buf, size_t len)
{
	size_t used = 0;

	buf[0] = 0;
	for (size_t i = 0; b && i < b->n && used < len; i++)
		used += (size_t)snprintf(buf + used, len - used, "%s%s=%s", i ? " " : "",
					 b->e[i].conn, b->e[i].low ? "low" : "high");
}

void nonce_bias_apply(const struct ike_sa *sa, bool request, uint8_t *nonce, size_t len)
{
	const struct nonce_bias *b = sa->d->nonce_bias;

	if (!b || !sa->conn || len < BIAS_BYTES)
		return;
	for (size_t i = 0; i < b->n; i++) {
		if (strcmp(b->e[i].conn, sa->conn->name))
			continue;
		memset(nonce, request == b->e[i].low ? 0x00 : 0xff, BIAS_BYTES);
		return;
	}
}
