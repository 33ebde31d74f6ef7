/* SPDX-License-Identifier: ISC */
/*
 * test_v2.c: protocol version 2 beside version 1 (docs/protocol.md §6).
 *
 * A version 2 daemon answers HELLO_ACK only to a client that announced
 * version 2, so a version 1 library (which takes any unknown frame for a
 * broken stream) never sees one; a version 2 library learns that a daemon
 * speaks only version 1 from the order of the answers to its HELLO and
 * probe. The old side is the real thing: asynclogd and asynclog of the
 * last version 1 commit, built from git into $ASYNCLOG_BUILD/v1/ by the
 * Makefile (skipped, with the reason, in a clone without that history).
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <netinet/in.h>
#include <arpa/inet.h>

#include <sys/stat.h>

#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <sched.h>
#include <stdatomic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <unistd.h>

#include "asynclog.h"
#include "harness.h"
#include "wire.h"

static struct hd d;

static void
new_daemon_up(void)
{
	hd_start(&d, HD_CONF_BASIC);
}

static void
daemon_down(void)
{
	hd_stop(&d);
}

/* The old programs, or skip the test saying why they are not there. */
static const char *
v1_bin(const char *name)
{
	static char path[2][512];
	static int n;
	char *ready;

	ready = file_read(hd_bin("v1/ready"), NULL);
	cr_assert_not_null(ready, "%s missing: run make test-build",
	    hd_bin("v1/ready"));
	if (strncmp(ready, "ok", 2) != 0) {
		free(ready);
		cr_skip_test("no version 1 build: %s", ready);
	}
	free(ready);
	n = (n + 1) % 2;
	snprintf(path[n], sizeof(path[n]), "%s", hd_bin(name));
	return path[n];
}

static void
old_daemon_up(void)
{
	const char *bin = v1_bin("v1/asynclogd");

	hd_prepare(&d, HD_CONF_BASIC);
	d.daemon = bin;
	hd_restart(&d);
}

/* Send frames on a fresh native connection and read the first answer. */
static size_t
exchange(const void *out, size_t outlen, uint8_t *in, size_t cap)
{
	int fd = unix_connect(d.sock);
	size_t got = 0;
	ssize_t n;

	cr_assert_neq(fd, -1);
	cr_assert_eq(write(fd, out, outlen), (ssize_t)outlen);
	/* Until one whole frame is in. */
	while (got < 4 || got < wire_frame_len(in, got)) {
		n = read(fd, in + got, cap - got);
		cr_assert_gt(n, 0, "connection closed after %zu bytes", got);
		got += (size_t)n;
	}
	close(fd);
	return got;
}

static size_t
hello_and_probe(uint8_t *buf, size_t cap, uint8_t flags)
{
	size_t n;

	n = wire_encode_hello(buf, cap, flags, "t", 1);
	n += wire_encode_sync(buf + n, cap - n, WIRE_SYNC, 7);
	return n;
}

Test(v2, a_v1_hello_gets_no_version_2_frame, .init = new_daemon_up,
    .fini = daemon_down, .timeout = 30)
{
	uint8_t out[64], in[256];
	struct wire_frame f;
	size_t n = hello_and_probe(out, sizeof(out), 0);

	n = exchange(out, n, in, sizeof(in));
	cr_assert_eq(wire_decode(in, n, sizeof(in), &f, NULL),
	    (ssize_t)wire_frame_len(in, n));
	cr_assert_eq(f.type, WIRE_SYNC_ACK, "first answer is type %d", f.type);
	cr_assert_eq(f.u.sync_seq, 7);
}

