/* SPDX-License-Identifier: ISC */
/*
 * test_lifecycle.c: the files over time: SIGHUP reopen after an external
 * logrotate, config reload (broken, adding and removing outputs), and
 * sync = "always" surviving a SIGKILL.
 */
#include <sys/stat.h>

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

static void
send_range(long first, long n)
{
	asynclog_t *h = asynclog_open(d.sock, "life", ASYNCLOG_BLOCK);
	long i;

	cr_assert_not_null(h);
	for (i = first; i < first + n; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "seq %ld", i);
	cr_assert_eq(asynclog_flush(h, 20000), 0);
	asynclog_close(h);
}

/* How many distinct "seq N" records files hold; fails on a duplicate. */
static long
distinct_records(const char **paths, int npaths, long max)
{
	char *seen = calloc(max, 1), *text, *p;
	long n = 0, seq;
	int i;

	for (i = 0; i < npaths; i++) {
		if ((text = file_read(paths[i], NULL)) == NULL)
			continue;
		for (p = text; (p = strstr(p, "]: seq ")) != NULL; p++) {
			seq = strtol(p + 7, NULL, 10);
			cr_assert(seq >= 0 && seq < max);
			cr_assert_eq(seen[seq], 0, "record %ld twice", seq);
			seen[seq] = 1;
			n++;
		}
		free(text);
	}
	free(seen);
	return n;
}

Test(lifecycle, logrotate_move_then_hup_loses_nothing,
    .fini = daemon_down, .timeout = 60)
{
	const char *files[2];

	hd_start(&d, HD_CONF_BASIC);
	send_range(0, 5000);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 5000, 10000));
	cr_assert_eq(rename(hd_path(&d, "main.log"), hd_path(&d, "main.log.1")),
	    0);
	/* Records sent between the move and the HUP go to the moved file. */
	send_range(5000, 1000);
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "configuration reloaded", 10000));
	send_range(6000, 4000);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	files[0] = hd_path(&d, "main.log");
	files[1] = hd_path(&d, "main.log.1");
	cr_assert_eq(distinct_records(files, 2, 10000), 10000);
	cr_assert_gt(file_lines(files[0]), 0, "nothing written after reopen");
}

Test(lifecycle, broken_config_on_reload_keeps_the_old_one_running,
    .fini = daemon_down, .timeout = 60)
{
	const char *files[1];

	hd_start(&d, HD_CONF_BASIC);
	hd_write_conf(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\";\n"
	    "  colour = \"blue\"; } );\n");
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "asynclogd.conf:3: ", 10000),
	    "reload error without file:line");
	cr_assert(hd_log_mentions(&d, "colour"));
	send_range(0, 1000);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	files[0] = hd_path(&d, "main.log");
	cr_assert_eq(distinct_records(files, 1, 1000), 1000);
}

Test(lifecycle, reload_adding_an_output_starts_writing_to_it,
    .fini = daemon_down, .timeout = 60)
{
	const char *files[1];

	hd_start(&d, HD_CONF_BASIC);
	send_range(0, 100);
	hd_write_conf(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"
	    "  { name = \"extra\"; path = \"@DIR@/extra.log\"; "
	    "format = \"json\"; } );\n");
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "configuration reloaded, 2 outputs",
	    10000));
	send_range(100, 900);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	files[0] = hd_path(&d, "main.log");
	cr_assert_eq(distinct_records(files, 1, 1000), 1000);
	cr_assert_eq(file_lines(hd_path(&d, "extra.log")), 900);
	cr_assert_eq(run("python3 -c 'import json,sys\n"
	    "for l in open(sys.argv[1]): json.loads(l)' %s",
	    hd_path(&d, "extra.log")), 0);
}

Test(lifecycle, reload_removing_an_output_writes_what_it_holds_and_closes,
    .fini = daemon_down, .timeout = 60)
{
	const char *files[1];
	char *json;

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 10000; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"
	    "  { name = \"gone\"; path = \"@DIR@/gone.log\"; } );\n");
	/* Still buffered (long flush interval) when the reload comes. */
	send_range(0, 500);
	hd_write_conf(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "output gone: closed", 10000));
	cr_assert_eq(file_lines(hd_path(&d, "gone.log")), 500);
	send_range(500, 500);
	/* One snapshot: the sink writes between two. */
	json = hd_stats(&d);
	cr_assert_not_null(json);
	cr_assert_eq(json_number(json, "total.received"), 1500, "%s", json);
	cr_assert_eq(json_number(json, "total.written"), 1500 -
	    json_number(json, "total.buffered"), "%s", json);
	free(json);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	files[0] = hd_path(&d, "main.log");
	cr_assert_eq(distinct_records(files, 1, 1000), 1000);
	cr_assert_eq(file_lines(hd_path(&d, "gone.log")), 500);
}

Test(lifecycle, sync_always_keeps_every_acknowledged_record_through_sigkill,
    .fini = daemon_down, .timeout = 60)
{
	const char *files[1];

	hd_start(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 10000; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "sync = \"always\"; } );\n");
	/* flush returns only when the daemon has the records on disk. */
	send_range(0, 20000);
	cr_assert_eq(hd_signal(&d, SIGKILL, 10000), 128 + SIGKILL);
	files[0] = hd_path(&d, "main.log");
	cr_assert_eq(distinct_records(files, 1, 20000), 20000);
}

Test(lifecycle, files_get_file_mode_whatever_the_umask_and_owner_when_root,
    .fini = daemon_down, .timeout = 30)
{
	struct stat st;
	bool root = geteuid() == 0;

	umask(077);
	hd_start(&d, root ?
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "file_mode = \"0644\"; owner = \"nobody\"; group = \"nogroup\"; } );\n" :
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "file_mode = \"0644\"; } );\n");
	cr_assert_eq(stat(hd_path(&d, "main.log"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0644, "mode %o", st.st_mode & 07777);
	if (root) {
		cr_assert_eq(run("test $(stat -c %%U:%%G %s) = nobody:nogroup",
		    hd_path(&d, "main.log")), 0);
	}
}

Test(lifecycle, reload_adding_a_fifo_nobody_reads_fails_instead_of_hanging,
    .fini = daemon_down, .timeout = 60)
{
	hd_start(&d, HD_CONF_BASIC);
	cr_assert_eq(run("mkfifo %s", hd_path(&d, "nobody.fifo")), 0);
	hd_write_conf(&d,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"
	    "  { name = \"fifo\"; path = \"@DIR@/nobody.fifo\"; } );\n");
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "a FIFO without a reader", 10000));
	/* Still serving, on the old configuration. */
	send_range(0, 100);
	cr_assert_eq(hd_stat(&d, "outputs.main.received"), 100);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}
