/* SPDX-License-Identifier: ISC */
/*
 * test_compat.c: syslog compatibility with clients we did not write, end to
 * end against the real asynclogd: util-linux logger(1), Python's
 * logging.handlers.SysLogHandler, glibc syslog(3) through a bind-mounted
 * /dev/log, and the asynclog CLI as a logger(1) drop-in. Then hostile input
 * through every socket: whatever a client sends becomes exactly one record
 * (or one counted too_large drop), never a second, forged line.
 *
 * Records are checked in the JSON output, read by python3's json module
 * (summary(), below), so "valid JSON, one object per line" is tested by a
 * parser we did not write either.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"
#include "wire.h"

#define COMPAT_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_stream = \"@DIR@/stream.sock\";\n"			\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"outputs = (\n"							\
	"  { name = \"self\"; path = \"@DIR@/self.log\";\n"		\
	"    match = \"syslog.*\"; final = true; },\n"			\
	"  { name = \"json\"; path = \"@DIR@/main.json\"; format = \"json\"; },\n" \
	"  { name = \"text\"; path = \"@DIR@/main.log\"; format = \"text\"; },\n" \
	"  { name = \"rfc5424\"; path = \"@DIR@/main.5424\";\n"		\
	"    format = \"rfc5424\"; } );\n"

/* asynclogd's own records (drop reports) go to self.log, so the others
 * hold exactly what the clients sent. */

/*
 * One line per record: the named fields joined by '|', "-" for an absent
 * one, strings with Python's unicode_escape so that control characters stay
 * visible. json.loads() fails on anything that is not one valid JSON object
 * per line, and the strict UTF-8 decode on invalid UTF-8.
 */
static const char summary_py[] =
"import json, sys\n"
"data = open(sys.argv[1], 'rb').read()\n"
"assert data == b'' or data.endswith(b'\\n'), 'last line not terminated'\n"
"fields = sys.argv[2].split(',')\n"
"for line in data.split(b'\\n')[:-1]:\n"
"    o = json.loads(line.decode('utf-8', 'strict'))\n"
"    assert isinstance(o, dict), line\n"
"    out = []\n"
"    for f in fields:\n"
"        v = o.get(f)\n"
"        if v is None:\n"
"            out.append('-')\n"
"        elif isinstance(v, str):\n"
"            out.append(v.encode('unicode_escape').decode('ascii'))\n"
"        else:\n"
"            out.append(str(v))\n"
"    print('|'.join(out))\n";

static struct hd d;


static void
compat_up(void)
{
	hd_start(&d, COMPAT_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "stream.sock", 10000));
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 10000));
}

static void
compat_down(void)
{
	hd_stop(&d);
}

/* Copy of hd_path() that does not rotate away under the caller. */
static char *
path_of(const char *name)
{
	char *p = strdup(hd_path(&d, name));

	cr_assert_not_null(p);
	return p;
}

static void
file_write(const char *path, const char *data, size_t len)
{
	FILE *f = fopen(path, "w");

	cr_assert_not_null(f, "cannot write %s", path);
	cr_assert_eq(fwrite(data, 1, len, f), len);
	cr_assert_eq(fclose(f), 0);
}

/* The JSON output as summary lines (see summary_py); caller frees. */
static char *
summary(const char *file, const char *fields)
{
	char *py = path_of("summary.py"), *in = path_of(file);
	char *out = path_of("summary.out"), *err = path_of("summary.err");
	char *text, *msg;
	int rc;

	file_write(py, summary_py, strlen(summary_py));
	rc = run("python3 %s %s %s > %s 2> %s", py, in, fields, out, err);
	msg = file_read(err, NULL);
	cr_assert_eq(rc, 0, "%s is not one JSON object per line: %s", file,
	    msg != NULL ? msg : "?");
	free(msg);
	text = file_read(out, NULL);
	cr_assert_not_null(text);
	free(py);
	free(in);
	free(out);
	free(err);
	return text;
}

/* A number written to a file by a client ("echo $$ > f"). */
static long
pid_from(const char *name)
{
	char *s = file_read(hd_path(&d, name), NULL);
	long v;

	cr_assert_not_null(s, "no pid file %s", name);
	v = strtol(s, NULL, 10);
	free(s);
	cr_assert_gt(v, 0);
	return v;
}

static void
wait_records(size_t n)
{
	cr_assert(hd_wait_lines(hd_path(&d, "main.json"), n, 10000),
	    "expected %zu records, got %zu", n,
	    file_lines(hd_path(&d, "main.json")));
}