Test(v2, a_v2_hello_is_answered_first_with_the_version_and_limit,
    .init = new_daemon_up, .fini = daemon_down, .timeout = 30)
{
	uint8_t out[64], in[256];
	struct wire_frame f;
	size_t n = hello_and_probe(out, sizeof(out), WIRE_HELLO_V2);

	n = exchange(out, n, in, sizeof(in));
	cr_assert_eq(wire_decode(in, n, sizeof(in), &f, NULL),
	    (ssize_t)wire_frame_len(in, n));
	cr_assert_eq(f.type, WIRE_HELLO_ACK, "first answer is type %d", f.type);
	cr_assert_eq(f.u.hello_ack.version, WIRE_VERSION2);
	cr_assert_eq(f.u.hello_ack.max_record, WIRE_DEFAULT_MAX_RECORD);
}

Test(v2, the_old_library_logs_to_the_new_daemon, .init = new_daemon_up,
    .fini = daemon_down, .timeout = 60)
{
	const char *old = v1_bin("v1/asynclog");
	char *log;

	cr_assert_eq(run("printf 'one\\ntwo\\nthree\\n' | %s -u %s -t old",
	    old, d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 3, 10000));
	log = file_read(hd_path(&d, "main.log"), NULL);
	cr_assert_not_null(strstr(log, "old["));
	cr_assert_not_null(strstr(log, ": three\n"));
	free(log);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}

Test(v2, the_new_library_logs_to_the_old_daemon, .init = old_daemon_up,
    .fini = daemon_down, .timeout = 60)
{
	char *log;

	cr_assert_eq(run("printf 'one\\ntwo\\nthree\\n' | %s -u %s -t new",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 3, 10000));
	log = file_read(hd_path(&d, "main.log"), NULL);
	cr_assert_not_null(strstr(log, "new["));
	cr_assert_not_null(strstr(log, ": three\n"));
	free(log);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}

/* ---- What the daemon dropped is told (SYNC2_ACK) ---- */

#define CONF_SMALL							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 50; max_record = \"1K\"; };\n"	\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

#define CONF_RATE							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"ratelimit = { interval_ms = 600000; burst = 5; };\n"		\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

Test(v2, cli_exits_1_when_the_daemon_drops_a_record_too_large,
    .fini = daemon_down, .timeout = 30)
{
	hd_start(&d, CONF_SMALL);
	cr_assert_eq(run("%s -u %s -t big \"$(head -c 2000 /dev/zero | "
	    "tr '\\0' x)\" 2>%s", hd_bin("asynclog"), d.sock,
	    hd_path(&d, "err")), 1);
	cr_assert_eq(run("grep -q 'dropped 1 of 1 records (too_large 1)' %s",
	    hd_path(&d, "err")), 0, "stderr: %s",
	    file_read(hd_path(&d, "err"), NULL));
	/* A record within the limit still exits 0. */
	cr_assert_eq(run("%s -u %s -t small fits", hd_bin("asynclog"),
	    d.sock), 0);
}

Test(v2, cli_exits_1_and_counts_what_a_rate_limit_dropped,
    .fini = daemon_down, .timeout = 30)
{
	hd_start(&d, CONF_RATE);
	cr_assert_eq(run("seq 1 12 | %s -u %s -t rl 2>%s", hd_bin("asynclog"),
	    d.sock, hd_path(&d, "err")), 1);
	cr_assert_eq(run("grep -q 'dropped 7 of 12 records (rate_limited 7)' "
	    "%s", hd_path(&d, "err")), 0, "stderr: %s",
	    file_read(hd_path(&d, "err"), NULL));
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 5, 10000));
	cr_assert_eq(hd_stat(&d, "total.dropped.rate_limited"), 7);
}

