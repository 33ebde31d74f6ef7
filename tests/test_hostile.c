/* SPDX-License-Identifier: ISC */
/*
 * test_hostile.c: a hostile or careless local user against asynclogd's
 * files and sockets. Each test runs the attack and checks that it fails
 * and that nothing it aimed at was touched.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <grp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "wire.h"

static struct hd d;

static bool stat_at_least(struct hd *, void *);

static void
daemon_down(void)
{
	hd_stop(&d);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	cr_assert_not_null(f = fopen(path, "w"));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

Test(hostile, a_file_at_the_socket_path_is_refused_not_deleted,
    .fini = daemon_down, .timeout = 30)
{
	char *text;

	hd_prepare(&d, HD_CONF_BASIC);
	write_file(d.sock, "precious\n", 0644);
	cr_assert_eq(hd_start_fails(&d), 1);
	cr_assert(hd_log_mentions(&d, "exists and is not a socket (a file)"));
	cr_assert_not_null(text = file_read(d.sock, NULL), "the file is gone");
	cr_assert_str_eq(text, "precious\n");
	free(text);
}

Test(hostile, a_symlink_at_the_socket_path_is_refused_and_its_target_kept,
    .fini = daemon_down, .timeout = 30)
{
	struct stat st;

	hd_prepare(&d, HD_CONF_BASIC);
	write_file(hd_path(&d, "target"), "secret\n", 0600);
	cr_assert_eq(symlink(hd_path(&d, "target"), d.sock), 0);
	cr_assert_eq(hd_start_fails(&d), 1);
	cr_assert(hd_log_mentions(&d, "(a symbolic link); not replacing it"));
	cr_assert_eq(stat(hd_path(&d, "target"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "target mode changed to %o",
	    st.st_mode & 07777);
}

Test(hostile, sockets_get_their_mode_whatever_the_umask,
    .fini = daemon_down, .timeout = 30)
{
	struct stat st;

	umask(0);
	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "syslog_dgram = \"@DIR@/dgram.sock\"; socket_mode = \"0620\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_eq(stat(d.sock, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0620, "native socket mode %o",
	    st.st_mode & 0777);
	cr_assert_eq(stat(hd_path(&d, "dgram.sock"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0620, "datagram socket mode %o",
	    st.st_mode & 0777);
	hd_stop(&d);

	umask(077);
	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "socket_mode = \"0666\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_eq(stat(d.sock, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0666, "native socket mode %o",
	    st.st_mode & 0777);
}

Test(hostile, a_stale_socket_is_replaced_but_a_live_one_is_not,
    .fini = daemon_down, .timeout = 30)
{
	struct hd second;

	hd_start(&d, HD_CONF_BASIC);
	/* Killed hard: its socket file stays behind, stale. */
	cr_assert_eq(hd_signal(&d, SIGKILL, 5000), 128 + SIGKILL);
	hd_restart(&d);
	memcpy(&second, &d, sizeof(second));
	cr_assert_eq(hd_start_fails(&second), 1);
	cr_assert(hd_log_mentions(&d, "another daemon is listening there"));
}

/* One size rule for every framing: max_record bytes of message, its ending
 * not counted, whether it comes in a datagram or on a stream. */
static size_t
count_in(const char *path, const char *what)
{
	char *text = file_read(path, NULL), *p;
	size_t n = 0;

	for (p = text; p != NULL && (p = strstr(p, what)) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* asynclogd's own records (drop reports) go to self.log, so main.log holds
 * exactly what the clients sent. */
#define HOSTILE_SELF							\
	"{ name = \"self\"; path = \"@DIR@/self.log\"; match = \"syslog.*\";\n" \
	"  final = true; },\n"

Test(hostile, a_datagram_of_max_record_passes_and_one_byte_more_does_not,
    .fini = daemon_down, .timeout = 30)
{
	char msg[1100];

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; max_record = \"1K\"; };\n"
	    "outputs = ( " HOSTILE_SELF
	    "{ name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 5000));
	memset(msg, 'a', sizeof(msg));
	memcpy(msg, "<13>", 4);
	msg[1024] = '\n';
	msg[1025] = '\0';
	hd_send_dgram(hd_path(&d, "dgram.sock"), msg, 1024);
	hd_send_dgram(hd_path(&d, "dgram.sock"), msg, 1025);	/* "\n" */
	hd_send_dgram(hd_path(&d, "dgram.sock"), msg, 1026);	/* "\n\0" */
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 3, 5000));
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 0);
	hd_send_dgram(hd_path(&d, "dgram.sock"), msg, 1027);	/* "\n\0a" */
	msg[1024] = 'a';
	hd_send_dgram(hd_path(&d, "dgram.sock"), msg, 1025);
	hd_send_dgram(hd_path(&d, "dgram.sock"), msg, 1100);
	hd_send_dgram(hd_path(&d, "dgram.sock"), "<13>end", 7);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 4, 5000));
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 3);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 4);
	/* The drops are in the log too, for grep (summed per window). */
	cr_assert(hd_wait_lines(hd_path(&d, "self.log"), 1, 10000));
	cr_assert_eq(count_in(hd_path(&d, "self.log"), "records (too_large)"),
	    file_lines(hd_path(&d, "self.log")));
}

