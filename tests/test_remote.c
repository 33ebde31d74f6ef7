/*
 * test_remote.c: `asynclog -n HOST -P PORT` (-T, -d, --octet-count, the
 * format flags) sends to a remote syslog server what util-linux logger
 * sends, byte for byte once times, host names and pids are masked
 * (tests/logger-mask.py): first to a listener of this test on 127.0.0.1
 * (UDP, each datagram a line, and TCP, the bytes as they come), then to a
 * real rsyslog with imudp and imtcp, whose raw messages must be the same
 * for both programs. Ports are chosen free at run time; nothing leaves
 * the loopback interface.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <netinet/in.h>

#include <arpa/inet.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"


/* What each case adds after "-n 127.0.0.1 -P PORT". */
struct rm_case {
	const char	*args;
	const char	*input;		/* printf(1) format for stdin, or NULL */
	bool		 tcp;		/* goes to the TCP listener */
};

static const struct rm_case rm_cases[] = {
	{ "-t net 'udp, RFC 5424 by default'", NULL, false },
	{ "-d -t net -i --rfc3164 -p local3.warning 'rfc3164 with pid'", NULL,
	  false },
	{ "-d -t net --octet-count --rfc5424=notq --msgid M1 'counted'", NULL,
	  false },
	{ "-t net --rfc5424=notime,nohost --sd-id zoo@123 "
	  "--sd-param 'tiger=\"hungry\"' --sd-param 'zebra=\"\\]x\"' sd", NULL,
	  false },
	{ "-d -t lines -e --prio-prefix", "one\\n\\nthree\\n<11>two\\n", false },
	{ "-T -t net 'tcp, newline-terminated'", NULL, true },
	{ "-T -t net --octet-count --id=4242 'tcp, octet-counted'", NULL,
	  true },
	{ "-T -t lines --rfc3164 -p mail.info", "a\\nb\\n", true },
	{ NULL, NULL, false }
};
/* The messages those cases make (the input lines count one each, but the
 * empty one skipped by -e). */
#define RM_UDP_MESSAGES	7
#define RM_TCP_MESSAGES	4

static int
rm_socket(bool udp, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };
	int fd, one = 1;

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	cr_assert_neq(fd = socket(AF_INET, (udp ? SOCK_DGRAM : SOCK_STREAM) |
	    SOCK_CLOEXEC, 0), -1);
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
	if (bind(fd, (struct sockaddr *)&sin, sizeof sin) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

/* A port free for UDP and TCP both: the kernel's pick for one, tried for
 * the other. */
static int
rm_free_port(void)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof sin;
	int fd, other, port, i;

	for (i = 0; i < 100; i++) {
		cr_assert_neq(fd = rm_socket(true, 0), -1);
		cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
		port = ntohs(sin.sin_port);
		other = rm_socket(false, port);
		close(fd);
		if (other != -1) {
			close(other);
			return port;
		}
	}
	cr_assert_fail("no port free for both UDP and TCP");
	return -1;
}

/* A listener of ours on 127.0.0.1:port: what it gets goes to file. */
static void
rm_listen(struct hd_capture *l, bool udp, int port, const char *file)
{
	int fd;

	cr_assert_neq(fd = rm_socket(udp, port), -1);
	if (!udp)
		cr_assert_eq(listen(fd, 16), 0);
	hd_capture_start(l, fd, udp, file);
}

static void
rm_listen_end(struct hd_capture *l, int port)
{
	struct sockaddr_in sin = { .sin_family = AF_INET };

	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	hd_capture_end(l, (struct sockaddr *)&sin, sizeof sin);
	close(l->fd);
}

/* Every case with prog, to 127.0.0.1:port; pids, stdout and stderr in dir. */
static void
rm_send_all(const char *prog, const char *dir, int port, bool tcp)
{
	size_t i;

	for (i = 0; rm_cases[i].args != NULL; i++) {
		if (rm_cases[i].tcp != tcp)
			continue;
		cr_assert_eq(run("cd %s && %s%s%s TZ=GMT sh -c 'echo $$ >> pids; "
		    "exec \"$@\"' sh %s -n 127.0.0.1 -P %d %s %s >> out "
		    "2>> err", dir,
		    rm_cases[i].input != NULL ? "printf '" : "",
		    rm_cases[i].input != NULL ? rm_cases[i].input : "",
		    rm_cases[i].input != NULL ? "' |" : "", prog, port,
		    rm_cases[i].args, rm_cases[i].input != NULL ? "" :
		    "< /dev/null"), 0, "%s %s", prog, rm_cases[i].args);
	}
}