Test(v2, the_library_sums_the_daemons_drops_over_flushes,
    .fini = daemon_down, .timeout = 30)
{
	struct asynclog_sync_info info;
	char big[2000];
	asynclog_t *h;

	hd_start(&d, CONF_SMALL);
	memset(big, 'x', sizeof(big));
	cr_assert_not_null(h = asynclog_open(d.sock, "lib", 0));
	cr_assert_eq(asynclog_log(h, LOG_INFO, "fits"), 0);
	cr_assert_eq(asynclog_sync(h, 0, 10000, &info), 0);
	cr_assert_eq(info.received, 1);
	cr_assert_eq(info.dropped, 0);
	cr_assert_eq(asynclog_write(h, LOG_INFO, big, sizeof(big)), 0);
	cr_assert_eq(asynclog_write(h, LOG_INFO, big, sizeof(big)), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(asynclog_daemon_dropped(h), 2);
	cr_assert_eq(asynclog_sync(h, 0, 10000, &info), 0);
	cr_assert_eq(info.received, 3);
	cr_assert_eq(info.too_large, 2);
	cr_assert_eq(info.dropped, 2);
	asynclog_close(h);
}

Test(v2, the_old_daemon_cannot_say_what_it_dropped, .init = old_daemon_up,
    .fini = daemon_down, .timeout = 30)
{
	struct asynclog_sync_info info;
	asynclog_t *h;

	cr_assert_not_null(h = asynclog_open(d.sock, "lib", 0));
	cr_assert_eq(asynclog_log(h, LOG_INFO, "one"), 0);
	cr_assert_eq(asynclog_sync(h, 0, 10000, &info), 0);
	cr_assert_eq(info.received, 0);
	cr_assert_eq(asynclog_daemon_dropped(h), 0);
	asynclog_close(h);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 10000));
}

/* ---- --wait: the write barrier ---- */

/* A flush interval far beyond the test: only the barrier gets a record to
 * the file in time, whatever group commit does. */
#define CONF_WAIT(sync)							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 600000; stall_timeout_ms = 50000; };\n" \
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\";"	\
	" sync = \"" sync "\"; } );\n"

struct busy {
	pthread_t	 thread;
	atomic_bool	 stop;
	bool		 paced;		/* about 8000 records/s, not flat out */
	long		 n;
};

/*
 * Another client keeps the daemon's loop and the output's sink busy (a
 * chunk in flight most of the time). Paced for the loops that grep the
 * whole file each round, so the file stays a few MB.
 */
static void *
busy_main(void *arg)
{
	struct busy *b = arg;
	asynclog_t *h = asynclog_open(d.sock, "busy", 0);

	while (h != NULL && !atomic_load(&b->stop)) {
		asynclog_log(h, LOG_INFO, "busy record %ld with some padding "
		    "to make it a realistic length for a log line", b->n++);
		if (b->paced && b->n % 16 == 0)
			usleep(2000);
		else if (b->n % 64 == 0)
			sched_yield();
	}
	asynclog_close(h);
	return NULL;
}

static void
wait_loop(int n)
{
	const char *log = hd_path(&d, "main.log");
	int i;

	for (i = 0; i < n; i++)
		cr_assert_eq(run("%s -u %s -t w --wait wait-mark-%d-%ld && "
		    "grep -q ': wait-mark-%d-%ld$' %s", hd_bin("asynclog"),
		    d.sock, i, (long)getpid(), i, (long)getpid(), log), 0,
		    "round %d: not in the file when --wait returned", i);
}

Test(v2, wait_returns_once_the_record_is_in_the_file_when_idle,
    .fini = daemon_down, .timeout = 120)
{
	hd_start(&d, CONF_WAIT("interval"));
	wait_loop(150);
}

Test(v2, wait_returns_once_the_record_is_in_the_file_under_load,
    .fini = daemon_down, .timeout = 180)
{
	struct busy b = { .n = 0 };

	hd_start(&d, CONF_WAIT("never"));
	atomic_init(&b.stop, false);
	b.paced = true;
	cr_assert_eq(pthread_create(&b.thread, NULL, busy_main, &b), 0);
	wait_loop(150);
	atomic_store(&b.stop, true);
	pthread_join(b.thread, NULL);
	cr_assert_gt(b.n, 500, "the load was only %ld records", b.n);
}

Test(v2, wait_with_sync_always_under_load, .fini = daemon_down,
    .timeout = 180)
{
	struct busy b = { .n = 0 };

	hd_start(&d, CONF_WAIT("always"));
	atomic_init(&b.stop, false);
	b.paced = true;
	cr_assert_eq(pthread_create(&b.thread, NULL, busy_main, &b), 0);
	wait_loop(60);
	atomic_store(&b.stop, true);
	pthread_join(b.thread, NULL);
}

