/* SPDX-License-Identifier: ISC */
/*
 * test_stats.c: the counters as people read them. The records the inputs
 * received are shown once, each output's deliveries apart and labelled;
 * the text shows only drop reasons that are not zero and the uptime; the
 * final counters of an output that wrote say when and how much room was
 * left; and --stats at a syslog socket says what that socket is.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

#define STATS_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"	\
	"  { name = \"copy\"; path = \"@DIR@/copy.log\"; } );\n"

static bool
stat_at_least(struct hd *hd, void *arg)
{
	const char **kv = arg;

	return hd_stat(hd, kv[0]) >= atoll(kv[1]);
}

static void
stats_up(void)
{
	hd_start(&d, STATS_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
	cr_assert_eq(run("seq 1 75 | %s -u %s", hd_bin("asynclog"), d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "copy.log"), 75, 10000));
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 75, 10000));
}

Test(stats, the_inputs_records_are_shown_once_and_deliveries_per_output,
    .init = stats_up, .fini = daemon_down, .timeout = 30)
{
	const char *out = hd_path(&d, "stats.txt");

	cr_assert_eq(run("%s -u %s --stats > %s", hd_bin("asynclog"), d.sock,
	    out), 0);
	cr_assert_eq(run("grep -qx 'inputs received=75 routed=75 dropped=0' %s",
	    out), 0);
	cr_assert_eq(run("grep -q '^output main .* delivered=75 written=75 "
	    "buffered=0 dropped=0$' %s", out), 0);
	cr_assert_eq(run("grep -q '^output copy .* delivered=75 written=75 "
	    "buffered=0 dropped=0$' %s", out), 0);
	cr_assert_eq(run("grep -qx 'total delivered=150 written=150 buffered=0 "
	    "dropped=0 balanced=yes' %s", out), 0);
	/* JSON keeps the sums programs already read, and says the same. */
	cr_assert_eq(hd_stat(&d, "inputs_received"), 75);
	cr_assert_eq(hd_stat(&d, "total.received"), 150);
}

Test(stats, text_shows_uptime_and_only_the_drop_reasons_that_happened,
    .init = stats_up, .fini = daemon_down, .timeout = 30)
{
	const char *out = hd_path(&d, "stats.txt");

	const char *bad[] = { "total.dropped.malformed", "1" };
	int fd;

	cr_assert_neq(fd = unix_connect(d.sock), -1);
	cr_assert_eq(write(fd, "garbage!", 8), 8);
	close(fd);
	cr_assert(hd_wait(stat_at_least, &d, (void *)bad, 10000));
	cr_assert_eq(run("%s -u %s --stats > %s", hd_bin("asynclog"), d.sock,
	    out), 0);
	cr_assert_eq(run("grep -q ' started=[0-9-]*T[0-9:.+-]* "
	    "uptime=[0-9dhm]*[0-9][0-9]s ' %s", out), 0);
	cr_assert_neq(run("grep -q '=0 dropped\\.\\|dropped\\.[a-z_]*=0' %s",
	    out), 0, "a zero drop reason is shown");
	cr_assert_eq(run("grep -q 'dropped\\.disk_full' %s", out), 1);
	cr_assert_eq(run("grep -q '^inputs .* dropped=1 dropped.malformed=1$' "
	    "%s", out), 0);
	/* JSON and Prometheus keep every reason. */
	cr_assert_eq(hd_stat(&d, "outputs.main.dropped.disk_full"), 0);
	cr_assert_eq(run("%s -u %s --stats --prometheus | grep -q "
	    "'^asynclog_dropped_records_total{output=\"main\","
	    "reason=\"disk_full\"} 0$'", hd_bin("asynclog"), d.sock), 0);
	/* 75 records, the malformed one, and asynclogd's report of it. */
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 76, 10000));
	cr_assert_eq(run("%s -u %s --stats --prometheus | grep -qx "
	    "'asynclog_input_records_total 77'", hd_bin("asynclog"), d.sock),
	    0);
}

