/* SPDX-License-Identifier: ISC */
/*
 * counters.h: the counters behind the accounting invariant
 *
 *     received = written + dropped[every reason] + buffered
 *
 * which holds for every output and for the total at every instant the loop
 * thread can observe: an output's counters move together, on the loop
 * thread, when a chunk comes back from its sink, and a drop before routing
 * is received and dropped in one step. Loop thread only.
 */
#ifndef ASYNCLOG_COUNTERS_H
#define ASYNCLOG_COUNTERS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum drop_reason {
	DROP_DISK_FULL,		/* ENOSPC, EDQUOT, EFBIG, keep_free, write error */
	DROP_OVERFLOW,		/* no buffer space, and not waited for */
	DROP_TOO_LARGE,		/* record above max_record, or above a chunk */
	DROP_MALFORMED,		/* bad frame; the connection is closed */
	DROP_RATE_LIMITED,	/* over its sender's ratelimit burst */
	DROP_CLIENT,		/* the client library reported dropping them */
	DROP_NO_OUTPUT,		/* no output's match selector took the record */
	DROP_SHUTDOWN,		/* still unread or undelivered at the drain deadline */
	DROP_UNDELIVERED,	/* a forward output stopped before its target took
				 * them; kafka: librdkafka gave up on them */
	DROP_KERNEL_OVERRUN,	/* overwritten in the kernel's log before read */
	DROP_SPOOL_FULL,	/* a forward output's spool was full (max_size, disk) */
	DROP_UDP_OVERRUN,	/* UDP datagrams the kernel dropped, its receive
				 * buffer full (SO_RXQ_OVFL) */
	DROP_NREASONS
};

struct counters {
	uint64_t	 received;
	uint64_t	 written;
	uint64_t	 buffered;
	uint64_t	 dropped[DROP_NREASONS];
};

extern struct counters counters_input;	/* drops before any output */
extern struct counters counters_retired;	/* outputs removed by reloads */
extern uint64_t counters_routed;	/* records at least one output took */
extern uint64_t counters_connections;	/* accepted since start */
extern uint64_t counters_clients;	/* connected now */
extern uint64_t counters_refused;	/* connections refused (client limits) */
extern size_t	counters_client_memory;	/* client read buffers now, bytes */
extern size_t	counters_client_memory_peak;
extern int64_t	counters_start_ns;	/* wall clock */
extern int64_t	counters_start_mono_ns;	/* for the uptime */

/* "disk_full", "overflow", ...: the name stats and docs use. */
const char *counters_reason_name(enum drop_reason);

/*
 * Records the inputs received, each once however many outputs took it:
 * those routed plus those dropped before any output (counters_input).
 * asynclogd's own records (reports) are routed, so they count here too.
 */
uint64_t counters_inputs_received(void);

uint64_t counters_dropped_total(const struct counters *);
/* received == written + dropped + buffered */
bool	counters_balanced(const struct counters *);
void	counters_add(struct counters *sum, const struct counters *);

/* Count n records dropped before routing (received and dropped at once). */
void	counters_input_drop(enum drop_reason, uint64_t n);

#endif