/* Stop the daemon (SIGTERM drains every buffer) so the files are final. */
static void
drain(void)
{
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

static void
assert_summary(const char *fields, const char *expected)
{
	char *got = summary("main.json", fields);

	cr_assert_str_eq(got, expected, "records differ:\n--- got\n%s--- "
	    "expected\n%s", got, expected);
	free(got);
}

/* ---- util-linux logger(1) ------------------------------------------- */

Test(compat, logger_datagrams_keep_priority_tag_and_kernel_pid,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char exp[1024];
	long p1, p2, p3;

	cr_assert_eq(run("sh -c 'echo $$ > %s; exec logger -u %s -t mytag "
	    "-p local3.warning \"hello dgram\"'", hd_path(&d, "p1"),
	    hd_path(&d, "dgram.sock")), 0);
	cr_assert_eq(run("sh -c 'echo $$ > %s; exec logger --socket-errors=on "
	    "-i -u %s -t errtag -p mail.err \"with socket errors on\"'",
	    hd_path(&d, "p2"), hd_path(&d, "dgram.sock")), 0);
	cr_assert_eq(run("sh -c 'echo $$ > %s; exec logger --rfc5424 "
	    "--msgid MID42 -u %s -t r5 -p auth.info \"five four two four\"'",
	    hd_path(&d, "p3"), hd_path(&d, "dgram.sock")), 0);
	wait_records(3);
	drain();

	p1 = pid_from("p1");
	p2 = pid_from("p2");
	p3 = pid_from("p3");
	snprintf(exp, sizeof(exp),
	    "local3|warning|mytag|%ld|-|-|hello dgram\n"
	    "mail|err|errtag|%ld|-|-|with socket errors on\n"
	    "auth|info|r5|%ld|-|MID42|five four two four\n", p1, p2, p3);
	assert_summary("facility,severity,tag,pid,claimed_pid,msgid,message",
	    exp);
}

/*
 * logger --id=ID claims ID as the pid. The kernel's pid wins, and the claim
 * is kept beside it when it differs. (logger also puts ID in its
 * SCM_CREDENTIALS, which the kernel accepts from root for a pid that exists:
 * then the kernel itself vouches for it. 99999999 is above any pid_max.)
 */
Test(compat, logger_id_keeps_the_claimed_pid_when_it_differs,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *got, exp[512], *second;
	long lp, sh, kpid, claimed;

	cr_assert_eq(run("sh -c 'echo $$ > %s; exec logger --id=99999999 -u %s "
	    "-t idtag claimed'", hd_path(&d, "p1"), hd_path(&d, "dgram.sock")),
	    0);
	/* --id=$$ in a shell claims the shell's pid from a child process. */
	cr_assert_eq(run("sh -c 'echo $$ > %s; logger --id=$$ -u %s -t shtag "
	    "\"shell pid\"; true'", hd_path(&d, "p2"),
	    hd_path(&d, "dgram.sock")), 0);
	wait_records(2);
	drain();

	lp = pid_from("p1");
	sh = pid_from("p2");
	got = summary("main.json", "tag,pid,claimed_pid,message");
	snprintf(exp, sizeof(exp), "idtag|%ld|99999999|claimed\n", lp);
	cr_assert(strncmp(got, exp, strlen(exp)) == 0, "got:\n%s", got);
	second = got + strlen(exp);
	if (sscanf(second, "shtag|%ld|%ld|", &kpid, &claimed) == 2) {
		/* the kernel refused the claim: logger's own pid, and the
		 * shell's as claimed */
		cr_assert_neq(kpid, sh);
		cr_assert_eq(claimed, sh);
	} else {
		/* root: the kernel vouched for the shell's pid */
		snprintf(exp, sizeof(exp), "shtag|%ld|-|shell pid\n", sh);
		cr_assert_str_eq(second, exp);
	}
	free(got);
}

Test(compat, logger_on_the_stream_socket_newline_and_octet_counted,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	/* logger tries a datagram first and falls back to a stream. */
	cr_assert_eq(run("printf 'one\\ntwo\\n' | logger -u %s -t lf "
	    "-p news.crit", hd_path(&d, "stream.sock")), 0);
	cr_assert_eq(run("printf 'three\\nfour\\n' | logger --octet-count "
	    "-u %s -t oc -p uucp.alert", hd_path(&d, "stream.sock")), 0);
	cr_assert_eq(run("logger --rfc5424 --octet-count -u %s -t oc5 "
	    "'five with spaces'", hd_path(&d, "stream.sock")), 0);
	wait_records(5);
	drain();
	assert_summary("facility,severity,tag,message",
	    "news|crit|lf|one\n"
	    "news|crit|lf|two\n"
	    "uucp|alert|oc|three\n"
	    "uucp|alert|oc|four\n"
	    "user|notice|oc5|five with spaces\n");
}

/*
 * The one space after "tag:" is the separator, in every format: text shows
 * "tag[pid]: x", JSON's message is "x", RFC 5424's MSG is "x"; a second
 * space is the message's own (asynclogd(8), COMPATIBILITY).
 */
Test(compat, the_space_after_the_tag_is_dropped_alike_in_every_format,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	static const char *lines[] = {
		"<13>Nov 25 12:00:00 sp: one",
		"<13>Nov 25 12:00:00 sp:  two",
		"<13>Nov 25 12:00:00 sp:none",
	};
	char *text, *r5424;
	size_t i;

	for (i = 0; i < 3; i++)
		hd_send_dgram(hd_path(&d, "dgram.sock"), lines[i],
		    strlen(lines[i]));
	wait_records(3);
	drain();
	assert_summary("tag,message", "sp|one\nsp| two\nsp|none\n");
	text = file_read(hd_path(&d, "main.log"), NULL);
	cr_assert_not_null(text);
	cr_assert(strstr(text, "]: one\n") != NULL, "%s", text);
	cr_assert(strstr(text, "]:  two\n") != NULL, "%s", text);
	cr_assert(strstr(text, "]: none\n") != NULL, "%s", text);
	r5424 = file_read(hd_path(&d, "main.5424"), NULL);
	cr_assert_not_null(r5424);
	cr_assert(strstr(r5424, "] one\n") != NULL, "%s", r5424);
	cr_assert(strstr(r5424, "]  two\n") != NULL, "%s", r5424);
	cr_assert(strstr(r5424, "] none\n") != NULL, "%s", r5424);
	free(text);
	free(r5424);
}

/* ---- Python logging.handlers.SysLogHandler -------------------------- */

static const char python_py[] =
"import logging, logging.handlers as lh, os, socket, sys\n"
"path, kind, pidfile = sys.argv[1:4]\n"
"st = socket.SOCK_DGRAM if kind == 'dgram' else socket.SOCK_STREAM\n"
"h = lh.SysLogHandler(address=path, facility=lh.SysLogHandler.LOG_LOCAL5,\n"
"                     socktype=st)\n"
"h.setFormatter(logging.Formatter('pyapp[%(process)d]: %(message)s'))\n"
"log = logging.getLogger('compat')\n"
"log.propagate = False\n"
"log.setLevel(logging.DEBUG)\n"
"log.addHandler(h)\n"
"log.debug('d %s', kind); log.info('i'); log.warning('w')\n"
"log.error('e'); log.critical('c')\n"
"h.close()\n"
"plain = lh.SysLogHandler(address=path, socktype=st)\n"
"log.removeHandler(h); log.addHandler(plain)\n"
"log.warning('no tag, no pid: %s', kind)\n"
"log.error('Traceback (most recent call last):\\n  File \"x\"')\n"
"plain.close()\n"
"open(pidfile + '.comm', 'w').write(open('/proc/self/comm').read().strip())\n"
"open(pidfile, 'w').write(str(os.getpid()))\n";

static void
python_handler(const char *sock, const char *kind)
{
	char exp[1024], *comm;
	long pid;

	file_write(hd_path(&d, "handler.py"), python_py, strlen(python_py));
	cr_assert_eq(run("python3 %s %s %s %s", hd_path(&d, "handler.py"),
	    hd_path(&d, sock), kind, hd_path(&d, "pypid")), 0);
	wait_records(7);
	drain();
	pid = pid_from("pypid");
	comm = file_read(hd_path(&d, "pypid.comm"), NULL);
	cr_assert_not_null(comm);
	cr_assert_gt(strlen(comm), 0);
	/* Without an ident the tag is the kernel's command name, as
	 * journald's _COMM; a newline inside a message stays in it. */
	snprintf(exp, sizeof(exp),
	    "local5|debug|pyapp|%ld|-|d %s\n"
	    "local5|info|pyapp|%ld|-|i\n"
	    "local5|warning|pyapp|%ld|-|w\n"
	    "local5|err|pyapp|%ld|-|e\n"
	    "local5|crit|pyapp|%ld|-|c\n"
	    "user|warning|%s|%ld|-|no tag, no pid: %s\n"
	    "user|err|%s|%ld|-|Traceback (most recent call last):\\n  "
	    "File \"x\"\n",
	    pid, kind, pid, pid, pid, pid, comm, pid, kind, comm, pid);
	assert_summary("facility,severity,tag,pid,claimed_pid,message", exp);
	free(comm);
}

Test(compat, python_sysloghandler_datagrams_arrive,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	python_handler("dgram.sock", "dgram");
}

/* Python ends each message with a NUL on a stream, not with a newline. */
Test(compat, python_sysloghandler_nul_terminated_stream_arrives,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	python_handler("stream.sock", "stream");
}

/* ---- glibc syslog(3) through /dev/log -------------------------------- */

static const char glibc_c[] =
"#include <stdio.h>\n"
"#include <syslog.h>\n"
"#include <unistd.h>\n"
"int main(void) {\n"
"	printf(\"%ld\\n\", (long)getpid());\n"
"	fflush(stdout);\n"
"	openlog(\"glibcprog\", LOG_PID | LOG_NDELAY, LOG_LOCAL4);\n"
"	syslog(LOG_ERR, \"error from glibc %d\", 42);\n"
"	syslog(LOG_MAIL | LOG_DEBUG, \"debug to mail\");\n"
"	closelog();\n"
"	openlog(\"nopid\", 0, LOG_DAEMON);\n"
"	syslog(LOG_NOTICE, \"without LOG_PID\");\n"
"	closelog();\n"
"	return 0;\n"
"}\n";

Test(compat, glibc_syslog_via_dev_log_keeps_ident_and_pid,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char exp[1024];
	long pid;
	int rc;

	if (run("unshare -m true 2>/dev/null") != 0)
		cr_skip("unshare -m is not permitted here (needs root or user "
		    "namespaces): cannot bind-mount /dev/log privately");
	file_write(hd_path(&d, "prog.c"), glibc_c, strlen(glibc_c));
	cr_assert_eq(run("cc -o %s %s", hd_path(&d, "prog"),
	    hd_path(&d, "prog.c")), 0);
	/* In a private mount namespace /dev/log is the daemon's socket; where
	 * there is no /dev/log to mount over, a private tmpfs /dev gets one. */
	rc = run("unshare -m sh -c 'if [ ! -e /dev/log ]; then mount -t tmpfs "
	    "none /dev || exit 77; : > /dev/log; fi; mount --bind %s /dev/log "
	    "|| exit 77; exec %s' > %s", hd_path(&d, "dgram.sock"),
	    hd_path(&d, "prog"), hd_path(&d, "prog.pid"));
	if (rc == 77)
		cr_skip("cannot bind-mount onto /dev/log in a private mount "
		    "namespace");
	cr_assert_eq(rc, 0);
	wait_records(3);
	drain();
	pid = pid_from("prog.pid");
	snprintf(exp, sizeof(exp),
	    "local4|err|glibcprog|%ld|-|error from glibc 42\n"
	    "mail|debug|glibcprog|%ld|-|debug to mail\n"
	    "daemon|notice|nopid|%ld|-|without LOG_PID\n", pid, pid, pid);
	assert_summary("facility,severity,tag,pid,claimed_pid,message", exp);
}

/* ---- logger(1) and asynclog(1) agree --------------------------------- */

/*
 * The same invocations, once through logger to the datagram socket and once
 * through asynclog to the native socket, must give the same records.
 */
static void
send_both_ways(const char *prog, const char *sock)
{
	const char *in = hd_path(&d, "input.txt");

	cr_assert_eq(run("%s -u %s -t same -p local2.err one message from "
	    "args", prog, sock), 0);
	cr_assert_eq(run("%s -u %s -t pfx --prio-prefix -p daemon.info < %s",
	    prog, sock, in), 0);
	cr_assert_eq(run("%s -u %s -t skip -e < %s", prog, sock, in), 0);
	cr_assert_eq(run("%s -u %s -t file -p warning -f %s", prog, sock, in),
	    0);
	cr_assert_eq(run("%s -u %s -t kern -p kern.crit kern is for the "
	    "kernel", prog, sock), 0);
}

Test(compat, logger_and_asynclog_give_the_same_records,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	static const char input[] =
	    "plain line\n"
	    "<11>user err line\n"
	    "<3>facility from -p\n"
	    "<999>not a prefix\n"
	    "\n"
	    "  indented\ttab\n"
	    "utf8 \xc3\xa9 \xc3\xbc\n";
	char *all, *half;
	size_t n, i;

	file_write(hd_path(&d, "input.txt"), input, sizeof(input) - 1);
	send_both_ways("logger", hd_path(&d, "dgram.sock"));
	n = file_lines(hd_path(&d, "input.txt"));
	n = 1 + n + (n - 1) + n + 1;
	wait_records(n);
	send_both_ways(hd_bin("asynclog"), d.sock);
	wait_records(2 * n);
	drain();
	cr_assert_eq(file_lines(hd_path(&d, "main.json")), 2 * n);

	all = summary("main.json", "facility,severity,tag,message");
	for (half = all, i = 0; i < n; i++)
		half = strchr(half, '\n') + 1;
	cr_assert_eq(memcmp(all, half, half - all), 0,
	    "logger and asynclog differ:\n--- logger\n%.*s--- asynclog\n%s",
	    (int)(half - all), all, half);
	cr_assert_str_eq(half + (half - all), "");
	free(all);
}

/* ---- hostile input through every socket ------------------------------ */

static void
write_all(int fd, const void *buf, size_t len)
{
	const char *p = buf;
	ssize_t n;

	while (len > 0) {
		n = write(fd, p, len);
		cr_assert_gt(n, 0, "write to the daemon failed");
		p += n;
		len -= n;
	}
}

/* "<13>TAG: MSG" as an RFC 6587 octet-counted frame. */
static void
octet_frame(int fd, const char *tag, const char *msg, size_t len)
{
	char head[64];
	int n;

	n = snprintf(head, sizeof(head), "%zu <13>%s: ",
	    strlen(tag) + 6 + len, tag);
	write_all(fd, head, n);
	write_all(fd, msg, len);
}

struct hostile {
	const char	*msg;
	size_t		 len;
	bool		 lf_ok;		/* no '\n' or NUL: can go LF-framed */
	const char	*json;		/* message as summary() shows it */
	const char	*text;		/* message as the text format has it */
};

#define H(s, lf, j, t)	{ s, sizeof(s) - 1, lf, j, t }
static const struct hostile hostile[] = {
	H("nl a\nforged: line", false, "nl a\\nforged: line",
	    "nl a\\nforged: line"),
	H("nul a\0b", false, "nul a\\x00b", "nul a\\x00b"),
	H("crlf\r\n<13>forged: x", false, "crlf\\r\\n<13>forged: x",
	    "crlf\\r\\n<13>forged: x"),
	H("ansi \x1b[31mred\x1b[0m \x1b]0;t\x07", true,
	    "ansi \\x1b[31mred\\x1b[0m \\x1b]0;t\\x07",
	    "ansi \\x1b[31mred\\x1b[0m \\x1b]0;t\\x07"),
	H("csi \xc2\x9b" "2J", true, "csi \\x9b2J", "csi \\xc2\\x9b2J"),
	H("bad utf8 \xff\xfe\xc3 end \xed\xa0\x80", true,
	    "bad utf8 \\udcff\\udcfe\\udcc3 end \\udced\\udca0\\udc80",
	    "bad utf8 \\xff\\xfe\\xc3 end \\xed\\xa0\\x80"),
	H("sep \xe2\x80\xa8 x", true, "sep \\u2028 x", "sep \xe2\x80\xa8 x"),
};
#define NHOSTILE	(sizeof(hostile) / sizeof(hostile[0]))

/* Line i (0-based) of text, without its '\n'; caller frees. */
static char *
line_at(const char *text, size_t i)
{
	const char *e;

	while (i-- > 0 && text != NULL)
		if ((text = strchr(text, '\n')) != NULL)
			text++;
	cr_assert_not_null(text);
	e = strchr(text, '\n');
	return strndup(text, e != NULL ? (size_t)(e - text) : strlen(text));
}

Test(injection, hostile_bytes_give_exactly_one_record_through_every_input,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	static const char *const inputs[] = { "native", "stream", "lf",
	    "dgram" };
	char buf[256], *got, *line, *text, *exp;
	size_t i, k, n = 0, explen = 0;
	asynclog_t *h;
	int fd;

	/* native, through the library */
	cr_assert_not_null(h = asynclog_open(d.sock, "native",
	    ASYNCLOG_BLOCK));
	for (i = 0; i < NHOSTILE; i++)
		cr_assert_eq(asynclog_write(h, 13, hostile[i].msg,
		    hostile[i].len), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	wait_records(n += NHOSTILE);

	/* syslog stream, octet-counted: any byte may be in a message */
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	for (i = 0; i < NHOSTILE; i++)
		octet_frame(fd, "stream", hostile[i].msg, hostile[i].len);
	close(fd);
	wait_records(n += NHOSTILE);

	/* syslog stream, newline-framed: a '\n' or NUL ends the message
	 * there, by definition, so only the others go this way */
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	for (i = 0; i < NHOSTILE; i++) {
		if (!hostile[i].lf_ok)
			continue;
		write_all(fd, "<13>lf: ", 8);
		write_all(fd, hostile[i].msg, hostile[i].len);
		write_all(fd, "\n", 1);
		n++;
	}
	close(fd);
	wait_records(n);

	/* syslog datagrams */
	for (i = 0; i < NHOSTILE; i++) {
		cr_assert_lt(hostile[i].len + 12, sizeof(buf));
		memcpy(buf, "<13>dgram: ", 11);
		memcpy(buf + 11, hostile[i].msg, hostile[i].len);
		hd_send_dgram(hd_path(&d, "dgram.sock"), buf,
		    11 + hostile[i].len);
	}
	wait_records(n += NHOSTILE);
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 0);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
	drain();

	/* Exactly one line per record in every format ... */
	cr_assert_eq(file_lines(hd_path(&d, "main.json")), n);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), n);
	cr_assert_eq(file_lines(hd_path(&d, "main.5424")), n);

	/* ... valid JSON with the message escaped, not cut or split ... */
	cr_assert_not_null(exp = calloc(1, 8192));
	for (k = 0; k < 4; k++)
		for (i = 0; i < NHOSTILE; i++) {
			if (k == 2 && !hostile[i].lf_ok)
				continue;
			explen += snprintf(exp + explen, 8192 - explen,
			    "%s|%s\n", inputs[k], hostile[i].json);
		}
	assert_summary("tag,message", exp);
	free(exp);

	/* ... and the text format escapes the same bytes reversibly. */
	cr_assert_not_null(text = file_read(hd_path(&d, "main.log"), NULL));
	for (n = 0, k = 0; k < 4; k++)
		for (i = 0; i < NHOSTILE; i++) {
			if (k == 2 && !hostile[i].lf_ok)
				continue;
			line = line_at(text, n++);
			snprintf(buf, sizeof(buf), "]: %s", hostile[i].text);
			got = strstr(line, buf);
			cr_assert(got != NULL && strcmp(got, buf) == 0,
			    "text line %zu is\n%s\nexpected it to end with\n%s",
			    n, line, buf);
			free(line);
		}
	free(text);
}

