/*
 * stats.h: the counters behind the accounting invariant
 *
 *     received = written + dropped[every reason] + buffered
 *
 * which holds for every output and for the total at every instant the loop
 * thread can observe (counters move together, on the loop thread, when a
 * chunk completes). Replies to STATS frames and SIGUSR1 are built here.
 */
#ifndef ASYNCLOG_STATS_H
#define ASYNCLOG_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum drop_reason {
	DROP_DISK_FULL,		/* ENOSPC, EDQUOT, EFBIG, keep_free, write error */
	DROP_OVERFLOW,		/* buffer full with overflow = "drop" */
	DROP_TOO_LARGE,		/* record above max_record */
	DROP_MALFORMED,		/* bad frame; the connection is closed */
	DROP_RATE_LIMITED,	/* reserved for per-sender rate limits */
	DROP_CLIENT,		/* the client library reported dropping them */
	DROP_NO_OUTPUT,		/* no output's match selector took the record */
	DROP_NREASONS
};

struct counters {
	uint64_t	 received;
	uint64_t	 written;
	uint64_t	 buffered;
	uint64_t	 dropped[DROP_NREASONS];
};

/* Drops that happen before a record reaches any output. */
extern struct counters stats_input;
extern struct counters stats_retired;	/* outputs removed by reloads */
extern uint64_t stats_connections;	/* accepted since start */
extern uint64_t stats_clients;		/* connected now */
extern int64_t	stats_start_ns;

uint64_t stats_dropped_total(const struct counters *);
/* received == written + dropped + buffered */
bool	stats_balanced(const struct counters *);
void	stats_add(struct counters *sum, const struct counters *);

/* Count n records dropped before routing (received and dropped at once). */
void	stats_input_drop(enum drop_reason, uint64_t n);

/*
 * Render every counter as text (one line per output, then the total) or as
 * a JSON object. Returns a malloc'd NUL-terminated string (caller frees) or
 * NULL when out of memory.
 */
struct server;
char	*stats_render(struct server *, bool json);

/* The total over every output (live, retiring, retired) and the input. */
void	stats_total(struct server *, struct counters *total);

#endif
