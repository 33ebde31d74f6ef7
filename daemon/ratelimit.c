/* SPDX-License-Identifier: ISC */
/*
 * ratelimit.c: fixed windows per sender (see ratelimit.h). A fixed window
 * rather than a token bucket, because the report it makes ("N records from
 * T1 to T2") must describe exactly one window.
 */
#include "ratelimit.h"

void
ratelimit_flush(struct ratelimit *rl, struct ratelimit_report *report)
{
	report->pid = rl->pid;
	report->n = rl->dropped;
	report->first_ns = rl->first_ns;
	report->last_ns = rl->last_ns;
	rl->dropped = 0;
}

bool
ratelimit_due(const struct ratelimit *rl, unsigned interval_ms,
    int64_t now_ns)
{
	return rl->dropped > 0 &&
	    now_ns - rl->window_ns >= (int64_t)interval_ms * 1000000;
}

bool
ratelimit_check(struct ratelimit *rl, unsigned interval_ms, unsigned burst,
    int64_t now_ns, struct ratelimit_report *report)
{
	report->n = 0;
	if (burst == 0)
		return true;
	if (rl->window_ns == 0 ||
	    now_ns - rl->window_ns >= (int64_t)interval_ms * 1000000) {
		if (rl->dropped > 0)
			ratelimit_flush(rl, report);
		rl->window_ns = now_ns;
		rl->passed = 0;
	}
	if (rl->passed < burst) {
		rl->passed++;
		return true;
	}
	if (rl->dropped == 0)
		rl->first_ns = now_ns;
	rl->dropped++;
	rl->last_ns = now_ns;
	return false;
}