#define MIB	(1024 * 1024)

/* A 1 MiB message followed by text that would be a record of its own if the
 * daemon lost its place in the stream. */
static char *
big_message(size_t *len)
{
	static const char tail[] = "\n<13>forged: line\n";
	char *m = malloc(MIB + sizeof(tail));

	cr_assert_not_null(m);
	memset(m, 'A', MIB);
	memcpy(m + MIB, tail, sizeof(tail) - 1);
	*len = MIB + sizeof(tail) - 1;
	return m;
}

static void
assert_nothing_forged(size_t records)
{
	char *text;

	drain();
	cr_assert_eq(file_lines(hd_path(&d, "main.json")), records);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), records);
	cr_assert_eq(file_lines(hd_path(&d, "main.5424")), records);
	text = file_read(hd_path(&d, "main.log"), NULL);
	cr_assert_not_null(text);
	cr_assert_null(strstr(text, "forged"), "a forged record got in:\n%.300s",
	    strstr(text, "forged") - 100);
	cr_assert_null(strstr(text, "AAAA\n"), "the tail of a dropped message "
	    "became a record");
	free(text);
	free(summary("main.json", "message"));	/* still valid JSON */
}

Test(injection, a_1_mib_message_is_one_record_or_one_counted_drop,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	unsigned char *frame;
	char *big, *got;
	size_t len, n, cap = 2 * MIB;
	asynclog_t *h;
	int fd, sz = 4 * MIB;
	struct sockaddr_un sun;

	big = big_message(&len);

	/* native, through the library: cut to the record limit, marked */
	cr_assert_not_null(h = asynclog_open(d.sock, "lib", ASYNCLOG_BLOCK));
	cr_assert_eq(asynclog_write(h, 13, big, len), 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	asynclog_close(h);
	wait_records(1);

	/* native, a raw frame past the record limit: dropped, counted */
	cr_assert_not_null(frame = malloc(cap));
	n = wire_encode_hello(frame, cap, 0, "raw", 3);
	n += wire_encode_record(frame + n, cap - n, 13, 0, "raw", 3, big, len,
	    NULL, 0);
	n += wire_encode_record(frame + n, cap - n, 13, 0, "raw", 3, "after", 5,
	    NULL, 0);
	cr_assert_neq(fd = unix_connect(d.sock), -1);
	write_all(fd, frame, n);
	close(fd);
	free(frame);
	wait_records(2);
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 1);

	/* syslog stream, octet-counted: the whole frame goes, and the
	 * next frame is read from the right place */
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	octet_frame(fd, "octet", big, len);
	octet_frame(fd, "octet", "after", 5);
	close(fd);
	wait_records(3);
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 2);

	/* syslog datagram: the kernel passes 1 MiB with a big enough send
	 * buffer (SO_SNDBUFFORCE needs root), the daemon cuts and counts */
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    hd_path(&d, "dgram.sock"));
	cr_assert_neq(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), -1);
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &sz, sizeof(sz)) == -1)
		(void)setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &sz, sizeof(sz));
	memcpy(big, "<13>dgram: ", 11);
	if (sendto(fd, big, len, 0, (struct sockaddr *)&sun, sizeof(sun)) ==
	    (ssize_t)len) {
		hd_send_dgram(hd_path(&d, "dgram.sock"), "<13>dgram: after", 16);
		wait_records(4);
		cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 3);
		n = 4;
	} else {
		/* Refused by the sender's kernel (EMSGSIZE): nothing reached
		 * the daemon, so there is nothing for it to count. */
		cr_log_warn("1 MiB datagram refused by the kernel: %m");
		n = 3;
	}
	close(fd);
	free(big);

	got = summary("main.json", "tag,message");
	cr_assert_eq(strncmp(got, "lib|AAAA", 8), 0);
	cr_assert_not_null(strstr(got, "[truncated"), "no truncation marker");
	cr_assert_not_null(strstr(got, "\nraw|after\noctet|after\n"), "%s",
	    strchr(got, '\n'));
	free(got);
	assert_nothing_forged(n);
}

