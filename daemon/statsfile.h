/* SPDX-License-Identifier: ISC */
/*
 * statsfile.h: the counters, every stats.interval, where monitoring looks
 * for them without asking: rewritten in Prometheus' text format at
 * stats.file (for node_exporter's textfile collector; the writing is done
 * by statswriter.h's thread), and with stats.log one record per line of
 * the text form in the log itself ("stats: output main ...", as rsyslog's
 * impstats does). Reads the running configuration at each interval, so a
 * reload may turn either on or off. Loop thread only.
 */
#ifndef ASYNCLOG_STATSFILE_H
#define ASYNCLOG_STATSFILE_H

struct event_base;
struct route;
struct statsfile;

struct statsfile *statsfile_new(struct event_base *, struct route *);

/* The last word: the final counters into the file, then free. */
void	statsfile_free(struct statsfile *);

#endif
