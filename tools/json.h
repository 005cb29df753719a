/* SPDX-License-Identifier: GPL-2.0 */
/*
 * A small streaming JSON writer for `--json` output: exact for scripts,
 * one document per command.
 */
#ifndef KESP_JSON_H
#define KESP_JSON_H

#include <stdint.h>
#include <stdio.h>

struct json {
	FILE *out;
	int depth;
	/* Whether the container at each depth already holds a member. */
	unsigned char nonempty[16];
};

void json_init(struct json *j, FILE *out);
void json_object_begin(struct json *j, const char *key);
void json_object_end(struct json *j);
void json_array_begin(struct json *j, const char *key);
void json_array_end(struct json *j);
void json_string(struct json *j, const char *key, const char *value);
void json_uint(struct json *j, const char *key, uint64_t value);
void json_int(struct json *j, const char *key, int64_t value);
/* Writes S as a JSON string literal, quotes included. */
void json_write_string(FILE *out, const char *s);

#endif /* KESP_JSON_H */
