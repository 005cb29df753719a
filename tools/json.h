/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer for `--json` output: exact for scripts,
 * one document per command (or per event), each ending in a newline.
 * Everything kespctl prints as JSON goes through it, so every string is
 * escaped (RFC 8259) and every document is valid UTF-8 whatever the
 * kernel or a device name holds. Containers nest to any depth.
 */
#ifndef KESP_JSON_H
#define KESP_JSON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *out;
	unsigned int depth;	/* containers open */
	/*
	 * Whether the innermost open container holds a member yet. The
	 * outer ones need no record: once a container closes, the one
	 * around it holds at least that member.
	 */
	bool nonempty;
};

void json_init(struct json *j, FILE *out);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
/* LEN bytes of DATA as a string of lowercase hex digits. */
void json_hex(struct json *j, const char *key, const uint8_t *data, size_t len);
/*
 * Writes S as a JSON string literal, quotes included: control characters
 * escaped, and bytes that are not UTF-8 replaced by U+FFFD, one for each
 * maximal invalid sequence (as Unicode 15, 3.9, recommends).
 */
void json_write_string(FILE *out, const char *s);

#endif /* KESP_JSON_H */
