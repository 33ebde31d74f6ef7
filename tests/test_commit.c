/* SPDX-License-Identifier: ISC */
/*
 * test_commit.c: flushing is group commit. A record goes to the file as
 * soon as the daemon has no more input ready, not when flush_interval_ms
 * next ticks: here that interval is 10 s and every record must be in the
 * file well before it (a deadline of 3 s, so a loaded machine still passes
 * and a timer-only daemon cannot).
 */
#include <stdio.h>
#include <syslog.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"

#define COMMIT_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 10000; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

#define COMMIT_DEADLINE_MS	3000

static struct hd d;

static void
daemon_up(void)
{
	hd_start(&d, COMMIT_CONF);
}

static void
daemon_down(void)
{
	hd_stop(&d);
}

Test(commit, a_cli_record_is_in_the_file_long_before_flush_interval_ms,
    .init = daemon_up, .fini = daemon_down, .timeout = 30)
{
	cr_assert_eq(run("%s -u %s -t committag 'at once'", hd_bin("asynclog"),
	    d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, COMMIT_DEADLINE_MS),
	    "the record waited for the flush interval");
	cr_assert_eq(run("grep -q 'committag\\[[0-9]*\\]: at once$' %s",
	    hd_path(&d, "main.log")), 0);
}

Test(commit, a_datagram_is_in_the_file_long_before_flush_interval_ms,
    .init = daemon_up, .fini = daemon_down, .timeout = 30)
{
	static const char msg[] = "<13>dgramtag: at once";

	hd_send_dgram(hd_path(&d, "dgram.sock"), msg, sizeof(msg) - 1);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, COMMIT_DEADLINE_MS),
	    "the datagram waited for the flush interval");
}

/*
 * Records that come one at a time, each while the one before may still be
 * in the writer's hands: the commit that had to wait for the writer is not
 * forgotten when the writer gives its chunk back.
 */
Test(commit, records_arriving_while_the_sink_writes_follow_at_once,
    .init = daemon_up, .fini = daemon_down, .timeout = 30)
{
	asynclog_t *h = asynclog_open(d.sock, "trickle", ASYNCLOG_BLOCK);
	int i;

	cr_assert_not_null(h);
	for (i = 0; i < 200; i++) {
		cr_assert_eq(asynclog_log(h, LOG_USER | LOG_INFO, "record %d", i),
		    0);
		cr_assert_eq(asynclog_flush(h, 10000), 0);
	}
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 200,
	    COMMIT_DEADLINE_MS), "%zu of 200 records in the file",
	    file_lines(hd_path(&d, "main.log")));
	asynclog_close(h);
}