/*
 * The newline-framed case: the daemon cannot see where the line ends until
 * it arrives, megabytes later. It must drop the whole line as one too_large
 * record, not cut it into max_record pieces and take the last as a record.
 */
Test(injection, an_oversize_line_on_a_stream_is_dropped_whole_and_counted_once,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *big;
	size_t len;
	int fd, i;

	big = big_message(&len);
	memcpy(big, "<13>lf: ", 8);
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	for (i = 0; i < 2; i++) {
		write_all(fd, big, MIB);	/* no '\n' in this MiB */
		write_all(fd, "<13>forged: line\n", 17);	/* same line */
		write_all(fd, "<13>lf: after\n", 14);
	}
	close(fd);
	free(big);
	wait_records(2);
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 2);
	assert_nothing_forged(2);
	{
		char *got = summary("main.json", "tag,message");

		cr_assert_str_eq(got, "lf|after\nlf|after\n");
		free(got);
	}
	/* And the log says so, for grep. */
	cr_assert(hd_wait_lines(hd_path(&d, "self.log"), 1, 10000));
	cr_assert_eq(run("grep -q ': dropped [12] records (too_large) from ' %s",
	    hd_path(&d, "self.log")), 0);
}

/* ---- the asynclog CLI as logger(1) ----------------------------------- */