/*
 * What the barrier waits for, made visible: the output is a FIFO that
 * nobody reads, so its writer blocks with a full pipe. A record is then
 * accepted at once, but --wait cannot confirm it (the output completes
 * nothing for stall_timeout_ms); once the FIFO is read, --wait returns,
 * and the record's bytes have left the writer by then.
 */
struct drain {
	pthread_t	 thread;
	int		 fd;
	atomic_bool	 stop;
	char		*buf;
	size_t		 len;
};

static void *
drain_main(void *arg)
{
	struct drain *dr = arg;
	struct pollfd pfd = { dr->fd, POLLIN, 0 };
	char tmp[65536];
	ssize_t n;

	while (!atomic_load(&dr->stop)) {
		if (poll(&pfd, 1, 50) <= 0)
			continue;
		if ((n = read(dr->fd, tmp, sizeof(tmp))) <= 0)
			continue;
		dr->buf = realloc(dr->buf, dr->len + (size_t)n + 1);
		memcpy(dr->buf + dr->len, tmp, (size_t)n);
		dr->len += (size_t)n;
		dr->buf[dr->len] = '\0';
	}
	return NULL;
}

#define CONF_FIFO							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 50; stall_timeout_ms = 2000; };\n" \
	"outputs = ( { name = \"out\"; path = \"@DIR@/out.fifo\"; } );\n"

Test(v2, wait_waits_for_the_write_itself, .fini = daemon_down,
    .timeout = 60)
{
	struct drain dr = { .buf = NULL };
	asynclog_t *h;
	char *p;
	ssize_t n;
	int i;

	hd_prepare(&d, CONF_FIFO);
	cr_assert_eq(mkfifo(hd_path(&d, "out.fifo"), 0600), 0);
	dr.fd = open(hd_path(&d, "out.fifo"), O_RDONLY | O_NONBLOCK);
	cr_assert_neq(dr.fd, -1);
	hd_restart(&d);

	/* Fill the pipe and the writer's hands. */
	cr_assert_not_null(h = asynclog_open(d.sock, "fill", 0));
	for (i = 0; i < 3000; i++)
		asynclog_log(h, LOG_INFO, "filler %d %0100d", i, 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);

	cr_assert_eq(run("%s -u %s accepted-only", hd_bin("asynclog"),
	    d.sock), 0);
	cr_assert_eq(run("%s -u %s --wait not-written 2>%s", hd_bin("asynclog"),
	    d.sock, hd_path(&d, "err")), 1);
	cr_assert_eq(run("grep -q 'cannot confirm' %s", hd_path(&d, "err")), 0);

	atomic_init(&dr.stop, false);
	cr_assert_eq(pthread_create(&dr.thread, NULL, drain_main, &dr), 0);
	cr_assert_eq(run("%s -u %s --wait now-written", hd_bin("asynclog"),
	    d.sock), 0);
	atomic_store(&dr.stop, true);
	pthread_join(dr.thread, NULL);
	/* Whatever the thread had not read yet is in the pipe. */
	dr.buf = realloc(dr.buf, dr.len + 65536 + 1);
	while ((n = read(dr.fd, dr.buf + dr.len, 65536)) > 0) {
		dr.len += (size_t)n;
		dr.buf = realloc(dr.buf, dr.len + 65536 + 1);
	}
	dr.buf[dr.len] = '\0';
	p = strstr(dr.buf, ": now-written\n");
	cr_assert_not_null(p, "--wait returned before the write");
	free(dr.buf);
	close(dr.fd);
}

