/* SPDX-License-Identifier: ISC */
/*
 * clock.h: the daemon's two clocks, in nanoseconds. Wall time stamps records
 * and markers; monotonic time measures intervals (deadlines, probe cadence,
 * rate-limit diagnostics) so a clock step never stretches or skips one.
 * Safe on any thread.
 */
#ifndef ASYNCLOG_CLOCK_H
#define ASYNCLOG_CLOCK_H

#include <stdint.h>

int64_t	clock_now_ns(void);	/* CLOCK_REALTIME */
int64_t	clock_mono_ns(void);	/* CLOCK_MONOTONIC */

#endif
