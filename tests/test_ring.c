/* SPDX-License-Identifier: ISC */
/*
 * test_ring.c: libasynclog's ring size, a per-handle option
 * (ASYNCLOG_RING_LOG2 at open, or $ASYNCLOG_RING_SIZE). While the daemon is
 * away nothing drains the ring, so a burst either fits in it or is partly
 * dropped (counted): the default 256 KiB ring drops part of a 1 MiB burst,
 * a 4 MiB ring keeps all of it, and every record of it lands in the file
 * once the real daemon starts.
 */
#include <criterion/criterion.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include "asynclog.h"
#include "harness.h"

#define BURST_RECORDS	1024
#define BURST_MSG	1000		/* about 1 MiB in all, with headers */

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

/* The burst, while nothing drains the ring; returns how many were kept. */
static int
ring_burst(asynclog_t *h)
{
	char msg[BURST_MSG], head[32];
	unsigned i;
	int hl, kept = 0;

	memset(msg, 'x', sizeof(msg));
	for (i = 0; i < BURST_RECORDS; i++) {
		hl = snprintf(head, sizeof(head), "burst %05u ", i);
		memcpy(msg, head, (size_t)hl);
		kept += asynclog_write(h, LOG_INFO, msg, sizeof(msg)) == 0;
	}
	return kept;
}

Test(ring, the_default_ring_drops_part_of_a_burst_and_counts_it,
    .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h;
	int kept;

	hd_prepare(&d, HD_CONF_BASIC);
	unsetenv("ASYNCLOG_RING_SIZE");
	cr_assert_not_null(h = asynclog_open(d.sock, "ring", 0));
	kept = ring_burst(h);
	cr_assert_lt(kept, BURST_RECORDS, "a 1 MiB burst fit in 256 KiB");
	cr_assert_eq(asynclog_dropped(h), (uint64_t)(BURST_RECORDS - kept));
	asynclog_close(h);
}

static void
ring_burst_lands(asynclog_t *h)
{
	cr_assert_eq(ring_burst(h), BURST_RECORDS, "the burst did not fit");
	cr_assert_eq(asynclog_dropped(h), 0);
	hd_restart(&d);
	cr_assert_eq(asynclog_flush(h, 30000), 0, "flush: %s",
	    strerror(errno));
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), BURST_RECORDS,
	    30000));
	cr_assert_eq(run("grep -c 'burst 0' %s | grep -qx %d",
	    hd_path(&d, "main.log"), BURST_RECORDS), 0);
	asynclog_close(h);
}

Test(ring, a_bigger_ring_from_the_open_flag_keeps_the_whole_burst,
    .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h;

	hd_prepare(&d, HD_CONF_BASIC);
	unsetenv("ASYNCLOG_RING_SIZE");
	cr_assert_not_null(h = asynclog_open(d.sock, "ring",
	    ASYNCLOG_RING_LOG2(22)));
	ring_burst_lands(h);
}

Test(ring, a_bigger_ring_from_the_environment_keeps_the_whole_burst,
    .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h;

	hd_prepare(&d, HD_CONF_BASIC);
	cr_assert_eq(setenv("ASYNCLOG_RING_SIZE", "3M", 1), 0);	/* 4 MiB */
	cr_assert_not_null(h = asynclog_open(d.sock, "ring", 0));
	ring_burst_lands(h);
}

Test(ring, a_ring_size_out_of_range_in_the_flag_is_refused)
{
	errno = 0;
	cr_assert_null(asynclog_open("/nonexistent", "ring",
	    ASYNCLOG_RING_LOG2(12)));
	cr_assert_eq(errno, EINVAL);
	cr_assert_null(asynclog_open("/nonexistent", "ring",
	    ASYNCLOG_RING_LOG2(31)));
	cr_assert_eq(errno, EINVAL);
}
