/*
 * test_daemon.c: the core, end to end: the real asynclogd, the real library
 * and CLI, real sockets. Records must arrive exactly once, whole, in
 * per-client order; a restart loses nothing silently; SIGTERM drains; bad
 * clients hurt nobody else.
 */
#include <sys/socket.h>

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"
#include "wire.h"


static struct hd d;

static void
daemon_up(void)
{
	hd_start(&d, HD_CONF_BASIC);
}

static void
daemon_down(void)
{
	hd_stop(&d);
}

/*
 * Check "tTHREAD SEQ" messages: each (thread, seq) once, in order per
 * thread. Returns how many were found; fails on a duplicate or reordering.
 */
static long
check_order(const char *path, int nthreads, long per_thread, bool gaps)
{
	char *text = file_read(path, NULL), *line, *save = NULL, *m;
	long next[64] = { 0 }, found = 0, seq;
	int th;

	cr_assert_not_null(text, "no output file %s", path);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if ((m = strstr(line, "]: t")) == NULL)
			continue;
		if (sscanf(m + 4, "%d %ld", &th, &seq) != 2)
			continue;
		cr_assert(th >= 0 && th < nthreads, "bad thread in: %s", line);
		if (gaps)
			cr_assert_geq(seq, next[th], "thread %d: %ld after %ld "
			    "(duplicate or out of order)", th, seq, next[th] - 1);
		else
			cr_assert_eq(seq, next[th], "thread %d: expected %ld, "
			    "got %ld (lost, duplicate or out of order)", th,
			    next[th], seq);
		next[th] = seq + 1;
		found++;
	}
	for (th = 0; th < nthreads; th++)
		cr_assert(next[th] <= per_thread);
	free(text);
	return found;
}

static long
check_sequences(const char *path, int nthreads, long per_thread)
{
	return check_order(path, nthreads, per_thread, false);
}

struct logger_arg {
	asynclog_t	*h;
	int		 id;
	long		 n;
};

static void *
log_thread(void *p)
{
	struct logger_arg *a = p;
	long i;

	for (i = 0; i < a->n; i++)
		asynclog_log(a->h, LOG_USER | LOG_INFO, "t%d %ld", a->id, i);
	return NULL;
}

