/* SPDX-License-Identifier: ISC */
/*
 * report.c: wording of asynclogd's own records (see report.h).
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "clock.h"
#include "format.h"
#include "ratelimit.h"
#include "report.h"
#include "tally.h"

/* Fill r->msg with the text and r->rec as a record of asynclogd carrying it. */
static void __attribute__((format(printf, 2, 3)))
report_set(struct report *r, const char *fmt, ...)
{
	struct record *rec = &r->rec;
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(r->msg, sizeof(r->msg), fmt, ap);
	va_end(ap);
	if (n < 0)
		n = 0;
	memset(rec, 0, sizeof(*rec));
	rec->time_ns = clock_now_ns();
	rec->facility = LOG_SYSLOG >> 3;
	rec->severity = LOG_WARNING;
	rec->pid = getpid();
	rec->uid = getuid();
	rec->gid = getgid();
	rec->tag = "asynclogd";
	rec->tag_len = strlen(rec->tag);
	rec->msg = r->msg;
	rec->msg_len = (size_t)n < sizeof(r->msg) ? (size_t)n :
	    sizeof(r->msg) - 1;
}

/* A time as the formats print it; an unprintable one is empty, not junk. */
struct report_time {
	char	 s[64];
	int	 len;
};

static struct report_time
report_time(int64_t ns)
{
	struct report_time t;
	ssize_t n = format_time(ns, t.s, sizeof(t.s));

	t.len = n < 0 ? 0 : (int)n;
	return t;
}

void
report_client_dropped(struct report *r, const char *who, uint64_t n,
    int64_t since_ns, int64_t until_ns)
{
	struct report_time t1 = report_time(since_ns), t2 = report_time(until_ns);

	report_set(r, "client %s dropped %llu records from %.*s to %.*s", who,
	    (unsigned long long)n, t1.len, t1.s, t2.len, t2.s);
}

void
report_input_dropped(struct report *r, const char *who, uint64_t n,
    const char *reason, int64_t since_ns, int64_t until_ns)
{
	struct report_time t1 = report_time(since_ns), t2 = report_time(until_ns);

	report_set(r, "%s: dropped %llu records (%s) from %.*s to %.*s", who,
	    (unsigned long long)n, reason, t1.len, t1.s, t2.len, t2.s);
}

void
report_rate_limited(struct report *r, const char *who,
    const struct ratelimit_report *rep, unsigned burst, unsigned interval_ms)
{
	struct report_time t1 = report_time(rep->first_ns);
	struct report_time t2 = report_time(rep->last_ns);

	report_set(r, "%s: %llu records rate-limited from %.*s to %.*s (limit "
	    "%u per %u ms)", who, (unsigned long long)rep->n, t1.len, t1.s,
	    t2.len, t2.s, burst, interval_ms);
}

void
report_stats(struct report *r, const char *line)
{
	report_set(r, "stats: %s", line);
	r->rec.severity = LOG_INFO;
}

void
report_output_dropped(struct report *r, uint64_t n, const char *reason,
    int64_t first_ns, int64_t last_ns, const struct tally *senders)
{
	struct report_time t1 = report_time(first_ns), t2 = report_time(last_ns);
	char top[160];

	tally_top(senders, 3, top, sizeof(top));
	report_set(r, "dropped %llu records (%s) from %.*s to %.*s%s%s",
	    (unsigned long long)n, reason, t1.len, t1.s, t2.len, t2.s,
	    top[0] != '\0' ? "; most from " : "", top);
}
