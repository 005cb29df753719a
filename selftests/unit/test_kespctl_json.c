// SPDX-License-Identifier: GPL-2.0
/* kespctl --json output: valid JSON (RFC 8259 string escapes) for any name. */
#include <stdlib.h>

#include "json.h"
#include "tap.h"

static char *render(void (*build)(struct json *j))
{
	char *buf = NULL;
	size_t len = 0;
	FILE *f = open_memstream(&buf, &len);
	struct json j;

	json_init(&j, f);
	build(&j);
	fclose(f);
	return buf;
}

static void devices(struct json *j)
{
	json_array_begin(j, NULL);
	json_object_begin(j, NULL);
	json_string(j, "ifname", "kesp0");
	json_uint(j, "ifindex", 7);
	json_int(j, "underlay_netnsid", -1);
	json_object_end(j);
	json_object_begin(j, NULL);
	json_string(j, "ifname", "k\"1\\");
	json_object_end(j);
	json_array_end(j);
}

static void empty(struct json *j)
{
	json_array_begin(j, NULL);
	json_array_end(j);
}

static void nested(struct json *j)
{
	json_object_begin(j, NULL);
	json_array_begin(j, "sel");
	json_uint(j, NULL, 1);
	json_uint(j, NULL, 18446744073709551615ULL);
	json_array_end(j);
	json_string(j, "ctl", "a\x01\n\tb");
	json_object_end(j);
}

int main(void)
{
	char *s;

	s = render(devices);
	TAP_EQ_STR(s, "[{\"ifname\":\"kesp0\",\"ifindex\":7,\"underlay_netnsid\":-1},"
		      "{\"ifname\":\"k\\\"1\\\\\"}]\n",
		   "objects in an array, quotes and backslashes escaped");
	free(s);
	s = render(empty);
	TAP_EQ_STR(s, "[]\n", "an empty list is []");
	free(s);
	s = render(nested);
	TAP_EQ_STR(s, "{\"sel\":[1,18446744073709551615],\"ctl\":\"a\\u0001\\n\\tb\"}\n",
		   "nested array, full 64-bit values, control characters escaped");
	free(s);
	return tap_done();
}