Test(daemon, library_threads_and_cli_records_arrive_once_whole_in_order,
    .init = daemon_up, .fini = daemon_down, .timeout = 60)
{
	struct logger_arg args[4];
	pthread_t th[4];
	asynclog_t *h;
	int i;

	h = asynclog_open(d.sock, "multi", ASYNCLOG_BLOCK);
	cr_assert_not_null(h);
	for (i = 0; i < 4; i++) {
		args[i] = (struct logger_arg){ h, i, 10000 };
		pthread_create(&th[i], NULL, log_thread, &args[i]);
	}
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(asynclog_flush(h, 20000), 0);
	cr_assert_eq(asynclog_dropped(h), 0);
	asynclog_close(h);

	cr_assert_eq(run("%s -u %s -t clitag 'from the cli' && printf 'one\\n"
	    "two\\n' | %s -u %s -t clitag", hd_bin("asynclog"), d.sock,
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	cr_assert_eq(check_sequences(hd_path(&d, "main.log"), 4, 10000), 40000);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 40003);
	cr_assert_eq(run("grep -q 'clitag\\[[0-9]*\\]: from the cli$' %s && "
	    "grep -q 'clitag\\[[0-9]*\\]: one$' %s && "
	    "grep -q 'clitag\\[[0-9]*\\]: two$' %s",
	    hd_path(&d, "main.log"), hd_path(&d, "main.log"),
	    hd_path(&d, "main.log")), 0);
}

Test(daemon, sigterm_writes_every_accepted_record_and_exits_zero,
    .init = daemon_up, .fini = daemon_down, .timeout = 60)
{
	asynclog_t *h = asynclog_open(d.sock, "drain", 0);
	long i;

	for (i = 0; i < 50000; i++)
		while (asynclog_log(h, LOG_USER | LOG_INFO, "t0 %ld", i) == -1)
			cr_assert_eq(asynclog_flush(h, 10000), 0);
	/* flush returns once the daemon has taken every record. */
	cr_assert_eq(asynclog_flush(h, 20000), 0);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	asynclog_close(h);
	cr_assert_eq(check_sequences(hd_path(&d, "main.log"), 1, 50000), 50000);
}

static volatile int restart_stop;

static void *
steady_logger(void *p)
{
	struct logger_arg *a = p;

	while (!restart_stop) {
		asynclog_log(a->h, LOG_USER | LOG_INFO, "t0 %ld", a->n++);
		if (a->n % 64 == 0)
			usleep(200);
	}
	return NULL;
}

Test(daemon, restart_while_logging_reconnects_and_reports_lost_records,
    .init = daemon_up, .fini = daemon_down, .timeout = 60)
{
	struct logger_arg a = { NULL, 0, 0 };
	long before, in_file, dropped;
	pthread_t th;
	char *text, *p;
	long reported = 0;

	a.h = asynclog_open(d.sock, "restart", 0);
	pthread_create(&th, NULL, steady_logger, &a);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1000, 10000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	before = a.n;
	/* While the daemon is away the client keeps logging. */
	while (a.n < before + 50000)
		usleep(1000);
	hd_restart(&d);
	while (a.n < before + 60000)
		usleep(1000);
	restart_stop = 1;
	pthread_join(th, NULL);
	cr_assert_eq(asynclog_flush(a.h, 20000), 0, "client did not reconnect");
	dropped = asynclog_dropped(a.h);
	cr_assert_gt(dropped, 0, "the ring cannot hold 50000 records; some "
	    "must have been dropped");
	asynclog_close(a.h);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	/* Every record is in the file or was reported dropped; the report
	 * itself is a record of asynclogd in the file. */
	in_file = check_order(hd_path(&d, "main.log"), 1, a.n, true);
	text = file_read(hd_path(&d, "main.log"), NULL);
	for (p = text; (p = strstr(p, "asynclogd[")) != NULL; p++) {
		long n;
		char *m = strstr(p, " dropped ");

		if (m != NULL && sscanf(m, " dropped %ld records", &n) == 1)
			reported += n;
	}
	free(text);
	cr_assert_eq(reported, dropped, "client dropped %ld, daemon was told "
	    "%ld", dropped, reported);
	cr_assert_eq(in_file + dropped, a.n, "%ld logged, %ld in file, %ld "
	    "dropped: some records vanished", a.n, in_file, dropped);
}

Test(daemon, garbage_and_stalled_clients_do_not_delay_others,
    .init = daemon_up, .fini = daemon_down, .timeout = 30)
{
	unsigned char frame[256];
	asynclog_t *h;
	int bad, stalled, i;
	size_t n;

	/* A client that speaks nonsense. */
	bad = unix_connect(d.sock);
	cr_assert_neq(bad, -1);
	cr_assert_eq(write(bad, "GET / HTTP/1.0\r\n\r\n", 18), 18);
	/* A client that stops in the middle of a frame and stays. */
	stalled = unix_connect(d.sock);
	n = wire_encode_hello(frame, sizeof(frame), 0, "stall", 5);
	n += wire_encode_record(frame + n, sizeof(frame) - n,
	    LOG_USER | LOG_INFO, 0, "x", 1, "never finished", 14, NULL, 0);
	cr_assert_eq(write(stalled, frame, n - 5), (ssize_t)(n - 5));

	h = asynclog_open(d.sock, "good", ASYNCLOG_BLOCK);
	for (i = 0; i < 1000; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "t0 %d", i);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	asynclog_close(h);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1000, 5000));
	cr_assert_eq(check_sequences(hd_path(&d, "main.log"), 1, 1000), 1000);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 1);
	close(bad);
	close(stalled);
}

