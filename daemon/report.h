/* SPDX-License-Identifier: ISC */
/*
 * report.h: the one place that words the records asynclogd writes about
 * itself into the logs (drop markers, client drop reports, rate-limit
 * reports), so every such line reads the same way in every file and `grep`
 * finds it. Each report is a record of asynclogd (facility syslog, tag
 * asynclogd, LOG_WARNING) attributed to the daemon's own pid, uid and gid;
 * a caller that speaks for a client may attribute it to that client instead
 * by setting rec.pid/uid/gid afterwards.
 *
 * Pure functions with no shared state: callable from the loop and from
 * writer threads alike. The record borrows msg, so it lives as long as the
 * struct report does.
 */
#ifndef ASYNCLOG_REPORT_H
#define ASYNCLOG_REPORT_H

#include <stdint.h>

#include "record.h"

struct ratelimit_report;
struct tally;

struct report {
	struct record	 rec;
	char		 msg[512];
};

/* "client WHO dropped N records from T1 to T2" */
void	report_client_dropped(struct report *, const char *who, uint64_t n,
	    int64_t since_ns, int64_t until_ns);

/* "WHO: dropped N records (REASON) from T1 to T2": the daemon's own
 * drops of what WHO sent (too large, malformed) */
void	report_input_dropped(struct report *, const char *who, uint64_t n,
	    const char *reason, int64_t since_ns, int64_t until_ns);

/* "WHO: N records rate-limited from T1 to T2 (limit B per I ms)" */
void	report_rate_limited(struct report *, const char *who,
	    const struct ratelimit_report *, unsigned burst,
	    unsigned interval_ms);

/* "stats: LINE", a line of the text counters (statsfile.h), at LOG_INFO */
void	report_stats(struct report *, const char *line);

/* The drop marker of an output that could not write:
 * "dropped N records (REASON) from T1 to T2; most from pid 42 (1200), ..." */
void	report_output_dropped(struct report *, uint64_t n, const char *reason,
	    int64_t first_ns, int64_t last_ns, const struct tally *senders);

#endif
