/* SPDX-License-Identifier: GPL-2.0 */
/* What main.c keeps for the whole module: the count of live objects. */
#ifndef KESP_MAIN_H
#define KESP_MAIN_H

#include <linux/percpu.h>

/*
 * Objects whose lives end in callbacks, work items or completions, counted
 * per CPU so that unload can tell whether any was leaked (main.c): Debian's
 * kernels have no kmemleak, and SLUB checks only caches a module owns.
 */
enum kesp_obj {
	KESP_OBJ_SA,
	KESP_OBJ_PACKET,	/* an ESP request in flight, sync or async */
	KESP_OBJ_TRAP,
	KESP_OBJ_ENCAP_SOCK,
	KESP_OBJ_COUNT
};

DECLARE_PER_CPU(long [KESP_OBJ_COUNT], kesp_live_objs);

static inline void kesp_obj_new(enum kesp_obj kind)
{
	this_cpu_inc(kesp_live_objs[kind]);
}

static inline void kesp_obj_gone(enum kesp_obj kind)
{
	this_cpu_dec(kesp_live_objs[kind]);
}

#endif /* KESP_MAIN_H */