/* ---- the syslog stream socket ---- */

#define STREAM_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; "			\
	"syslog_stream = \"@DIR@/stream.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( " HOSTILE_SELF						\
	"{ name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

static void
stream_up(void)
{
	hd_start(&d, STREAM_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "stream.sock", 5000));
}

/* Send bytes on a new syslog stream connection and close it. */
static void
stream_send(const void *buf, size_t len)
{
	int fd;

	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	cr_assert_eq(write(fd, buf, len), (ssize_t)len);
	close(fd);
}

/*
 * `asynclog -u stream.sock x` used to send its native frames here, and they
 * became ~22 records of garbage ("\x01ALOG\x01", ...). The same bytes now
 * make no record: one malformed drop, one line in the daemon's log.
 */
Test(hostile, a_native_hello_on_the_syslog_stream_socket_makes_no_records,
    .init = stream_up, .fini = daemon_down, .timeout = 30)
{
	const char *closed[] = { "total.dropped.malformed", "1" };
	static const char note[] = "not syslog on the syslog stream socket";
	unsigned char frames[256];
	size_t n;

	n = wire_encode_hello(frames, sizeof(frames), 0, "asynclog", 8);
	n += wire_encode_record(frames + n, sizeof(frames) - n, 13, 0,
	    "root", 4, "x", 1, NULL, 0);
	stream_send(frames, n);
	cr_assert(hd_wait(stat_at_least, &d, (void *)closed, 5000));
	/* A line after it shows the output is flushed up to here. */
	stream_send("<13>after: the native frames\n", 29);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 5000));
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 1);
	cr_assert_eq(count_in(hd_path(&d, "main.log"), "ALOG"), 0);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 1);
	cr_assert_eq(count_in(d.errlog, note), 1, "one note per connection");
	cr_assert(hd_wait_lines(hd_path(&d, "self.log"), 1, 10000));
	cr_assert_eq(count_in(hd_path(&d, "self.log"),
	    ": dropped 1 records (malformed) from "), 1);
	/* The bytes it quotes are escaped: no raw control byte in the log. */
	cr_assert(hd_log_mentions(&d, "it starts \"\\x10\\x00\\x00\\x00\\x01ALOG"),
	    "the note does not quote the frame escaped");
}

/* A line with a NUL in it is one record, the NUL escaped: a NUL in what a
 * program logs cannot cut its line into two records. */
Test(hostile, a_nul_inside_a_syslog_stream_line_is_data_not_a_separator,
    .init = stream_up, .fini = daemon_down, .timeout = 30)
{
	static const char lines[] = "<13>t: a\0<13>forged: b\n"
	    "<13>t: second\0line\n";

	stream_send(lines, sizeof(lines) - 1);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 2, 5000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 2);
	cr_assert_eq(count_in(hd_path(&d, "main.log"),
	    "]: a\\x00<13>forged: b\n"), 1);
	cr_assert_eq(count_in(hd_path(&d, "main.log"),
	    "]: second\\x00line\n"), 1);
}

/* Python's SysLogHandler ends each message with a NUL and no newline: such
 * a peer frames with NUL, and each message is a record. */
