/* SPDX-License-Identifier: GPL-2.0 */
/*
 * kespctl and ikehelper's control socket (see ike.c, and
 * ikehelper/control.c for the line protocol): kespctl ike, and the IKE
 * part of kespctl show and kespctl monitor.
 */
#ifndef KESP_IKE_CMD_H
#define KESP_IKE_CMD_H

#include <stdbool.h>
#include <stdio.h>

#include "ctl.h"
#include "json.h"

#define IKE_RECORD_FIELDS 32

/* One record line ("ike k=v ...", "child ...", "event ..."), unescaped. */
struct ike_record {
	bool child;
	size_t n;
	char *key[IKE_RECORD_FIELDS], *val[IKE_RECORD_FIELDS];
};

/* ikehelper's answer to "list": each IKE SA followed by its CHILD SAs. */
struct ike_listing {
	struct ike_record *r;
	size_t n, cap;
};

/* ARGV: the words after "ike". Exit status: 0, 1 (ikehelper said no or
 * could not be reached), 2 (usage). */
int cmd_ike(struct ctl *c, int argc, char **argv);

/* $KESP_IKEHELPER_SOCKET, or /run/kesp/ikehelper.sock. */
const char *ike_socket_path(void);
/* A connected socket, or -1 (said on stderr unless QUIET). */
int ike_connect(const char *path, bool quiet);
/* The SAs into L; 0, or EXIT_KERNEL (said on stderr unless QUIET). */
int ike_list(const char *path, struct ike_listing *l, bool quiet);
void ike_listing_free(struct ike_listing *l);
/* The fields of LINE (after its kind word) into R; 0 or -1. */
int ike_record_parse(char *line, struct ike_record *r);
void ike_record_free(struct ike_record *r);
/* A field's value, or "" when R lacks it. */
const char *ike_record_get(const struct ike_record *r, const char *key);
/* R's fields as JSON members: numbers as numbers, endpoints split,
 * selectors as arrays. */
void ike_json_record(struct json *j, const struct ike_record *r);
/* "ike_sas": [ { ..., "child_sas": [ ... ] } ] into the open object J. */
void ike_json_sas(struct json *j, const struct ike_listing *l);
void ike_print_human(FILE *f, const struct ike_listing *l);
/* A daemon event record, one line (or one JSON document). */
void ike_print_event(FILE *f, const struct ike_record *r, bool json);

#endif /* KESP_IKE_CMD_H */