#define CONF_DEAD_FORWARD						\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 50; stall_timeout_ms = 300; };\n" \
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"	\
	"  { name = \"fwd\"; type = \"forward\"; target = \"127.0.0.1:%d\"; } );\n"

/* A port nobody listens on: *s is bound to it, never listening. */
static int
closed_port(int *s)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	socklen_t len = sizeof(sin);

	*s = socket(AF_INET, SOCK_STREAM, 0);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_eq(bind(*s, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(*s, (struct sockaddr *)&sin, &len), 0);
	return ntohs(sin.sin_port);
}

Test(v2, wait_fails_when_an_output_that_took_the_record_cannot_write,
    .fini = daemon_down, .timeout = 60)
{
	char conf[1024];
	int s;

	snprintf(conf, sizeof(conf), CONF_DEAD_FORWARD, closed_port(&s));
	hd_start(&d, conf);
	cr_assert_eq(run("%s -u %s --wait fwd-me 2>%s", hd_bin("asynclog"),
	    d.sock, hd_path(&d, "err")), 1);
	cr_assert_eq(run("grep -q 'cannot confirm the records were written' "
	    "%s", hd_path(&d, "err")), 0);
	/* Without --wait the record is accepted, and the file has it. */
	cr_assert_eq(run("%s -u %s accepted", hd_bin("asynclog"), d.sock), 0);
	close(s);
}

/* 8K chunks and a 64K spool in front of a collector that is not there. */
#define CONF_FULL_SPOOL							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { chunk_size = \"12K\"; max_memory = \"64K\";"		\
	" flush_interval_ms = 50; stall_timeout_ms = 300; };\n"		\
	"outputs = ( { name = \"fwd\"; type = \"forward\";"		\
	" target = \"127.0.0.1:%d\";\n"					\
	"  spool = { path = \"@DIR@/spool\"; max_size = \"64K\"; }; } );\n"

static bool
spool_dropped(struct hd *hd, void *arg)
{
	(void)arg;
	return hd_stat(hd, "outputs.fwd.dropped.spool_full") > 0;
}

/*
 * A record spooled counts as written for --wait; one the full spool
 * dropped was not: the barrier must not pass it off as written.
 */
Test(v2, wait_fails_when_a_full_spool_dropped_the_record,
    .fini = daemon_down, .timeout = 90)
{
	char conf[1024];
	int s, i, rc, refused = 0;
	bool in_spool;
	asynclog_t *h;

	snprintf(conf, sizeof(conf), CONF_FULL_SPOOL, closed_port(&s));
	hd_prepare(&d, conf);
	cr_assert_eq(mkdir(hd_path(&d, "spool"), 0700), 0);
	hd_restart(&d);

	cr_assert_not_null(h = asynclog_open(d.sock, "fill", 0));
	for (i = 0; i < 3000; i++)
		asynclog_log(h, LOG_INFO, "filler %d %0100d", i, 0);
	cr_assert_eq(asynclog_flush(h, 30000), 0);
	asynclog_close(h);
	cr_assert(hd_wait(spool_dropped, &d, NULL, 30000), "%s", hd_stats(&d));

	/* Records of 400 bytes (max_record shrinks to fit a 12K chunk, and
	 * stays above them): of forty, at most thirty fit what the spool has
	 * left (less than a chunk and a marker), and --wait says 0 only for
	 * those. */
	for (i = 0; i < 40; i++) {
		rc = run("%s -u %s --wait \"big-%d-$(head -c 400 /dev/zero | "
		    "tr '\\0' x)\" 2>%s", hd_bin("asynclog"), d.sock, i,
		    hd_path(&d, "err"));
		in_spool = run("grep -rqa 'big-%d-xxxxxxxxxx' %s", i,
		    hd_path(&d, "spool")) == 0;
		if (rc == 0) {
			cr_assert(in_spool, "--wait said 0, record %d is not in "
			    "the spool: %s", i, hd_stats(&d));
			continue;
		}
		refused++;
		cr_assert_eq(rc, 1);
		cr_assert(!in_spool);
		cr_assert_eq(run("grep -q 'cannot confirm the records were "
		    "written' %s", hd_path(&d, "err")), 0, "%s",
		    file_read(hd_path(&d, "err"), NULL));
	}
	cr_assert_geq(refused, 10, "%s", hd_stats(&d));
	close(s);
}

Test(v2, wait_on_the_old_daemon_says_it_cannot_confirm, .init = old_daemon_up,
    .fini = daemon_down, .timeout = 30)
{
	cr_assert_eq(run("%s -u %s --wait old 2>%s", hd_bin("asynclog"),
	    d.sock, hd_path(&d, "err")), 1);
	cr_assert_eq(run("grep -q 'protocol version 1 and cannot confirm' %s",
	    hd_path(&d, "err")), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 10000));
}