Test(hostile, nul_terminated_messages_still_frame_a_stream_that_uses_them,
    .init = stream_up, .fini = daemon_down, .timeout = 30)
{
	static const char one[] = "<14>py: one\0", two[] = "<14>py: two\0";
	int fd;

	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	cr_assert_eq(write(fd, one, sizeof(one) - 1), (ssize_t)sizeof(one) - 1);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 5000),
	    "a NUL-terminated message waited for a newline");
	cr_assert_eq(write(fd, two, sizeof(two) - 1), (ssize_t)sizeof(two) - 1);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 2, 5000));
	close(fd);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 2);
	cr_assert_eq(count_in(hd_path(&d, "main.log"), "]: one\n"), 1);
	cr_assert_eq(count_in(hd_path(&d, "main.log"), "]: two\n"), 1);
}

/* ---- connections and memory ---- */

static void
need_root(void)
{
	if (geteuid() != 0)
		cr_skip_test("needs root to run the attacker as another user "
		    "(setuid 65534); skipped");
}

/* A connection that said HELLO, or -1. */
static int
connect_hello(const char *sock)
{
	unsigned char frame[64];
	size_t n = wire_encode_hello(frame, sizeof(frame), 0, "atk", 3);
	int fd = unix_connect(sock);

	if (fd != -1 && send(fd, frame, n, MSG_NOSIGNAL) != (ssize_t)n) {
		close(fd);
		fd = -1;
	}
	return fd;
}

/*
 * The attacker: a child that becomes uid (when it is not 0), opens n
 * connections that each say HELLO and then, when frame_len > 0, all but
 * the last byte of a RECORD frame of about frame_len bytes, and holds them
 * until the test closes its pipe. Returns the child's pid; *hold is the
 * pipe to close.
 */
static pid_t
attacker(const char *sock, uid_t uid, int n, size_t frame_len, int *hold)
{
	int ready[2], wait_fd[2], i, fd;
	static char frame[1 << 17], msg[1 << 17];
	char c;
	pid_t pid;
	size_t len;

	cr_assert_eq(pipe(ready), 0);
	cr_assert_eq(pipe(wait_fd), 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		close(ready[0]);
		close(wait_fd[1]);
		/* Refused connections are closed under it: EPIPE, not death. */
		signal(SIGPIPE, SIG_IGN);
		if (uid != 0 && (setgroups(0, NULL) == -1 ||
		    setgid(uid) == -1 || setuid(uid) == -1))
			_exit(2);
		len = 0;
		if (frame_len > 0)
			len = wire_encode_record(frame, sizeof(frame), 13, 0,
			    "atk", 3, msg, frame_len - 64, NULL, 0);
		for (i = 0; i < n; i++) {
			/* Refused ones are closed by the daemon: go on. */
			if ((fd = connect_hello(sock)) == -1)
				continue;
			if (len > 0)
				(void)send(fd, frame, len - 1, MSG_NOSIGNAL);
		}
		/* The parent sees a failed write as "did not start". */
		if (write(ready[1], "x", 1) != 1 ||
		    read(wait_fd[0], &c, 1) == -1)	/* until the test is done */
			_exit(1);
		_exit(0);
	}
	close(ready[1]);
	close(wait_fd[0]);
	cr_assert_eq(read(ready[0], &c, 1), 1, "the attacker did not start");
	close(ready[0]);
	*hold = wait_fd[1];
	return pid;
}

static void
attacker_stop(pid_t pid, int hold)
{
	close(hold);
	waitpid(pid, NULL, 0);
}

static bool
stat_at_least(struct hd *dd, void *arg)
{
	const char **want = arg;

	return hd_stat(dd, want[0]) >= atoll(want[1]);
}

Test(hostile, one_user_holding_connections_does_not_lock_out_the_others,
    .fini = daemon_down, .timeout = 60)
{
	const char *refused[] = { "refused", "48" };
	int hold;
	pid_t pid;

	need_root();
	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "max_clients = 64; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "format = \"json\"; } );\n");
	cr_assert_eq(chmod(d.dir, 0755), 0);
	/* nobody takes every slot it can: its share is 64 / 4 = 16. */
	pid = attacker(d.sock, 65534, 64, 0, &hold);
	cr_assert(hd_wait(stat_at_least, &d, refused, 10000),
	    "connections beyond the user's share were not refused");
	/* 16 of nobody, and the connection asking. */
	cr_assert_eq(hd_stat(&d, "clients"), 16 + 1);
	/* Another user still gets in, and so does root's --stats. */
	cr_assert_eq(run("setpriv --reuid=65533 --regid=65533 --clear-groups "
	    "%s -u %s -t other 'from another user'", hd_bin("asynclog"),
	    d.sock), 0);
	cr_assert_eq(run("%s -u %s --stats | grep -q 'balanced=yes'",
	    hd_bin("asynclog"), d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 5000));
	cr_assert_eq(run("grep -q '\"uid\":65533,.*from another user' %s",
	    hd_path(&d, "main.log")), 0);
	attacker_stop(pid, hold);
}

