/* SPDX-License-Identifier: ISC */
/*
 * test_faults.c: every record accounted for under faults: the daemon's own
 * words about its counters are never cut, and what a drain deadline leaves
 * behind is counted, not lost.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/stat.h>

#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "wire.h"

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

Test(faults, counters_of_many_outputs_are_never_cut,
    .fini = daemon_down, .timeout = 30)
{
	char conf[4096];
	int n, i;

	n = snprintf(conf, sizeof(conf), "listen = { socket = "
	    "\"@DIR@/asynclog.sock\"; };\noutputs = (\n");
	for (i = 0; i < 12; i++)
		n += snprintf(conf + n, sizeof(conf) - n, "%s{ name = "
		    "\"output_with_a_rather_long_name_%02d\"; path = "
		    "\"@DIR@/out%02d.log\"; }\n", i ? "," : "", i, i);
	snprintf(conf + n, sizeof(conf) - n, ");\n");
	hd_start(&d, conf);
	kill(d.pid, SIGUSR1);
	cr_assert(hd_wait(hd_log_mentions, &d, "balanced=yes", 5000),
	    "SIGUSR1 counters lost their end");
	cr_assert(hd_wait(hd_log_mentions, &d,
	    "output output_with_a_rather_long_name_11 state=writing", 5000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert(hd_log_mentions(&d, "final counters:"));
	cr_assert_eq(run("grep -c 'balanced=yes' %s | grep -qx 2", d.errlog), 0,
	    "the final counters lost their end");
}

/*
 * Send HELLO and records until the daemon's socket takes no more. Returns
 * the whole record frames handed over; one the socket cut is the client's
 * to count (libasynclog counts the frame it could not finish).
 */
static size_t
faults_flood(int fd, unsigned char *frames, size_t cap, size_t *nframes)
{
	char msg[100];
	size_t n, sent = 0, handed = 0, len;
	ssize_t w;

	*nframes = 0;
	n = wire_encode_hello(frames, cap, 0, "faults", 6);
	memset(msg, 'r', sizeof(msg));
	while (n + 256 < cap) {
		n += wire_encode_record(frames + n, cap - n, 13, 0, "t", 1, msg,
		    sizeof(msg), NULL, 0);
		(*nframes)++;
	}
	len = n;
	while (sent < len) {
		w = send(fd, frames + sent, len - sent, MSG_DONTWAIT);
		if (w <= 0)
			break;
		sent += w;
	}
	cr_assert_lt(sent, len, "the socket never filled up");
	for (n = wire_frame_len(frames, len);
	    n + wire_frame_len(frames + n, len - n) <= sent;
	    n += wire_frame_len(frames + n, len - n))
		handed++;
	return handed;
}

/*
 * An output stuck on a FIFO nobody reads; a client hands thousands of whole
 * records to the socket; SIGTERM with a short drain deadline. Everything
 * the client handed over is in the final count: written, buffered, or
 * dropped with reason shutdown. (It used to say received=127 of 300, and
 * balanced=yes.)
 */
Test(faults, records_left_at_the_drain_deadline_are_counted,
    .fini = daemon_down, .timeout = 60)
{
	static unsigned char frames[1 << 20];
	char want[64];
	size_t nframes, handed;
	unsigned long long shutdown_drops;
	int fifo, fd, status;
	char *log, *p, *q;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"8K\"; max_memory = \"16K\"; "
	    "max_record = \"1K\"; stall_timeout_ms = 60000; "
	    "flush_interval_ms = 20; };\n"
	    "shutdown = { drain_timeout_ms = 300; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/fifo\"; } );\n");
	cr_assert_eq(mkfifo(hd_path(&d, "fifo"), 0600), 0);
	/* A reader that never reads: the writer blocks once the pipe fills. */
	cr_assert_neq(fifo = open(hd_path(&d, "fifo"), O_RDONLY | O_NONBLOCK), -1);
	hd_restart(&d);

	cr_assert_neq(fd = unix_connect(d.sock), -1);
	handed = faults_flood(fd, frames, sizeof(frames), &nframes);
	cr_log_info("records handed to the socket: %zu of %zu", handed,
	    nframes);

	status = hd_signal(&d, SIGTERM, 20000);
	cr_assert(status == 0 || status == 1, "exit status %d", status);
	cr_assert_not_null(log = file_read(d.errlog, NULL));
	cr_assert_not_null(p = strstr(log, "final counters:"), "%s", log);
	snprintf(want, sizeof(want), "\ninputs received=%zu ", handed);
	cr_assert_not_null(strstr(p, want), "expected%s in:\n%s", want, p);
	cr_assert_not_null(strstr(p, "balanced=yes"), "%s", p);
	/* Unread at the deadline (inputs) or unwritten (the output). */
	shutdown_drops = 0;
	for (q = strstr(p, "\ninputs "); q != NULL && (q = strstr(q,
	    " dropped.shutdown=")) != NULL; q++)
		shutdown_drops += strtoull(q + strlen(" dropped.shutdown="),
		    NULL, 10);
	cr_assert_gt(shutdown_drops, 0, "%s", p);
	cr_assert_not_null(strstr(log, "records not taken by the drain "
	    "deadline; counted as dropped (shutdown)"), "%s", log);
	free(log);
	close(fd);
	close(fifo);
}

