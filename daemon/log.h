/* SPDX-License-Identifier: ISC */
/*
 * log.h: asynclogd's own diagnostics, to stderr (the journal under systemd).
 *
 * Start-up errors use log_fatal and exit. At run time a failure is a counted
 * drop plus at most one line here per state change or per rate-limit window:
 * an error storm would fill the very disk that is full.
 */
#ifndef ASYNCLOG_LOG_H
#define ASYNCLOG_LOG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

void	log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void	log_fatal(int status, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3), noreturn));

/*
 * A rate limit for a class of messages: log_ratelimit_ok() says whether a
 * message may be printed now (at most burst per interval); suppressed
 * messages are counted and reported with the next one printed.
 */
struct log_ratelimit {
	int64_t		 window_start_ns;
	unsigned	 interval_ms;
	unsigned	 burst;
	unsigned	 printed;
	uint64_t	 suppressed;
};
#define LOG_RATELIMIT_INIT(ms, burst)	{ 0, (ms), (burst), 0, 0 }

void	log_limited(struct log_ratelimit *, const char *fmt, ...)
	    __attribute__((format(printf, 2, 3)));

#endif
