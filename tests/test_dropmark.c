/* SPDX-License-Identifier: ISC */
/*
 * test_dropmark.c: every kind of drop leaves a line in the log. Records
 * the daemon drops itself because of what a sender sent (above
 * max_record, malformed) are summed per sender and window and said once
 * per window, like the rate-limit report, so `grep` on the log finds them
 * and the numbers add up to the counters.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

#define DM_CONF								\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/dgram.sock\";\n"			\
	"  syslog_stream = \"@DIR@/stream.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 20; max_record = \"1K\"; };\n"	\
	"ratelimit = { interval_ms = 1000; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

static void
dm_up(void)
{
	hd_start(&d, DM_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	cr_assert(hd_wait(hd_socket_ready, &d, "stream.sock", 10000));
}

/* The sum of N over every "WHO: dropped N records (REASON)" in the log. */
static long
dm_reported(const char *reason)
{
	char *text = file_read(hd_path(&d, "main.log"), NULL), *p, *q;
	char tail[64];
	long sum = 0, n;

	snprintf(tail, sizeof(tail), " records (%s) from ", reason);
	for (p = text; p != NULL && (p = strstr(p, ": dropped ")) != NULL;
	    p++) {
		n = strtol(p + strlen(": dropped "), &q, 10);
		if (strncmp(q, tail, strlen(tail)) == 0)
			sum += n;
	}
	free(text);
	return sum;
}

struct dm_want {
	const char	*reason;
	long		 n;
};

static bool
dm_reported_all(struct hd *hd, void *arg)
{
	struct dm_want *w = arg;

	(void)hd;
	return dm_reported(w->reason) >= w->n;
}

Test(dropmark, oversize_datagrams_are_summed_in_one_line_per_window,
    .init = dm_up, .fini = daemon_down, .timeout = 60)
{
	struct dm_want w = { "too_large", 5 };
	char msg[2000];
	int i;

	memset(msg, 'a', sizeof(msg));
	memcpy(msg, "<13>big: ", 9);
	for (i = 0; i < 5; i++)
		hd_send_dgram(hd_path(&d, "dgram.sock"), msg, sizeof(msg));
	hd_send_dgram(hd_path(&d, "dgram.sock"), "<13>small: end", 14);
	cr_assert(hd_wait(dm_reported_all, &d, &w, 10000),
	    "the log says %ld of 5 too large datagrams",
	    dm_reported("too_large"));
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 5);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	/* Said once for all five, or once per window: never more. */
	cr_assert_eq(dm_reported("too_large"), 5);
	cr_assert_eq(run("grep -q 'pid [0-9]*: dropped [0-9]* records "
	    "(too_large) from ' %s", hd_path(&d, "main.log")), 0);
}

Test(dropmark, an_oversize_native_record_is_said_in_the_log_as_the_sender,
    .init = dm_up, .fini = daemon_down, .timeout = 60)
{
	struct dm_want w = { "too_large", 3 };
	asynclog_t *h;
	char big[2000];
	int i;

	memset(big, 'x', sizeof(big) - 1);
	big[sizeof(big) - 1] = '\0';
	cr_assert_not_null(h = asynclog_open(d.sock, "bigapp", ASYNCLOG_BLOCK));
	for (i = 0; i < 3; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "%s", big);
	asynclog_log(h, LOG_USER | LOG_INFO, "fits");
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert(hd_wait(dm_reported_all, &d, &w, 10000));
	asynclog_close(h);
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 3);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(dm_reported("too_large"), 3);
	/* Named as the connection names itself: pid and tag. */
	cr_assert_eq(run("grep -q '(bigapp): dropped 3 records (too_large)' %s",
	    hd_path(&d, "main.log")), 0);
}

Test(dropmark, an_oversize_syslog_stream_line_is_said_in_the_log,
    .init = dm_up, .fini = daemon_down, .timeout = 60)
{
	struct dm_want w = { "too_large", 2 };
	char line[3000];
	int fd, i;

	memset(line, 'y', sizeof(line));
	memcpy(line, "<13>long: ", 10);
	line[sizeof(line) - 1] = '\n';
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	for (i = 0; i < 2; i++)
		cr_assert_eq(write(fd, line, sizeof(line)), (ssize_t)sizeof(line));
	cr_assert_eq(write(fd, "<13>short: ok\n", 14), 14);
	close(fd);
	cr_assert(hd_wait(dm_reported_all, &d, &w, 10000));
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 2);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(dm_reported("too_large"), 2);
}

Test(dropmark, malformed_input_is_said_in_the_log,
    .init = dm_up, .fini = daemon_down, .timeout = 60)
{
	struct dm_want w = { "malformed", 2 };
	static const char junk[] = "\x01" "ALOG this is no native frame at all";
	int fd, i;

	/* Two connections of this process: one sender, summed. */
	for (i = 0; i < 2; i++) {
		cr_assert_neq(fd = unix_connect(d.sock), -1);
		cr_assert_eq(write(fd, junk, sizeof(junk)),
		    (ssize_t)sizeof(junk));
		close(fd);
	}
	cr_assert(hd_wait(dm_reported_all, &d, &w, 10000),
	    "the log says %ld of 2 malformed", dm_reported("malformed"));
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 2);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(dm_reported("malformed"), 2);
}