/* Nothing moves: routed stays put for 500 ms. */
static void
faults_settle(void)
{
	long long deadline = hd_now_ms() + 20000, last = -1, n, since = 0;

	while (hd_now_ms() < deadline) {
		n = hd_stat(&d, "routed");
		if (n != last) {
			last = n;
			since = hd_now_ms();
		} else if (hd_now_ms() - since >= 500)
			return;
		usleep(20000);
	}
	cr_assert_fail("the daemon did not settle within 20 s");
}

static bool
routed_reaches(struct hd *dd, void *arg)
{
	return hd_stat(dd, "routed") >= *(long long *)arg;
}

/* What the outputs (live, retiring, retired) were handed. */
static long long
outputs_received(void)
{
	return hd_stat(&d, "total.received") - hd_stat(&d, "input.received");
}

/*
 * A client waits for room at an output stuck on a FIFO nobody reads; a
 * reload removes that output. The record it waited with is the removed
 * output's, counted there as an overflow drop; the rest go to the new
 * output. (It used to be forgotten: received one short of what the client
 * handed over, and balanced=yes.)
 */
Test(faults, a_record_waiting_at_an_output_a_reload_removes_is_counted,
    .fini = daemon_down, .timeout = 60)
{
	static unsigned char frames[1 << 18];
	char buf[65536];
	size_t nframes, handed;
	long long want, got;
	int fifo, fd;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"8K\"; max_memory = \"16K\"; "
	    "max_record = \"1K\"; stall_timeout_ms = 60000; "
	    "flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"slow\"; path = \"@DIR@/fifo\"; } );\n");
	cr_assert_eq(mkfifo(hd_path(&d, "fifo"), 0600), 0);
	/* A reader that does not read until the reload is done. */
	cr_assert_neq(fifo = open(hd_path(&d, "fifo"), O_RDONLY | O_NONBLOCK), -1);
	hd_restart(&d);

	cr_assert_neq(fd = unix_connect(d.sock), -1);
	handed = faults_flood(fd, frames, sizeof(frames), &nframes);
	faults_settle();
	cr_assert_lt(hd_stat(&d, "routed"), (long long)handed,
	    "the client is not waiting for room");

	hd_write_conf(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { chunk_size = \"8K\"; max_memory = \"16K\"; "
	    "max_record = \"1K\"; stall_timeout_ms = 60000; "
	    "flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(hd_log_mentions, &d, "configuration reloaded", 10000));
	/* Every record routed went to the one output of the config of its
	 * time, to be taken or dropped there, the daemon's own records too. */
	want = (long long)handed;
	cr_assert(hd_wait(routed_reaches, &d, &want, 20000),
	    "%lld of %lld records routed", hd_stat(&d, "routed"), want);
	faults_settle();
	got = outputs_received();
	cr_assert_eq(got, hd_stat(&d, "routed"), "%lld records routed, %lld "
	    "received by outputs", hd_stat(&d, "routed"), got);
	cr_assert_geq(hd_stat(&d, "total.dropped.overflow"), 1);
	/* The removed output may write what it holds and close. */
	while (!hd_log_mentions(&d, "output slow: closed"))
		if (read(fifo, buf, sizeof(buf)) <= 0)
			usleep(10000);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert(hd_log_mentions(&d, "balanced=yes"));
	close(fd);
	close(fifo);
}

#define FAULTS_CONF_ONE							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"
#define FAULTS_CONF_TWO							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"	\
	"  { name = \"second\"; path = \"@DIR@/second.log\"; } );\n"

static bool
has_second_output(struct hd *dd, void *arg)
{
	char *json = hd_stats(dd);
	bool yes = json != NULL && strstr(json, "\"second\":{") != NULL;

	(void)arg;
	free(json);
	return yes;
}

/* SIGHUPs that come while a reload waits for its new files to open are not
 * lost: the last configuration written is the one that runs. */
Test(faults, sighups_during_a_reload_end_with_the_last_config_running,
    .fini = daemon_down, .timeout = 60)
{
	long long tasks;
	int i;

	hd_start(&d, FAULTS_CONF_ONE);
	tasks = hd_stat(&d, "tasks");
	for (i = 0; i < 40; i++) {
		hd_write_conf(&d, i % 2 ? FAULTS_CONF_ONE : FAULTS_CONF_TWO);
		kill(d.pid, SIGHUP);
		usleep((i % 5) * 1000);
	}
	hd_write_conf(&d, FAULTS_CONF_TWO);
	kill(d.pid, SIGHUP);
	cr_assert(hd_wait(has_second_output, &d, NULL, 10000));
	/* Settled: one more reload of the same file changes nothing. */
	cr_assert(!hd_log_mentions(&d, "the daemon is stopping"));
	cr_assert_leq(hd_stat(&d, "tasks"), tasks + 1,
	    "tasks leaked by overlapping reloads");
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

/* Datagrams queued when SIGTERM comes are taken, not left in the socket
 * for the kernel to discard uncounted. */
Test(faults, datagrams_queued_at_sigterm_are_written,
    .fini = daemon_down, .timeout = 30)
{
	char msg[64];
	int i;

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	/* Stopped, the daemon reads nothing: the datagrams wait queued. */
	kill(d.pid, SIGSTOP);
	for (i = 0; i < 8; i++) {
		snprintf(msg, sizeof(msg), "<13>queued: number %d", i);
		hd_send_dgram(hd_path(&d, "dgram.sock"), msg, strlen(msg));
	}
	kill(d.pid, SIGTERM);
	kill(d.pid, SIGCONT);
	cr_assert_eq(hd_signal(&d, 0, 10000), 0);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 8);
}

/* A file left ending inside a line (the daemon killed mid-write) gets that
 * torn tail cut at the next open, so the next record starts a line of its
 * own instead of running on from the fragment. */
Test(faults, a_torn_last_line_left_by_a_crash_is_cut_at_open,
    .fini = daemon_down, .timeout = 30)
{
	char *text;
	FILE *f;

	hd_prepare(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_not_null(f = fopen(hd_path(&d, "main.log"), "w"));
	fputs("a whole line\nhalf of a rec", f);
	cr_assert_eq(fclose(f), 0);
	hd_restart(&d);
	cr_assert_eq(run("%s -u %s -t after 'the next record'",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 2, 5000));
	cr_assert_not_null(text = file_read(hd_path(&d, "main.log"), NULL));
	cr_assert(strncmp(text, "a whole line\n", 13) == 0, "%s", text);
	cr_assert_null(strstr(text, "half of a rec"), "%s", text);
	cr_assert_not_null(strstr(text + 13, "after"), "%s", text);
	cr_assert(hd_log_mentions(&d, "ended inside a line"));
	free(text);
}

/* SIGUSR2 with a configuration file that does not load: refused, the
 * running daemon stays (a new image that cannot start would leave the
 * sockets with nobody to serve them). */
Test(faults, a_restart_with_a_broken_config_is_refused,
    .fini = daemon_down, .timeout = 30)
{
	size_t off;

	hd_start(&d, FAULTS_CONF_ONE);
	off = hd_log_size(&d);
	hd_write_conf(&d, "outputs = ( broken");
	kill(d.pid, SIGUSR2);
	cr_assert(hd_log_since(&d, off, "not restarting, the configuration "
	    "does not load", 5000));
	cr_assert_eq(run("%s -u %s -t still 'still serving'",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 5000));
}

/* Signals that come while a new image starts are not fatal to it (they
 * wait, blocked, until it watches them). */
Test(faults, signals_during_a_restart_wait_for_the_new_image,
    .fini = daemon_down, .timeout = 60)
{
	size_t off;
	int i;

	hd_start(&d, FAULTS_CONF_ONE);
	off = hd_log_size(&d);
	kill(d.pid, SIGUSR2);
	for (i = 0; i < 300; i++)
		kill(d.pid, SIGHUP);
	cr_assert(hd_log_since(&d, off, " ready: socket ", 10000),
	    "the new image did not come up");
	cr_assert_eq(kill(d.pid, 0), 0, "the daemon died during the restart");
	cr_assert_eq(run("%s -u %s -t after 'after the storm'",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert_eq(hd_signal(&d, SIGTERM, 15000), 0);
}