Test(daemon, cli_fails_clearly_when_the_daemon_is_unreachable,
    .timeout = 10)
{
	cr_assert_eq(run("%s -u /nonexistent/asynclog.sock hello 2>/dev/null",
	    hd_bin("asynclog")), 1);
	/* in logger's words */
	cr_assert_eq(run("%s -u /nonexistent/asynclog.sock hello 2>&1 | "
	    "grep -q '^asynclog: socket /nonexistent/asynclog.sock: No such "
	    "file'", hd_bin("asynclog")), 0);
	/* as logger, --socket-errors=off makes it no error, quietly */
	cr_assert_eq(run("test -z \"$(%s --socket-errors=off -u "
	    "/nonexistent/asynclog.sock hello 2>&1)\"", hd_bin("asynclog")), 0);
	cr_assert_eq(run("ASYNCLOG_SOCKET=/nonexistent/asynclog.sock %s "
	    "--socket-errors=off hello", hd_bin("asynclog")), 0);
}

Test(daemon, bad_config_is_reported_with_file_and_line_and_exit_2,
    .timeout = 10)
{
	cr_assert_eq(run("printf 'listen = { socket = \"x\"; };\\n"
	    "outputs = ( { name = \"a\"; path = \"/tmp/a\"; colour = 1; } );\\n' "
	    "> /tmp/asynclog-bad.conf && %s -t -c /tmp/asynclog-bad.conf "
	    "2>&1 | grep -q '/tmp/asynclog-bad.conf:2: .*colour'",
	    hd_bin("asynclogd")), 0);
	cr_assert_eq(run("%s -t -c /tmp/asynclog-bad.conf 2>/dev/null",
	    hd_bin("asynclogd")), 2);
	unlink("/tmp/asynclog-bad.conf");
}

static long
cpu_ticks(pid_t pid)
{
	char path[64], *text, *p;
	long utime = 0, stime = 0;
	int i;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if ((text = file_read(path, NULL)) == NULL)
		return -1;
	/* Fields 14 and 15, counted after the ")" that ends the name. */
	p = strrchr(text, ')');
	for (i = 0; p != NULL && i < 12; i++)
		p = strchr(p + 1, ' ');
	if (p != NULL)
		sscanf(p, " %ld %ld", &utime, &stime);
	free(text);
	return utime + stime;
}

Test(daemon, out_of_file_descriptors_neither_spins_nor_stops_service,
    .init = daemon_up, .fini = daemon_down, .timeout = 60)
{
	int fds[64], i, n = 0;
	long before, used;
	asynclog_t *h;

	cr_assert_eq(run("prlimit --pid %d --nofile=24:24", (int)d.pid), 0);
	/* More clients than descriptors: accept fails with EMFILE. */
	for (i = 0; i < 64; i++)
		if ((fds[n] = unix_connect(d.sock)) != -1)
			n++;
	before = cpu_ticks(d.pid);
	usleep(500 * 1000);	/* measuring CPU use over a window, not waiting */
	used = cpu_ticks(d.pid) - before;
	cr_assert_lt(used, 20, "the daemon spun for %ld ticks in 0.5 s", used);
	for (i = 0; i < n; i++)
		close(fds[i]);
	h = asynclog_open(d.sock, "afteremfile", ASYNCLOG_BLOCK);
	for (i = 0; i < 100; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "t0 %d", i);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(check_sequences(hd_path(&d, "main.log"), 1, 100), 100);
	cr_assert_eq(run("grep -q 'Too many open files' %s", d.errlog), 0);
}

/* --stats --prometheus: the text exposition format, every sample line well
 * formed, each metric with HELP and TYPE, the counts the JSON has. */
Test(daemon, stats_in_prometheus_format_match_the_json,
    .init = daemon_up, .fini = daemon_down, .timeout = 30)
{
	asynclog_t *h = asynclog_open(d.sock, "prom", ASYNCLOG_BLOCK);
	int i;

	for (i = 0; i < 250; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "p %d", i);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 250, 10000));
	cr_assert_eq(run("%s -u %s --stats --prometheus > %s", hd_bin("asynclog"),
	    d.sock, hd_path(&d, "prom.txt")), 0);
	cr_assert_eq(run("python3 -c '\n"
	    "import re, sys\n"
	    "sample = re.compile(r\"^([a-z_]+)(\\{[^}]*\\})? -?[0-9]+$\")\n"
	    "typed, seen = set(), {}\n"
	    "for line in open(sys.argv[1]):\n"
	    "    line = line.rstrip(\"\\n\")\n"
	    "    if line.startswith(\"# TYPE \"):\n"
	    "        typed.add(line.split()[2]); continue\n"
	    "    if line.startswith(\"# HELP \"): continue\n"
	    "    m = sample.match(line)\n"
	    "    assert m, line\n"
	    "    assert m.group(1) in typed, line\n"
	    "    seen[m.group(1) + (m.group(2) or \"\")] = int(line.split()[-1])\n"
	    "w = \"asynclog_records_total{output=\\\"main\\\",outcome=\\\"written\\\"}\"\n"
	    "assert seen[w] == 250, seen\n"
	    "assert seen[\"asynclog_clients\"] >= 1\n' %s",
	    hd_path(&d, "prom.txt")), 0);
	cr_assert_eq(run("%s -u %s --prometheus 2>/dev/null", hd_bin("asynclog"),
	    d.sock), 1, "--prometheus without --stats is a usage error (exit 1, as "
	    "logger's)");
}

