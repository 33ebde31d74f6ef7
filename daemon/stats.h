/* SPDX-License-Identifier: ISC */
/*
 * stats.h: the daemon's counters as people and programs read them: the
 * text and JSON replies to STATS frames and SIGUSR1, and the total over
 * every output (counters.h has the counters themselves). Loop thread only.
 */
#ifndef ASYNCLOG_STATS_H
#define ASYNCLOG_STATS_H

#include <stdbool.h>

#include "counters.h"

/*
 * Render every counter as text (one line per output, then the total) or as
 * a JSON object. Returns a malloc'd NUL-terminated string (caller frees) or
 * NULL when out of memory.
 */
enum stats_format {
	STATS_TEXT,
	STATS_JSON,
	STATS_PROMETHEUS,	/* text exposition format 0.0.4 */
};

struct route;
char	*stats_render(const struct route *, enum stats_format);

/* The total over every output (live, retiring, retired) and the input. */
void	stats_total(const struct route *, struct counters *total);

#endif