Test(hostile, a_client_that_never_says_hello_or_never_ends_a_frame_is_closed,
    .fini = daemon_down, .timeout = 30)
{
	const char *gone[] = { "total.dropped.malformed", "1" };
	unsigned char frame[256];
	size_t n;
	int silent, partial;

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "frame_timeout_ms = 300; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_neq(silent = unix_connect(d.sock), -1);
	cr_assert_neq(partial = connect_hello(d.sock), -1);
	n = wire_encode_record(frame, sizeof(frame), 13, 0, "t", 1, "message",
	    7, NULL, 0);
	cr_assert_eq(write(partial, frame, n - 3), (ssize_t)(n - 3));
	cr_assert(hd_wait(stat_at_least, &d, gone, 5000));
	cr_assert(hd_wait(hd_log_mentions, &d, "no HELLO within "
	    "frame_timeout_ms (300 ms)", 5000));
	cr_assert(hd_log_mentions(&d, "a frame not finished within"));
	cr_assert_eq(hd_stat(&d, "clients"), 1, "only the one asking");
	cr_assert_eq(read(silent, frame, 1), 0, "not closed by the daemon");
	close(silent);
	close(partial);
}

/*
 * 2000 connections, each one byte short of a 64 KiB frame, used to take
 * the daemon from 4 MiB to 146 MiB. With the 4096 hostile connections of
 * the issue, the read buffers stay within buffer.client_memory and peak
 * RSS under 32 MiB, and other clients are served meanwhile.
 */
Test(hostile, unfinished_frames_of_many_clients_stay_within_client_memory,
    .fini = daemon_down, .timeout = 60)
{
	const char *seen[] = { "total.dropped.overflow", "1" };
	long peak_kib;
	int hold;
	pid_t pid;

	need_root();
	hd_need_files(9000);
	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "max_clients = 8192; max_clients_per_user = 8192; };\n"
	    "buffer = { flush_interval_ms = 20; max_memory = \"2M\"; "
	    "chunk_size = \"512K\"; client_memory = \"8M\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_eq(chmod(d.dir, 0755), 0);
	pid = attacker(d.sock, 65534, 4096, 65536, &hold);
	cr_assert(hd_wait(stat_at_least, &d, seen, 30000),
	    "no unfinished frame was dropped to stay within the budget");
	cr_assert_eq(run("seq 1 100 | %s -u %s -t legit", hd_bin("asynclog"),
	    d.sock), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 100, 20000),
	    "a legitimate client was not served during the attack");
	cr_assert_leq(hd_stat(&d, "client_memory_peak"), 8 << 20);
	cr_assert_geq(hd_stat(&d, "clients"), 4096, "the attack did not "
	    "hold its 4096 connections");
	peak_kib = hd_proc_kib(d.pid, "VmHWM:");
	cr_log_info("asynclogd peak RSS with 4096 hostile connections: %ld KiB",
	    peak_kib);
	/* Under ASan the resident size is mostly shadow memory. */
	if (getenv("ASYNCLOG_SANITIZE") == NULL ||
	    strcmp(getenv("ASYNCLOG_SANITIZE"), "1") != 0)
		cr_assert_lt(peak_kib, 32 * 1024, "peak RSS %ld KiB", peak_kib);
	attacker_stop(pid, hold);
}

/* 2000 DROPPED frames claiming 0xffffffff each used to make 2001 lines
 * and push received to 8.6e12; reconnecting must not get round the caps. */