/* The daemon's stderr-free view of a CLI run: its stderr, as text. */
static char *
cli_stderr(void)
{
	char *s = file_read(hd_path(&d, "cli.err"), NULL);

	cr_assert_not_null(s);
	return s;
}

#define ASYNCLOG_CLI	hd_bin("asynclog")

Test(cli, prio_prefix_gives_each_line_its_priority,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	cr_assert_eq(run("printf '<11>a\\n<3>b\\nc\\n<191>d\\n<192>e\\n<x>f\\n' | "
	    "%s -u %s -t pp -p local1.info --prio-prefix", ASYNCLOG_CLI, d.sock), 0);
	wait_records(6);
	drain();
	assert_summary("facility,severity,message",
	    "user|err|a\n"		/* facility and level from the line */
	    "local1|err|b\n"		/* no facility: -p's */
	    "local1|info|c\n"		/* no prefix: -p */
	    "local7|debug|d\n"
	    "local1|info|<192>e\n"	/* not a priority: text */
	    "local1|info|<x>f\n");
}

Test(cli, skip_empty_drops_only_empty_lines,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	cr_assert_eq(run("printf 'a\\n\\n  \\nb\\n' | %s -u %s -t e -e",
	    ASYNCLOG_CLI, d.sock), 0);
	cr_assert_eq(run("printf 'c\\n\\nd\\n' | %s -u %s -t e", ASYNCLOG_CLI,
	    d.sock), 0);
	wait_records(6);
	drain();
	assert_summary("message", "a\n  \nb\nc\n\nd\n");
}

