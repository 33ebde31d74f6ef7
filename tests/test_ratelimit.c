/* SPDX-License-Identifier: ISC */
/*
 * test_ratelimit.c: per-sender windows: the burst passes, the rest is
 * dropped, and each window's drops are reported exactly once, in the log
 * itself, for datagram senders and for connections.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"
#include "ratelimit.h"

#define MS	1000000LL

Test(ratelimit, the_burst_passes_the_rest_is_dropped_and_reported_once)
{
	struct ratelimit rl = { .pid = 42 };
	struct ratelimit_report rep;
	int i, passed = 0;

	for (i = 0; i < 1000; i++)
		passed += ratelimit_check(&rl, 1000, 100, 5000 * MS + i, &rep);
	cr_assert_eq(passed, 100);
	cr_assert_eq(rep.n, 0, "reported before the window ended");
	cr_assert(ratelimit_due(&rl, 1000, 6000 * MS));
	cr_assert_not(ratelimit_due(&rl, 1000, 5999 * MS));
	/* The next window: the record passes, and the last window's 900
	 * drops come out once, with their time range. */
	cr_assert(ratelimit_check(&rl, 1000, 100, 6000 * MS, &rep));
	cr_assert_eq(rep.n, 900);
	cr_assert_eq(rep.pid, 42);
	cr_assert_eq(rep.first_ns, 5000 * MS + 100);
	cr_assert_eq(rep.last_ns, 5000 * MS + 999);
	cr_assert(ratelimit_check(&rl, 1000, 100, 6001 * MS, &rep));
	cr_assert_eq(rep.n, 0);
	ratelimit_flush(&rl, &rep);
	cr_assert_eq(rep.n, 0);
}

Test(ratelimit, burst_zero_means_no_limit)
{
	struct ratelimit rl = { .pid = 1 };
	struct ratelimit_report rep;
	int i;

	for (i = 0; i < 100000; i++)
		cr_assert(ratelimit_check(&rl, 1000, 0, i, &rep));
	cr_assert_not(ratelimit_due(&rl, 1000, 1000000 * MS));
}

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

static bool
file_mentions(struct hd *dd, void *what)
{
	char *text = file_read(hd_path(dd, "main.log"), NULL);
	bool found = text != NULL && strstr(text, what) != NULL;

	free(text);
	return found;
}

static long
count_in(const char *path, const char *what)
{
	char *text = file_read(path, NULL), *p;
	long n = 0;

	for (p = text; p != NULL && (p = strstr(p, what)) != NULL; p++)
		n++;
	free(text);
	return n;
}

#define RL_CONF								\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"ratelimit = { interval_ms = 2000; burst = 100; };\n"		\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

Test(ratelimit, a_chatty_datagram_sender_is_limited_and_the_log_says_how_much,
    .fini = daemon_down, .timeout = 60)
{
	hd_start(&d, RL_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	cr_assert_eq(run("seq 1 1000 | logger -u %s -t chatty",
	    hd_path(&d, "dgram.sock")), 0);
	/* The window ends even with no more datagrams: the report comes. */
	cr_assert(hd_wait(file_mentions, &d, "records rate-limited", 10000),
	    "no rate-limit report in the log");
	cr_assert_eq(count_in(hd_path(&d, "main.log"), "chatty"), 100);
	cr_assert_eq(count_in(hd_path(&d, "main.log"),
	    ": 900 records rate-limited from "), 1);
	cr_assert_eq(hd_stat(&d, "total.dropped.rate_limited"), 900);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

Test(ratelimit, a_connection_is_limited_and_its_last_window_reported_on_close,
    .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h;
	int i;

	hd_start(&d, RL_CONF);
	h = asynclog_open(d.sock, "chatty", ASYNCLOG_BLOCK);
	for (i = 0; i < 1000; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "line %d", i);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	cr_assert(hd_wait(file_mentions, &d, "records rate-limited", 5000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(count_in(hd_path(&d, "main.log"), "chatty["), 100);
	/* Reported exactly: one report or several windows, 900 in all. */
	{
		char *text = file_read(hd_path(&d, "main.log"), NULL), *p;
		long sum = 0, n;

		for (p = text; (p = strstr(p, "): ")) != NULL; p++)
			if (sscanf(p, "): %ld records rate-limited", &n) == 1)
				sum += n;
		free(text);
		cr_assert_eq(sum, 900);
	}
}

Test(ratelimit, without_a_ratelimit_section_nothing_is_limited,
    .fini = daemon_down, .timeout = 60)
{
	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	cr_assert_eq(run("seq 1 1000 | logger -u %s -t chatty",
	    hd_path(&d, "dgram.sock")), 0);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(count_in(hd_path(&d, "main.log"), "chatty"), 1000);
}
