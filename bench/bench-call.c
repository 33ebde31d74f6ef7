/* SPDX-License-Identifier: ISC */
/*
 * bench-call.c: the cost of one log call in the application's thread, for
 * the four ways to make it, in the same run against the same daemon:
 * ASYNCLOG() (deferred formatting), asynclog_log(), asynclog_write() of a
 * 48-byte constant, and snprintf() of the same message alone.
 *
 * Two measures per form. Batch: the time of 1000 calls divided by 1000,
 * median over the batches (what a call costs in a loop). One by one: each
 * call timed alone with CLOCK_MONOTONIC, the clock's own cost included,
 * p50/p99/p99.9 (what a call costs at its worst). The forms take turns
 * batch by batch, so they share the machine's moods; between batches a
 * flush (not timed) empties the thread's ring, so no call is timed
 * against a full one (drops are counted and reported anyway).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>

#include "asynclog.h"
#include "bench.h"

#define CALL_BATCH	1000
#define CALL_FORMS	5

static const char *const call_names[CALL_FORMS] = {
	"ASYNCLOG (deferred)", "asynclog_log", "asynclog_write (48 B)",
	"snprintf alone", "clock alone",
};

static inline uint64_t
call_now(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static int
call_cmp(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;

	return x < y ? -1 : x > y;
}

/* One call of form f; i varies the arguments. */
static inline void
call_one(asynclog_t *h, int f, unsigned i, char *buf)
{
	static const char user[] = "alice";
	static const char line[] = "request 12345 took 42 ms for user alice 0123";

	switch (f) {
	case 0:
		ASYNCLOG(h, LOG_INFO, "request %d took %d ms for user %s",
		    (int)i, (int)(i & 1023), user);
		break;
	case 1:
		asynclog_log(h, LOG_INFO, "request %d took %d ms for user %s",
		    (int)i, (int)(i & 1023), user);
		break;
	case 2:
		asynclog_write(h, LOG_INFO, line, 48);
		break;
	case 3:
		snprintf(buf, 128, "request %d took %d ms for user %s",
		    (int)i, (int)(i & 1023), user);
		__asm__ volatile("" : : "r"(buf) : "memory");
		break;
	default:
		break;
	}
}

int
call_latency(const char *sock, unsigned batches)
{
	uint64_t *one[CALL_FORMS], *batch[CALL_FORMS], t0, t1;
	asynclog_t *h;
	char buf[128];
	unsigned b, i, k;
	int f;

	if ((h = asynclog_open(sock, "bench", 0)) == NULL ||
	    asynclog_flush(h, 5000) == -1) {
		fprintf(stderr, "asynclog-bench: cannot reach %s\n", sock);
		return -1;
	}
	for (f = 0; f < CALL_FORMS; f++) {
		one[f] = calloc((size_t)batches * CALL_BATCH, sizeof(uint64_t));
		batch[f] = calloc(batches, sizeof(uint64_t));
		if (one[f] == NULL || batch[f] == NULL)
			return -1;
	}
	/* Warm up: every call site parsed, every cache line touched. */
	for (f = 0; f < CALL_FORMS; f++)
		for (i = 0; i < CALL_BATCH; i++)
			call_one(h, f, i, buf);
	asynclog_flush(h, 5000);

	for (b = 0; b < batches; b++) {
		for (k = 0; k < CALL_FORMS; k++) {
			f = (int)((k + b) % CALL_FORMS);
			t0 = call_now();
			for (i = 0; i < CALL_BATCH; i++)
				call_one(h, f, b * CALL_BATCH + i, buf);
			t1 = call_now();
			batch[f][b] = t1 - t0;
			asynclog_flush(h, 5000);
			for (i = 0; i < CALL_BATCH; i++) {
				t0 = call_now();
				call_one(h, f, b * CALL_BATCH + i, buf);
				t1 = call_now();
				one[f][b * CALL_BATCH + i] = t1 - t0;
			}
			asynclog_flush(h, 5000);
		}
	}
	printf("\ncall latency: %u batches of %d calls per form, one thread, "
	    "\"request %%d took %%d ms for user %%s\"\n", batches, CALL_BATCH);
	printf("%-22s %14s %10s %10s %10s\n", "form", "batch ns/call",
	    "p50 ns", "p99 ns", "p99.9 ns");
	for (f = 0; f < CALL_FORMS; f++) {
		size_t n = (size_t)batches * CALL_BATCH;

		qsort(batch[f], batches, sizeof(uint64_t), call_cmp);
		qsort(one[f], n, sizeof(uint64_t), call_cmp);
		printf("%-22s %14.1f %10ju %10ju %10ju\n", call_names[f],
		    batch[f][batches / 2] / (double)CALL_BATCH,
		    (uintmax_t)one[f][n / 2], (uintmax_t)one[f][n * 99 / 100],
		    (uintmax_t)one[f][n * 999 / 1000]);
		free(one[f]);
		free(batch[f]);
	}
	printf("(one by one includes the clock: see \"clock alone\"); records "
	    "dropped by the library: %ju\n", (uintmax_t)asynclog_dropped(h));
	asynclog_close(h);
	return 0;
}