/*
 * As logger: an argument longer than --size is cut, quietly (the user asked
 * for that size); an input line longer than it goes as several records.
 */
Test(cli, size_cuts_arguments_and_splits_lines_as_logger_does,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *err;

	cr_assert_eq(run("%s -u %s -t sz -S 10 abcdefghijklmnop 2> %s",
	    ASYNCLOG_CLI, d.sock, hd_path(&d, "cli.err")), 0);
	err = cli_stderr();
	cr_assert_str_eq(err, "");
	free(err);
	cr_assert_eq(run("printf 'short\\n0123456789abc\\n' | %s -u %s -t sz "
	    "--size 10", ASYNCLOG_CLI, d.sock), 0);
	/* arguments are joined up to --size, then a new record starts */
	cr_assert_eq(run("%s -u %s -t sz -S 5 ab cd ef", ASYNCLOG_CLI, d.sock), 0);
	wait_records(6);
	drain();
	assert_summary("message",
	    "abcdefghij\nshort\n0123456789\nabc\nab cd\nef\n");
}

/* -s prints the line logger would send to /dev/log, and nothing else. */
Test(cli, stderr_flag_echoes_each_record,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *err;

	cr_assert_eq(run("printf 'one\\ntwo\\n' | %s -u %s -t echo -p local1.info "
	    "-s 2> %s", ASYNCLOG_CLI, d.sock, hd_path(&d, "cli.err")), 0);
	err = cli_stderr();
	cr_assert_eq(run("grep -cE '^<142>[A-Z][a-z]{2} [ 0-9][0-9] "
	    "[0-9:]{8} echo: (one|two)$' %s | grep -qx 2",
	    hd_path(&d, "cli.err")), 0, "stderr: %s", err);
	cr_assert_eq(file_lines(hd_path(&d, "cli.err")), 2, "%s", err);
	free(err);
	wait_records(2);
	drain();
	assert_summary("tag,message", "echo|one\necho|two\n");
}

