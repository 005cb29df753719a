// SPDX-License-Identifier: GPL-2.0
#include <stdio.h>

#include "ctl.h"

struct kesp_nl *ctl_nl(struct ctl *c)
{
	if (!c->nl_open) {
		if (kesp_nl_open(&c->nl) < 0) {
			fprintf(stderr, "kespctl: %s\n", c->nl.error);
			return NULL;
		}
		c->nl_open = true;
	}
	return &c->nl;
}

void ctl_end(struct ctl *c)
{
	if (c->nl_open)
		kesp_nl_close(&c->nl);
	c->nl_open = false;
}
