/* SPDX-License-Identifier: ISC */
/*
 * ratelimit.h: an opt-in limit on how many records one sender may log per
 * window (config: ratelimit { interval_ms; burst; }). Records past the burst
 * are dropped and counted as rate_limited, and when the window ends the log
 * says so itself: "pid 42 (app): 1234 records rate-limited from T1 to T2".
 *
 * Pure bookkeeping, no I/O: a connection keeps one struct ratelimit, the
 * datagram input a small table of them keyed by pid.
 */
#ifndef ASYNCLOG_RATELIMIT_H
#define ASYNCLOG_RATELIMIT_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

struct ratelimit {
	pid_t		 pid;
	int64_t		 window_ns;	/* start of the current window, 0 = none */
	uint64_t	 passed;	/* let through in this window */
	uint64_t	 dropped;	/* dropped in this window, not reported yet */
	int64_t		 first_ns;	/* first and last of those */
	int64_t		 last_ns;
};

/* What a finished window dropped, to be reported; n == 0 means nothing. */
struct ratelimit_report {
	pid_t		 pid;
	uint64_t	 n;
	int64_t		 first_ns;
	int64_t		 last_ns;
};

/*
 * One record from this sender at now_ns: returns true when it may pass,
 * false when it is over the burst (the caller counts the drop). When a
 * window with drops has ended, *report is filled (and the drops reset) so
 * the caller can log them before this record. burst 0 lets everything pass.
 */
bool	ratelimit_check(struct ratelimit *, unsigned interval_ms,
	    unsigned burst, int64_t now_ns, struct ratelimit_report *report);

/* The drops not reported yet, e.g. when the sender goes away; resets them. */
void	ratelimit_flush(struct ratelimit *, struct ratelimit_report *report);

/* Whether the window of rl has ended with drops still to report. */
bool	ratelimit_due(const struct ratelimit *, unsigned interval_ms,
	    int64_t now_ns);

#endif