Test(cli, file_flag_logs_each_line_of_the_file,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	file_write(hd_path(&d, "in.txt"), "first\nsecond\n", 13);
	cr_assert_eq(run("%s -u %s -t f -f %s", ASYNCLOG_CLI, d.sock,
	    hd_path(&d, "in.txt")), 0);
	/* as logger 2.38: a message beside -f is logged, the file is not
	 * (logger's warning says the opposite; ours says what happens) */
	cr_assert_eq(run("%s -u %s -t f -f %s the-message 2>%s", ASYNCLOG_CLI,
	    d.sock, hd_path(&d, "in.txt"), hd_path(&d, "cli.err")), 0);
	cr_assert_eq(run("grep -q 'the file is ignored' %s",
	    hd_path(&d, "cli.err")), 0);
	/* the file is opened first, as logger does */
	cr_assert_eq(run("%s -u %s -f %s msg 2>/dev/null", ASYNCLOG_CLI, d.sock,
	    hd_path(&d, "missing.txt")), 1);
	wait_records(3);
	drain();
	assert_summary("message", "first\nsecond\nthe-message\n");
}

Test(cli, logger_format_flags_are_accepted,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *err;

	cr_assert_eq(run("%s -u %s -t fl --rfc3164 -i a", ASYNCLOG_CLI, d.sock), 0);
	cr_assert_eq(run("%s -u %s -t fl --rfc5424 --socket-errors=on b",
	    ASYNCLOG_CLI, d.sock), 0);
	cr_assert_eq(run("%s -u %s -t fl --rfc5424=notq --octet-count "
	    "--socket-errors c", ASYNCLOG_CLI, d.sock), 0);
	cr_assert_eq(run("%s -u %s -t fl --id d", ASYNCLOG_CLI, d.sock), 0);
	/* The native protocol carries the kernel's pid only: say so. */
	cr_assert_eq(run("%s -u %s -t fl --id=4242 e 2> %s", ASYNCLOG_CLI, d.sock,
	    hd_path(&d, "cli.err")), 0);
	err = cli_stderr();
	cr_assert_not_null(strstr(err, "--id=4242 ignored"), "%s", err);
	free(err);
	/* as logger: a warning, then the default */
	cr_assert_eq(run("%s -u %s -t fl --socket-errors=maybe f 2>%s",
	    ASYNCLOG_CLI, d.sock, hd_path(&d, "cli.err")), 0);
	err = cli_stderr();
	cr_assert_not_null(strstr(err, "invalid argument: maybe"), "%s", err);
	free(err);
	wait_records(6);
	drain();
	assert_summary("tag,claimed_pid,message",
	    "fl|-|a\nfl|-|b\nfl|-|c\nfl|-|d\nfl|-|e\nfl|-|f\n");
}

/* `asynclog -u /dev/log` works as `logger -u /dev/log` does. */
Test(cli, socket_flag_also_takes_a_syslog_datagram_socket,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *got, exp[256];
	long pid;

	cr_assert_eq(run("%s -u %s -t dg -p local1.err 'via datagram'",
	    ASYNCLOG_CLI, hd_path(&d, "dgram.sock")), 0);
	cr_assert_eq(run("%s -u %s -t dg --id=99999999 claimed", ASYNCLOG_CLI,
	    hd_path(&d, "dgram.sock")), 0);
	cr_assert_eq(run("printf 'x\\n\\n<12>y\\n' | %s -u %s -t dg5 --rfc5424 "
	    "--msgid M1 --prio-prefix -e", ASYNCLOG_CLI, hd_path(&d, "dgram.sock")),
	    0);
	cr_assert_eq(run("sh -c 'echo $$ > %s; exec %s -u %s -t dgi -i mine'",
	    hd_path(&d, "p"), ASYNCLOG_CLI, hd_path(&d, "dgram.sock")), 0);
	wait_records(5);
	drain();
	pid = pid_from("p");
	got = summary("main.json", "facility,severity,tag,claimed_pid,msgid,"
	    "message");
	cr_assert_str_eq(got,
	    "local1|err|dg|-|-|via datagram\n"
	    "user|notice|dg|99999999|-|claimed\n"
	    "user|notice|dg5|-|M1|x\n"
	    "user|warning|dg5|-|M1|y\n"
	    "user|notice|dgi|-|-|mine\n");
	free(got);
	got = summary("main.json", "pid");
	snprintf(exp, sizeof(exp), "\n%ld\n", pid);
	cr_assert_not_null(strstr(got, exp));
	free(got);
}

Test(cli, no_act_sends_nothing_and_needs_no_daemon, .timeout = 30)
{
	char err[] = "/tmp/asynclog-noact.XXXXXX";
	char *text;
	int fd;

	cr_assert_neq(fd = mkstemp(err), -1);
	close(fd);
	cr_assert_eq(run("%s -u /nonexistent/socket --no-act -s -t na "
	    "'not sent' 2> %s", ASYNCLOG_CLI, err), 0);
	text = file_read(err, NULL);
	unlink(err);
	cr_assert_not_null(text);
	cr_assert_not_null(strstr(text, "<13>"), "%s", text);
	cr_assert_not_null(strstr(text, " na: not sent\n"), "%s", text);
	free(text);
}

/*
 * Issue: `asynclog -u` on asynclogd's syslog stream socket sent native
 * frames there (garbage records, then a 5 s wait for an answer and exit 1).
 * The kernel says who listens (peer.c): the record lands as syslog, at
 * once, for a user with no rights at all; the native socket still gets
 * native frames.
 */