Test(daemon, stats_balance_in_the_cli_json_text_and_on_sigusr1,
    .init = daemon_up, .fini = daemon_down, .timeout = 30)
{
	asynclog_t *h = asynclog_open(d.sock, "stats", ASYNCLOG_BLOCK);
	int bad, i;

	for (i = 0; i < 1000; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "t0 %d", i);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	bad = unix_connect(d.sock);
	cr_assert_eq(write(bad, "garbage!", 8), 8);
	close(bad);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1000, 10000));

	/* JSON through the real CLI: every output and the total balance. */
	cr_assert_eq(run("%s -u %s --stats --json | python3 -c '\n"
	    "import json, sys\n"
	    "s = json.load(sys.stdin)\n"
	    "def ok(c):\n"
	    "    return c[\"received\"] == c[\"written\"] + c[\"buffered\"] + "
	    "sum(c[\"dropped\"].values())\n"
	    "assert ok(s[\"total\"]) and s[\"total\"][\"balanced\"]\n"
	    "assert all(ok(o) for o in s[\"outputs\"].values())\n"
	    "assert s[\"outputs\"][\"main\"][\"written\"] == 1000\n"
	    "assert s[\"total\"][\"dropped\"][\"malformed\"] == 1\n"
	    "assert s[\"outputs\"][\"main\"][\"state\"] == \"writing\"\n'",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert_eq(run("%s -u %s --stats | grep -q 'balanced=yes'",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert_eq(run("%s -u %s --stats | grep -q '^output main state=writing"
	    ".* written=1000 '", hd_bin("asynclog"), d.sock), 0);
	kill(d.pid, SIGUSR1);
	cr_assert(hd_wait(hd_log_mentions, &d, "dropped.malformed=1", 5000),
	    "no counters in the daemon's log after SIGUSR1");
}

Test(daemon, random_bytes_from_many_clients_leave_it_up_and_balanced,
    .init = daemon_up, .fini = daemon_down, .timeout = 60)
{
	unsigned char bytes[4096];
	unsigned seed = 4242;
	asynclog_t *h;
	size_t n, len, i;
	char *json;
	int round, fd;

	for (round = 0; round < 300; round++) {
		if ((fd = unix_connect(d.sock)) == -1)
			continue;
		n = 0;
		if (round % 2 == 0)	/* past HELLO, into the frame parser */
			n = wire_encode_hello(bytes, sizeof(bytes), 0, "fz", 2);
		len = n + (size_t)rand_r(&seed) % (sizeof(bytes) - n);
		for (i = n; i < len; i++)
			bytes[i] = (unsigned char)rand_r(&seed);
		if (write(fd, bytes, len) < 0)
			cr_log_info("write: connection already closed");
		close(fd);
	}
	h = asynclog_open(d.sock, "after", ASYNCLOG_BLOCK);
	asynclog_log(h, LOG_USER | LOG_INFO, "t0 0");
	cr_assert_eq(asynclog_flush(h, 10000), 0, "the daemon stopped serving");
	asynclog_close(h);
	json = hd_stats(&d);
	cr_assert_not_null(json);
	cr_assert(strstr(json, "\"balanced\":false") == NULL, "%s", json);
	cr_assert_gt(json_number(json, "total.dropped.malformed"), 100);
	free(json);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}