static char *
rm_read(const char *dir, const char *name)
{
	char path[256], *s;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	s = file_read(path, NULL);
	return s != NULL ? s : strdup("");
}

static char *
rm_mkdir(void)
{
	char *dir = strdup("/tmp/asynclog-rm.XXXXXX");

	cr_assert_not_null(dir);
	cr_assert_not_null(mkdtemp(dir));
	cr_assert_eq(run("cd %s && : > pids && : > out && : > err && "
	    ": > socketin", dir), 0);
	return dir;
}

/* Both programs to a listener of ours: the same bytes, masked. */
static void
rm_compare_on(bool tcp)
{
	struct hd_capture l;
	char *dir[2], path[256], *got[2], *err[2];
	int port, i;

	if (run("command -v logger >/dev/null && command -v python3 "
	    ">/dev/null") != 0)
		cr_skip_test("util-linux logger or python3 missing");
	port = rm_free_port();
	for (i = 0; i < 2; i++) {
		dir[i] = rm_mkdir();
		snprintf(path, sizeof path, "%s/socketin", dir[i]);
		rm_listen(&l, !tcp, port, path);
		rm_send_all(i == 0 ? "logger" : hd_bin("asynclog"), dir[i],
		    port, tcp);
		rm_listen_end(&l, port);
	}
	cr_assert_eq(run("python3 %s %s %s", hd_src("tests/logger-mask.py"),
	    dir[0], dir[1]), 0);
	for (i = 0; i < 2; i++) {
		got[i] = rm_read(dir[i], "socketin.masked");
		err[i] = rm_read(dir[i], "err.masked");
	}
	cr_assert(strlen(got[0]) > strlen(HD_CAPTURE_END), "logger sent "
	    "nothing");
	cr_assert_str_eq(got[1], got[0], "asynclog sent:\n%s\nlogger "
	    "sent:\n%s", got[1], got[0]);
	cr_assert_str_eq(err[1], err[0]);
	for (i = 0; i < 2; i++) {
		run("rm -rf %s", dir[i]);
		free(dir[i]);
		free(got[i]);
		free(err[i]);
	}
}

Test(remote, udp_datagrams_are_loggers_byte_for_byte, .timeout = 60)
{
	rm_compare_on(false);
}

Test(remote, tcp_stream_is_loggers_byte_for_byte, .timeout = 60)
{
	rm_compare_on(true);
}

Test(remote, errors_are_loggers, .timeout = 30)
{
	int port = rm_free_port();

	/* nobody listens on TCP there: logger's words, exit 1 */
	cr_assert_eq(run("%s -T -n 127.0.0.1 -P %d x 2>&1 | grep -qx "
	    "'asynclog: failed to connect to 127.0.0.1 port %d'",
	    hd_bin("asynclog"), port, port), 0);
	cr_assert_eq(run("%s -T -n 127.0.0.1 -P %d x 2>/dev/null",
	    hd_bin("asynclog"), port), 1);
	cr_assert_eq(run("%s -n 127.0.0.1 -P notaport x 2>&1 | grep -q "
	    "'failed to resolve name 127.0.0.1 port notaport'",
	    hd_bin("asynclog")), 0);
}

/* ---- a real rsyslog ------------------------------------------------- */

/*
 * rsyslog with imudp and imtcp on 127.0.0.1:port, each message as it came
 * (%rawmsg%), one per line, in dir/collector.log.
 */