Test(stats, final_counters_keep_when_outputs_last_wrote_and_their_room,
    .init = stats_up, .fini = daemon_down, .timeout = 30)
{
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(run("grep -A9 'final counters:' %s | grep '^output main "
	    "state=stopped' | grep -q ' last_write=[0-9]' ", d.errlog), 0);
	cr_assert_eq(run("grep -A9 'final counters:' %s | grep '^output copy' "
	    "| grep -q ' free_bytes=[0-9]'", d.errlog), 0);
	cr_assert_neq(run("grep -A9 'final counters:' %s | grep -q "
	    "'last_write=-\\|free_bytes=-1'", d.errlog), 0);
}

Test(stats, at_a_syslog_datagram_socket_says_what_that_socket_is,
    .init = stats_up, .fini = daemon_down, .timeout = 30)
{
	const char *err = hd_path(&d, "err.txt");

	cr_assert_eq(run("%s -u %s --stats 2> %s", hd_bin("asynclog"),
	    hd_path(&d, "dgram.sock"), err), 1);
	cr_assert_eq(run("grep -q 'a syslog datagram socket (like /dev/log)' "
	    "%s", err), 0);
	cr_assert_neq(run("grep -q 'Protocol wrong type' %s", err), 0);
}

/* ---- stats.file and stats.log ---- */

static bool
file_says(struct hd *hd, void *arg)
{
	const char **pw = arg;
	char *s = file_read(pw[0], NULL);
	bool ok = s != NULL && strstr(s, pw[1]) != NULL;

	(void)hd;
	free(s);
	return ok;
}

Test(stats, the_stats_file_is_rewritten_whole_for_the_textfile_collector,
    .fini = daemon_down, .timeout = 60)
{
	const char *prom, *want[2];
	char *s, *line, *save = NULL;
	int lines = 0;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "stats = { file = \"@DIR@/textfile/asynclog.prom\"; "
	    "interval = 1; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_eq(run("mkdir %s", hd_path(&d, "textfile")), 0);
	hd_restart(&d);
	prom = hd_path(&d, "textfile/asynclog.prom");
	want[0] = prom;
	want[1] = "asynclog_input_records_total 0\n";
	cr_assert(hd_wait(file_says, &d, want, 10000), "no stats file");
	cr_assert_eq(run("seq 1 10 | %s -u %s", hd_bin("asynclog"), d.sock), 0);
	/* Rewritten every interval: the records show up. */
	want[1] = "asynclog_records_total{output=\"main\",outcome=\"written\"} "
	    "10\n";
	cr_assert(hd_wait(file_says, &d, want, 10000), "not rewritten");
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	/* Whole, in the exposition format, no temporary left behind. */
	cr_assert_not_null(s = file_read(prom, NULL));
	for (line = strtok_r(s, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save), lines++)
		cr_assert(line[0] == '#' || strncmp(line, "asynclog_", 9) == 0,
		    "not a sample: %s", line);
	free(s);
	cr_assert_gt(lines, 20);
	cr_assert_eq(run("ls %s | grep -qvx asynclog.prom",
	    hd_path(&d, "textfile")), 1, "something beside the .prom file");
	/* The final counters: asynclogd's clients are gone. */
	cr_assert_eq(run("grep -qx 'asynclog_clients 0' %s", prom), 0);
}

Test(stats, stats_log_puts_the_counters_in_the_log_itself,
    .fini = daemon_down, .timeout = 60)
{
	const char *want[2];

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "stats = { interval = 1; log = true; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_eq(run("seq 1 5 | %s -u %s", hd_bin("asynclog"), d.sock), 0);
	want[0] = hd_path(&d, "main.log");
	want[1] = "]: stats: output main state=writing";
	cr_assert(hd_wait(file_says, &d, want, 10000), "no stats record");
	want[1] = "]: stats: inputs received=";
	cr_assert(file_says(&d, want));
	cr_assert_eq(run("grep -q 'asynclogd\\[[0-9]*\\]: stats: total "
	    "delivered=' %s", want[0]), 0);
}