Test(cli, socket_flag_on_the_syslog_stream_socket_speaks_syslog,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	const char *as = "";
	char *err;

	if (geteuid() == 0 && run("command -v setpriv >/dev/null") == 0) {
		/* mkdtemp made the directory 0700: let nobody in. */
		cr_assert_eq(chmod(d.dir, 0711), 0);
		as = "setpriv --reuid=65534 --regid=65534 --clear-groups ";
	}
	cr_assert_eq(run("%s%s -u %s -t st -p local2.err 'to the stream' "
	    "2> %s", as, ASYNCLOG_CLI, hd_path(&d, "stream.sock"),
	    hd_path(&d, "cli.err")), 0);
	cr_assert_eq(run("printf 'a\\nb\\n' | %s%s -u %s -t st2 --octet-count",
	    as, ASYNCLOG_CLI, hd_path(&d, "stream.sock")), 0);
	cr_assert_eq(run("%s%s -u %s -t nat 'to the native socket'", as,
	    ASYNCLOG_CLI, d.sock), 0);
	err = cli_stderr();
	cr_assert_str_eq(err, "");
	free(err);
	wait_records(4);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
	drain();
	assert_summary("facility,severity,tag,message",
	    "local2|err|st|to the stream\n"
	    "user|notice|st2|a\n"
	    "user|notice|st2|b\n"
	    "user|notice|nat|to the native socket\n");
}

/* Set net.core.somaxconn in a network namespace of this test's own. */
static void
somaxconn_set(const char *v)
{
	int fd;

	if (geteuid() != 0 || unshare(CLONE_NEWNET) == -1)
		cr_skip_test("cannot make a network namespace (not root?): "
		    "net.core.somaxconn cannot be set for this test alone");
	cr_assert_neq(fd = open("/proc/sys/net/core/somaxconn", O_WRONLY |
	    O_CLOEXEC), -1);
	cr_assert_eq(write(fd, v, strlen(v)), (ssize_t)strlen(v));
	close(fd);
}

/*
 * The kernel cuts every listen backlog to net.core.somaxconn: where that
 * is 127 (or less), the native socket's SOMAXCONN became the syslog stream
 * sockets' mark, and `asynclog -u` sent syslog lines to the native socket
 * (the record lost, exit 0) and native frames to the syslog socket. Both
 * still land, under either cap.
 */
static void
both_sockets_land(const char *cap)
{
	char *err;

	somaxconn_set(cap);
	compat_up();
	cr_assert_eq(run("%s -u %s -t st 'to the stream' 2> %s", ASYNCLOG_CLI,
	    hd_path(&d, "stream.sock"), hd_path(&d, "cli.err")), 0);
	cr_assert_eq(run("%s -u %s -t nat 'to the native socket' 2>> %s",
	    ASYNCLOG_CLI, d.sock, hd_path(&d, "cli.err")), 0);
	err = cli_stderr();
	cr_assert_str_eq(err, "");
	free(err);
	wait_records(2);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
	drain();
	assert_summary("tag,message", "st|to the stream\n"
	    "nat|to the native socket\n");
}

Test(cli, socket_flag_tells_the_sockets_apart_with_somaxconn_127,
    .fini = compat_down, .timeout = 30)
{
	both_sockets_land("127");
}

Test(cli, socket_flag_tells_the_sockets_apart_with_somaxconn_100,
    .fini = compat_down, .timeout = 30)
{
	both_sockets_land("100");
}

/* --tcp forces the syslog form, --native the native one. */
Test(cli, tcp_and_native_flags_override_what_the_kernel_says,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	cr_assert_eq(run("%s -u %s -t forced --tcp 'syslog line'", ASYNCLOG_CLI,
	    hd_path(&d, "stream.sock")), 0);
	cr_assert_eq(run("%s -u %s -t forced --native 'native frame'", ASYNCLOG_CLI,
	    d.sock), 0);
	/* a datagram socket cannot take --tcp, as for logger */
	cr_assert_eq(run("%s -u %s -t forced --tcp x 2>/dev/null", ASYNCLOG_CLI,
	    hd_path(&d, "dgram.sock")), 1);
	wait_records(2);
	drain();
	assert_summary("tag,message",
	    "forced|syslog line\nforced|native frame\n");
}

/* --stats on a syslog socket says what the socket is, and sends nothing. */
Test(cli, stats_on_a_syslog_socket_says_what_it_is,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *err;

	cr_assert_eq(run("%s --stats -u %s 2> %s", ASYNCLOG_CLI,
	    hd_path(&d, "stream.sock"), hd_path(&d, "cli.err")), 1);
	err = cli_stderr();
	cr_assert_not_null(strstr(err, "a syslog stream socket: it takes "
	    "messages"), "%s", err);
	free(err);
	cr_assert_eq(run("%s --stats -u %s 2> %s", ASYNCLOG_CLI,
	    hd_path(&d, "dgram.sock"), hd_path(&d, "cli.err")), 1);
	err = cli_stderr();
	cr_assert_not_null(strstr(err, "a syslog datagram socket (like "
	    "/dev/log)"), "%s", err);
	free(err);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}

/* --journald's entry becomes one record: MESSAGE, PRIORITY, the tag. */
Test(cli, journald_entry_becomes_one_record,
    .init = compat_up, .fini = compat_down, .timeout = 30)
{
	char *err;

	cr_assert_eq(run("printf 'MESSAGE_ID=42\\nMESSAGE=first\\nPRIORITY=3\\n"
	    "SYSLOG_FACILITY=17\\nSYSLOG_IDENTIFIER=jt\\nMESSAGE=second\\n\\n"
	    "MESSAGE=after the empty line\\n' | %s -u %s --journald 2> %s",
	    ASYNCLOG_CLI, d.sock, hd_path(&d, "cli.err")), 0);
	err = cli_stderr();
	cr_assert_not_null(strstr(err, "the other fields are left out"), "%s",
	    err);
	free(err);
	wait_records(1);
	drain();
	assert_summary("facility,severity,tag,message",
	    "local1|err|jt|first\\nsecond\n");
}