static pid_t
rm_rsyslog(const char *dir, int port)
{
	long long deadline = hd_now_ms() + 10000;
	char conf[256], err[256], pidfile[256];
	struct sockaddr_in sin = { .sin_family = AF_INET };
	FILE *f;
	pid_t pid;
	int fd, status;

	snprintf(conf, sizeof conf, "%s/rsyslog.conf", dir);
	snprintf(err, sizeof err, "%s/rsyslog.err", dir);
	snprintf(pidfile, sizeof pidfile, "%s/rsyslog.pid", dir);
	cr_assert_not_null(f = fopen(conf, "w"));
	fprintf(f, "global(workDirectory=\"%s\")\n"
	    "module(load=\"imudp\")\nmodule(load=\"imtcp\")\n"
	    "main_queue(queue.type=\"Direct\")\n"
	    "template(name=\"raw\" type=\"string\" string=\"%%rawmsg%%\\n\")\n"
	    "ruleset(name=\"in\" queue.type=\"Direct\") {\n"
	    "  action(type=\"omfile\" file=\"%s/collector.log\" "
	    "template=\"raw\")\n}\n"
	    "input(type=\"imudp\" address=\"127.0.0.1\" port=\"%d\" "
	    "ruleset=\"in\")\n"
	    "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%d\" "
	    "ruleset=\"in\")\n", dir, dir, port, port);
	cr_assert_eq(fclose(f), 0);
	fflush(NULL);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		if ((fd = open(err, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execl("/usr/sbin/rsyslogd", "rsyslogd", "-n", "-f", conf, "-i",
		    pidfile, (char *)NULL);
		execlp("rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", pidfile,
		    (char *)NULL);
		_exit(127);
	}
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	sin.sin_port = htons(port);
	while (hd_now_ms() < deadline) {
		cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM, 0), -1);
		status = connect(fd, (struct sockaddr *)&sin, sizeof sin);
		close(fd);
		if (status == 0)
			return pid;
		if (waitpid(pid, &status, WNOHANG) == pid)
			cr_assert_fail("rsyslogd exited at start-up: %s",
			    rm_read(dir, "rsyslog.err"));
		usleep(5000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
	cr_assert_fail("rsyslogd did not listen on 127.0.0.1:%d", port);
	return -1;
}

/*
 * What rsyslog received from each program, over UDP and TCP: the same
 * messages, in the same order. (A UDP datagram sent before imudp reads is
 * queued by the kernel; rsyslog answering on TCP says imudp is bound.)
 */
Test(remote, rsyslog_receives_from_asynclog_what_logger_sends,
    .timeout = 60)
{
	char *dir[2], path[256], *got[2];
	pid_t pid;
	int port, k;

	if (run("command -v logger >/dev/null && command -v python3 "
	    ">/dev/null") != 0 || access("/usr/sbin/rsyslogd", X_OK) != 0)
		cr_skip_test("logger, python3 or rsyslogd (Debian package "
		    "rsyslog) missing");
	for (k = 0; k < 2; k++) {
		dir[k] = rm_mkdir();
		port = rm_free_port();
		pid = rm_rsyslog(dir[k], port);
		snprintf(path, sizeof path, "%s/collector.log", dir[k]);
		/* UDP first, all of it in the file before TCP starts: imudp
		 * and imtcp are two threads, their order is not ours. */
		rm_send_all(k == 0 ? "logger" : hd_bin("asynclog"), dir[k],
		    port, false);
		cr_assert(hd_wait_lines(path, RM_UDP_MESSAGES, 10000),
		    "rsyslog got %zu of %d UDP messages from %s",
		    file_lines(path), RM_UDP_MESSAGES, k == 0 ? "logger" :
		    "asynclog");
		rm_send_all(k == 0 ? "logger" : hd_bin("asynclog"), dir[k],
		    port, true);
		cr_assert(hd_wait_lines(path, RM_UDP_MESSAGES +
		    RM_TCP_MESSAGES, 10000), "rsyslog got %zu of %d messages "
		    "from %s", file_lines(path), RM_UDP_MESSAGES +
		    RM_TCP_MESSAGES, k == 0 ? "logger" : "asynclog");
		kill(pid, SIGTERM);
		waitpid(pid, NULL, 0);
		cr_assert_eq(run("cp %s %s/socketin", path, dir[k]), 0);
	}
	cr_assert_eq(run("python3 %s %s %s", hd_src("tests/logger-mask.py"),
	    dir[0], dir[1]), 0);
	for (k = 0; k < 2; k++)
		got[k] = rm_read(dir[k], "socketin.masked");
	cr_assert_str_eq(got[1], got[0], "rsyslog got from asynclog:\n%s\n"
	    "and from logger:\n%s", got[1], got[0]);
	for (k = 0; k < 2; k++) {
		run("rm -rf %s", dir[k]);
		free(dir[k]);
		free(got[k]);
	}
}