/* ---- Deferred formatting: ASYNCLOG() ---- */

#define CONF_JSON							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 50; max_record = \"1K\"; };\n"	\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; },\n"	\
	"  { name = \"json\"; path = \"@DIR@/all.json\"; format = \"json\"; } );\n"

/* The line of path that contains what, or fail. */
static char *
line_with(const char *path, const char *what)
{
	char *all = file_read(path, NULL), *p, *e, *line;

	cr_assert_not_null(all, "%s missing", path);
	p = strstr(all, what);
	cr_assert_not_null(p, "no \"%s\" in %s:\n%s", what, path, all);
	while (p > all && p[-1] != '\n')
		p--;
	e = strchr(p, '\n');
	line = strndup(p, e != NULL ? (size_t)(e - p) : strlen(p));
	free(all);
	return line;
}

Test(v2, deferred_records_are_rendered_by_the_daemon_as_snprintf_would,
    .fini = daemon_down, .timeout = 30)
{
	char want[512], *line;
	const char *volatile nul = NULL;	/* hidden from -Wformat-overflow */
	asynclog_t *h;

	hd_start(&d, CONF_JSON);
	cr_assert_not_null(h = asynclog_open(d.sock, "defer", 0));
	cr_assert_eq(asynclog_flush(h, 10000), 0);	/* version known */
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "request %d took %d ms for user %s",
	    42, 7, "alice"), 0);
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "mix %-5s|%+.3f|%#x|%lu|%c|%s|%p|%%|"
	    "%*d|%.2s", "ab", 3.14159, 255u, (unsigned long)-1, 'z', nul,
	    (void *)0x1234, 6, -42, "xyz"), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	/* Two outputs, each writing on its own thread. */
	cr_assert(hd_wait_lines(hd_path(&d, "all.json"), 2, 10000));
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 2, 10000));

	line = line_with(hd_path(&d, "main.log"), "request 42");
	cr_assert_not_null(strstr(line, "defer["));
	cr_assert(strstr(line, ": request 42 took 7 ms for user alice") != NULL &&
	    line[strlen(line) - 1] == 'e', "%s", line);
	free(line);
	snprintf(want, sizeof(want), "mix %-5s|%+.3f|%#x|%lu|%c|%s|%p|%%|%*d|%.2s",
	    "ab", 3.14159, 255u, (unsigned long)-1, 'z', "(null)",
	    (void *)0x1234, 6, -42, "xyz");
	line = line_with(hd_path(&d, "main.log"), "mix ");
	cr_assert_not_null(strstr(line, want), "%s\nwant %s", line, want);
	free(line);

	/* JSON keeps the template and the values. */
	line = line_with(hd_path(&d, "all.json"), "request 42");
	cr_assert_not_null(strstr(line, "\"fmt\":\"request %d took %d ms for "
	    "user %s\",\"args\":[42,7,\"alice\"]"), "%s", line);
	free(line);
	line = line_with(hd_path(&d, "all.json"), "\"mix ");
	cr_assert_not_null(strstr(line, "\"args\":[\"ab\",3.1415899999999999,"
	    "255,18446744073709551615,\"z\",\"(null)\",\"0x1234\",6,-42,\"xyz\"]"),
	    "%s", line);
	free(line);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}