Test(hostile, dropped_claims_are_capped_summed_and_attributed_to_the_client,
    .fini = daemon_down, .timeout = 30)
{
	static unsigned char frames[2000 * 64];
	size_t n = 0;
	char want[64];
	int fd, i;

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; };\n"
	    "ratelimit = { interval_ms = 60000; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; "
	    "format = \"json\"; } );\n");
	for (i = 0; i < 2000; i++)
		n += wire_encode_dropped(frames + n, sizeof(frames) - n,
		    0xffffffffULL, 1, 2);
	/* One connection, then 20 more, each claiming as much as it can. */
	for (i = 0; i < 21; i++) {
		cr_assert_neq(fd = connect_hello(d.sock), -1);
		cr_assert_eq(write(fd, frames, n), (ssize_t)n);
		close(fd);
	}
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 1, 5000));
	/* One user gets at most 2^28 in a window, however it connects. */
	cr_assert_eq(hd_stat(&d, "total.dropped.client"), 1LL << 28);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_leq(file_lines(hd_path(&d, "main.log")), 2,
	    "one line per user and window, not one per frame or connection");
	snprintf(want, sizeof(want), "\"pid\":%ld,", (long)getpid());
	cr_assert_eq(run("grep 'dropped' %s | grep -q '%s'",
	    hd_path(&d, "main.log"), want), 0,
	    "the report is not attributed to the client");
}

/*
 * Under memory pressure the connection holding the largest unfinished frame
 * gives that frame up (one overflow drop) and goes on: the records it sends
 * after it arrive, none lost uncounted.
 */
Test(hostile, a_connection_that_gives_up_its_unfinished_frame_keeps_the_rest,
    .fini = daemon_down, .timeout = 60)
{
	const char *given_up[] = { "total.dropped.overflow", "1" };
	static unsigned char frame[16384], rest[4 * 16384];
	char msg[8192], line[64];
	size_t n, m = 0;
	int a1, a2, l, i;

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "max_clients_per_user = 100; frame_timeout_ms = 60000; };\n"
	    "buffer = { flush_interval_ms = 20; max_record = \"8K\"; "
	    "client_memory = \"48K\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	memset(msg, 'x', sizeof(msg));
	/* Two hoarders and the legitimate client fill the 48K budget with
	 * unfinished frames; the legitimate one holds the most. */
	n = wire_encode_record(frame, sizeof(frame), 13, 0, "t", 1, msg, 8000,
	    NULL, 0);
	cr_assert_neq(a1 = connect_hello(d.sock), -1);
	cr_assert_neq(a2 = connect_hello(d.sock), -1);
	cr_assert_neq(l = connect_hello(d.sock), -1);
	cr_assert_eq(write(a1, frame, 7000), 7000);
	cr_assert_eq(write(a2, frame, 7000), 7000);
	cr_assert_eq(write(l, frame, 7500), 7500);
	/* Whoever asks for memory next (the stats queries here) takes it
	 * from the largest unfinished frame. */
	cr_assert(hd_wait(stat_at_least, &d, given_up, 10000));
	m = n - 7500;
	memcpy(rest, frame + 7500, m);
	for (i = 0; i < 3; i++) {
		snprintf(line, sizeof(line), "after the cut %d", i);
		m += wire_encode_record(rest + m, sizeof(rest) - m, 13, 0, "t",
		    1, line, strlen(line), NULL, 0);
	}
	cr_assert_eq(write(l, rest, m), (ssize_t)m);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 3, 10000));
	cr_assert_eq(run("grep -c 'after the cut' %s | grep -qx 3",
	    hd_path(&d, "main.log")), 0);
	cr_assert(hd_log_mentions(&d, "dropped (overflow) to keep client "
	    "buffers within client_memory"));
	close(a1);
	close(a2);
	close(l);
}

/* An oversize frame is skipped as it arrives, but it too must end within
 * frame_timeout_ms: a client cannot trickle a 4 GiB frame for ever. */
Test(hostile, an_oversize_frame_trickled_in_is_cut_at_the_deadline,
    .fini = daemon_down, .timeout = 30)
{
	static const unsigned char huge[] = { 0xff, 0xff, 0xff, 0xff,
	    WIRE_RECORD };
	long long start;
	char buf[1];
	int fd;

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "frame_timeout_ms = 500; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_neq(fd = connect_hello(d.sock), -1);
	cr_assert_eq(write(fd, huge, sizeof(huge)), (ssize_t)sizeof(huge));
	start = hd_now_ms();
	while (hd_now_ms() - start < 5000 &&
	    send(fd, "0123456789", 10, MSG_NOSIGNAL) == 10)
		usleep(100 * 1000);
	cr_assert_lt(hd_now_ms() - start, 3000,
	    "the trickling client was not cut off");
	cr_assert_leq(read(fd, buf, 1), 0, "still open");	/* EOF or reset */
	close(fd);
}