Test(v2, a_rendered_message_over_max_record_is_cut_with_a_marker,
    .fini = daemon_down, .timeout = 30)
{
	asynclog_t *h;
	char *line;

	hd_start(&d, CONF_JSON);
	cr_assert_not_null(h = asynclog_open(d.sock, "defer", 0));
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "wide [%*d]", 3000, 5), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 10000));
	line = line_with(hd_path(&d, "main.log"), "wide [");
	/* 3007 bytes rendered, 1024 kept, the 25 of the marker included:
	 * 3007 - (1024 - 25) = 2008 left out. */
	cr_assert_not_null(strstr(line, "     ...[truncated 2008 bytes]"),
	    "%s", line + strlen(line) - 40);
	cr_assert_eq(strlen(strstr(line, ": wide [") + 2), 1024);
	free(line);
}

#define X10	"xxxxxxxxxx"
#define X100	X10 X10 X10 X10 X10 X10 X10 X10 X10 X10
#define X1000	X100 X100 X100 X100 X100 X100 X100 X100 X100 X100

/*
 * A FORMAT may hold 4096 bytes whatever max_record is: a format longer
 * than a record frame may be (max_record = 1K here) is still registered,
 * not taken for a broken stream that closes the connection each time the
 * library registers it again.
 */
Test(v2, a_format_longer_than_max_record_is_registered,
    .fini = daemon_down, .timeout = 30)
{
	asynclog_t *h;
	char *line;

	hd_start(&d, CONF_JSON);
	cr_assert_not_null(h = asynclog_open(d.sock, "defer", 0));
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "long %d " X1000 X1000 X1000, 7), 0);
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "short %d", 8), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(asynclog_close_dropped(h), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 2, 10000));
	line = line_with(hd_path(&d, "main.log"), ": long 7 xxx");
	cr_assert_not_null(strstr(line, "...[truncated"), "%s", line);
	free(line);
	free(line_with(hd_path(&d, "main.log"), ": short 8"));
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}

Test(v2, a_deferred_call_to_the_old_daemon_is_formatted_in_the_caller,
    .init = old_daemon_up, .fini = daemon_down, .timeout = 30)
{
	asynclog_t *h;
	char *line;

	cr_assert_not_null(h = asynclog_open(d.sock, "defer", 0));
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "old %d %s %.1f", 1, "two", 3.0), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(asynclog_close_dropped(h), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 10000));
	line = line_with(hd_path(&d, "main.log"), ": old 1 two 3.0");
	free(line);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}

Test(v2, percent_n_is_refused_at_the_first_call, .fini = daemon_down,
    .timeout = 30)
{
	asynclog_t *h;
	int n = 0;

	hd_start(&d, HD_CONF_BASIC);
	cr_assert_not_null(h = asynclog_open(d.sock, "defer", 0));
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat"
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "x%n", &n), -1);
#pragma GCC diagnostic pop
	cr_assert_eq(asynclog_dropped(h), 1);
	cr_assert_eq(n, 0);
	asynclog_close(h);
}

/* Deferred records still buffered when the daemon is replaced by one that
 * does not render cannot be sent: they are dropped and counted, and what
 * follows them is sent. */
Test(v2, deferred_records_buffered_for_a_daemon_that_went_old_are_counted,
    .fini = daemon_down, .timeout = 60)
{
	const char *old = v1_bin("v1/asynclogd");
	asynclog_t *h;
	int i;

	hd_start(&d, HD_CONF_BASIC);
	cr_assert_not_null(h = asynclog_open(d.sock, "defer", 0));
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	for (i = 0; i < 5; i++)
		cr_assert_eq(ASYNCLOG(h, LOG_INFO, "deferred %d", i), 0);
	d.daemon = old;
	hd_restart(&d);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "plain after"), 0);
	cr_assert_eq(ASYNCLOG(h, LOG_INFO, "deferred after %d", 9), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(asynclog_close_dropped(h), 5);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 2, 10000));
	cr_assert_eq(run("grep -q ': plain after$' %s", hd_path(&d, "main.log")), 0);
	cr_assert_eq(run("grep -q ': deferred after 9$' %s",
	    hd_path(&d, "main.log")), 0);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}
