/* SPDX-License-Identifier: ISC */
/*
 * test_systemd.c: asynclogd as a systemd service, checked with systemd's own
 * tools wherever they exist: socket activation through the real
 * systemd-socket-activate, the notify protocol (READY, WATCHDOG, RELOADING,
 * STOPPING) against a NOTIFY_SOCKET of the test's own, the units through
 * systemd-analyze verify and security, the hardened unit's system call
 * filter against what the daemon really calls (strace), and the man pages
 * through mandoc -T lint.
 *
 * There is no systemd as PID 1 here, so the units themselves never run; the
 * daemon runs the way each unit would start it.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"

static struct hd d;

/* Like hd_start without starting anything: the dir, paths and config. */
static void
sd_prepare(const char *tmpl)
{
	const char *p, *q;
	FILE *f;

	memset(&d, 0, sizeof(d));
	snprintf(d.dir, sizeof(d.dir), "/tmp/asynclog-sd.XXXXXX");
	cr_assert_not_null(mkdtemp(d.dir));
	snprintf(d.sock, sizeof(d.sock), "%s/asynclog.sock", d.dir);
	snprintf(d.conf, sizeof(d.conf), "%s/asynclogd.conf", d.dir);
	snprintf(d.errlog, sizeof(d.errlog), "%s/asynclogd.err", d.dir);
	cr_assert_not_null(f = fopen(d.conf, "w"));
	for (p = tmpl; (q = strstr(p, "@DIR@")) != NULL; p = q + 5) {
		fwrite(p, 1, q - p, f);
		fputs(d.dir, f);
	}
	fputs(p, f);
	cr_assert_eq(fclose(f), 0);
}

/* Fork; the child gets env (NAME=VALUE strings, NULL-ended) and runs argv
 * with stdout and stderr into d.errlog. */
static void
sd_spawn(char *const argv[], const char *const env[])
{
	int fd;

	fflush(NULL);
	d.pid = fork();
	cr_assert_neq(d.pid, -1);
	if (d.pid != 0)
		return;
	if ((fd = open(d.errlog, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
		dup2(fd, 1);
		dup2(fd, 2);
	}
	for (; env != NULL && *env != NULL; env++)
		putenv((char *)*env);
	execvp(argv[0], argv);
	_exit(127);
}

static void
sd_down(void)
{
	char *log;

	if (d.pid > 0 && (log = file_read(d.errlog, NULL)) != NULL) {
		cr_log_info("asynclogd output:\n%s", log);
		free(log);
	}
	hd_stop(&d);
}

static bool
have(const char *prog)
{
	return run("command -v %s >/dev/null 2>&1", prog) == 0;
}

static bool
file_has(const char *path, const char *needle)
{
	char *text = file_read(path, NULL);
	bool found = text != NULL && strstr(text, needle) != NULL;

	free(text);
	return found;
}

static bool
has_line_pred(struct hd *h, void *needle)
{
	return file_has(hd_path(h, "main.log"), needle);
}

/* The native socket comes from systemd under another path than the config's. */
#define CONF_ACTIVATED							\
	"listen = { socket = \"@DIR@/own.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

Test(systemd, socket_activation_takes_the_native_socket_by_name,
    .fini = sd_down, .timeout = 30)
{
	char fdname[] = "--fdname=native", listen[300];
	char *argv[] = { "systemd-socket-activate", "-l", listen, fdname,
	    NULL, "-c", d.conf, NULL };

	if (!have("systemd-socket-activate"))
		cr_skip_test("systemd-socket-activate is not installed "
		    "(Debian package systemd)");
	sd_prepare(CONF_ACTIVATED);
	snprintf(listen, sizeof(listen), "%s", d.sock);
	argv[4] = (char *)hd_bin("asynclogd");
	sd_spawn(argv, NULL);

	/* The socket exists before the daemon: the first connection starts
	 * it, and the record waits in the socket's queue meanwhile. */
	for (long long t = hd_now_ms() + 5000; access(d.sock, F_OK) == -1 &&
	    hd_now_ms() < t;)
		usleep(5000);
	cr_assert_eq(run("%s -u %s -t activated 'through systemd'",
	    hd_bin("asynclog"), d.sock), 0, "record not accepted");
	cr_assert(hd_wait(has_line_pred, &d, "activated[", 10000),
	    "the record did not reach main.log");
	cr_assert(file_has(hd_path(&d, "main.log"), "]: through systemd\n"));
	cr_assert_eq(access(hd_path(&d, "own.sock"), F_OK), -1,
	    "given a socket by systemd, the daemon must not bind its own");
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(access(d.sock, F_OK), 0,
	    "a socket systemd owns must not be unlinked by the daemon");
}

/* The syslog datagram socket from systemd; the native one is the daemon's. */
#define CONF_DGRAM							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n"

/*
 * Start the daemon by socket activation of a datagram socket at DIR/sock
 * named fdname, send it msg (a datagram starts the daemon), and wait for
 * the record whose tag is tag and whose message is text in main.log.
 */
static void
sd_dgram_activated(const char *fdname, const char *sock, const char *msg,
    const char *tag, const char *text)
{
	char name[64], listen[300], line[128];
	char *argv[] = { "systemd-socket-activate", "--datagram", "-l",
	    listen, name, NULL, "-c", d.conf, NULL };

	if (!have("systemd-socket-activate"))
		cr_skip_test("systemd-socket-activate is not installed");
	sd_prepare(CONF_DGRAM);
	snprintf(name, sizeof(name), "--fdname=%s", fdname);
	snprintf(listen, sizeof(listen), "%s/%s", d.dir, sock);
	argv[5] = (char *)hd_bin("asynclogd");
	sd_spawn(argv, NULL);
	for (long long t = hd_now_ms() + 5000; access(listen, F_OK) == -1 &&
	    hd_now_ms() < t;)
		usleep(5000);
	cr_assert_eq(run("python3 -c 'import socket,sys; s=socket.socket("
	    "socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(sys.argv[2]."
	    "encode(), sys.argv[1])' %s '%s'", listen, msg), 0);
	cr_assert(hd_wait(has_line_pred, &d, (void *)tag, 10000),
	    "the datagram did not reach main.log");
	snprintf(line, sizeof(line), ": %s\n", text);
	cr_assert(file_has(hd_path(&d, "main.log"), line));
}

Test(systemd, socket_activation_takes_a_syslog_datagram_socket_by_name,
    .fini = sd_down, .timeout = 30)
{
	int fd;

	/* A datagram starts the daemon, which then opens its own native
	 * socket from the config. */
	sd_dgram_activated("syslog-dgram", "syslog.sock",
	    "<14>dgramtag: via syslog dgram", "dgramtag", "via syslog dgram");
	cr_assert_neq(fd = unix_connect(d.sock), -1);
	close(fd);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

/*
 * journald's forwarding socket, as asynclogd-journal.socket passes it
 * (FileDescriptorName=journal): journald sends there what it takes, with
 * the original sender's credentials; here the test is that sender.
 */
Test(systemd, socket_activation_takes_journalds_forwarding_socket_by_name,
    .fini = sd_down, .timeout = 30)
{
	sd_dgram_activated("journal", "journal-syslog",
	    "<30>Dec  1 12:00:00 jsvc[1]: via journald", "jsvc",
	    "via journald");
}

/* A TCP socket from systemd named "network": a network input the config
 * does not list, its peers' records stamped with their address. */
Test(systemd, socket_activation_takes_a_network_socket_by_name,
    .fini = sd_down, .timeout = 30)
{
	char fdname[] = "--fdname=network", listen[64];
	char *argv[] = { "systemd-socket-activate", "-l", listen, fdname,
	    NULL, "-c", d.conf, NULL };
	int port = hd_free_port(SOCK_STREAM);

	if (!have("systemd-socket-activate"))
		cr_skip_test("systemd-socket-activate is not installed");
	if (!have("logger"))
		cr_skip_test("logger is not installed (package bsdutils)");
	sd_prepare(CONF_DGRAM);
	snprintf(listen, sizeof(listen), "127.0.0.1:%d", port);
	argv[4] = (char *)hd_bin("asynclogd");
	sd_spawn(argv, NULL);
	for (long long t = hd_now_ms() + 5000; !hd_port_accepts(port) &&
	    hd_now_ms() < t;)
		usleep(5000);
	cr_assert_eq(run("logger -n 127.0.0.1 -P %d -T -t nettag 'via a "
	    "network socket'", port), 0);
	cr_assert(hd_wait(has_line_pred, &d, "nettag: via a network socket",
	    10000), "the record did not reach main.log");
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

/* notify protocol ------------------------------------------------------- */

struct notify_msg {
	long long	 ms;		/* when it arrived, monotonic */
	char		 text[512];
};

static int notify_fd = -1;

static void
notify_open(const char *path)
{
	struct sockaddr_un sun;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	notify_fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	cr_assert_neq(notify_fd, -1);
	cr_assert_eq(bind(notify_fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
}

/* Next message within timeout_ms; false when none came. */
static bool
notify_next(struct notify_msg *m, int timeout_ms)
{
	struct pollfd pfd = { notify_fd, POLLIN, 0 };
	ssize_t n;

	if (poll(&pfd, 1, timeout_ms) != 1)
		return false;
	n = recv(notify_fd, m->text, sizeof(m->text) - 1, 0);
	cr_assert_geq(n, 0);
	m->text[n] = '\0';
	m->ms = hd_now_ms();
	return true;
}

/* Read until a message containing field (such as "READY=1") arrives. */
static bool
notify_wait_for(const char *field, struct notify_msg *m, int timeout_ms)
{
	long long deadline = hd_now_ms() + timeout_ms;
	long long left;

	while ((left = deadline - hd_now_ms()) > 0) {
		if (!notify_next(m, (int)left))
			return false;
		if (strstr(m->text, field) != NULL)
			return true;
	}
	return false;
}

static void
notify_down(void)
{
	if (notify_fd != -1)
		close(notify_fd);
	notify_fd = -1;
	sd_down();
}

Test(systemd, notify_ready_watchdog_reloading_and_stopping,
    .fini = notify_down, .timeout = 30)
{
	char notify_env[400], pid_env[64];
	const char *env[] = { notify_env, "WATCHDOG_USEC=200000", pid_env,
	    NULL };
	char *argv[] = { NULL, "-c", d.conf, NULL };
	struct notify_msg m;
	long long start;
	int fd, pings = 0;

	sd_prepare(HD_CONF_BASIC);
	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s/notify",
	    d.dir);
	notify_open(notify_env + strlen("NOTIFY_SOCKET="));
	argv[0] = (char *)hd_bin("asynclogd");
	/* WATCHDOG_PID is the daemon's own pid: fork, then exec keeps it. */
	fflush(NULL);
	d.pid = fork();
	cr_assert_neq(d.pid, -1);
	if (d.pid == 0) {
		snprintf(pid_env, sizeof(pid_env), "WATCHDOG_PID=%ld",
		    (long)getpid());
		if ((fd = open(d.errlog, O_WRONLY | O_CREAT, 0644)) != -1)
			dup2(fd, 2);
		for (const char *const *e = env; *e != NULL; e++)
			putenv((char *)*e);
		execv(argv[0], argv);
		_exit(127);
	}

	cr_assert(notify_wait_for("READY=1", &m, 10000), "no READY=1");
	/* READY=1 only once the socket accepts. */
	cr_assert_neq(fd = unix_connect(d.sock), -1,
	    "READY=1 came before the native socket accepted");
	close(fd);
	cr_assert_not_null(strstr(m.text, "STATUS=clients="),
	    "READY=1 without a STATUS line: %s", m.text);
	/* Received by the inputs and delivered to outputs, each named. */
	cr_assert_not_null(strstr(m.text, " received=0 delivered=0 written=0 "),
	    "STATUS without received and delivered: %s", m.text);

	/* WatchdogSec=200ms: a ping every 100 ms, so about 10 in 1 s. */
	start = hd_now_ms();
	while (hd_now_ms() - start < 1000)
		if (notify_next(&m, (int)(1000 - (hd_now_ms() - start))) &&
		    strstr(m.text, "WATCHDOG=1") != NULL)
			pings++;
	cr_assert_geq(pings, 5, "only %d WATCHDOG=1 in 1 s (want ~10)", pings);
	cr_assert_leq(pings, 20, "%d WATCHDOG=1 in 1 s (want ~10)", pings);

	kill(d.pid, SIGHUP);
	cr_assert(notify_wait_for("RELOADING=1", &m, 5000), "no RELOADING=1");
	cr_assert(notify_wait_for("READY=1", &m, 5000),
	    "no READY=1 after the reload");

	kill(d.pid, SIGTERM);
	cr_assert(notify_wait_for("STOPPING=1", &m, 5000), "no STOPPING=1");
	cr_assert_eq(hd_signal(&d, 0, 10000), 0);
}

Test(systemd, no_watchdog_pings_when_the_manager_did_not_ask,
    .fini = notify_down, .timeout = 30)
{
	char notify_env[400];
	const char *env[] = { notify_env, NULL };
	char *argv[] = { NULL, "-c", d.conf, NULL };
	struct notify_msg m;

	sd_prepare(HD_CONF_BASIC);
	snprintf(notify_env, sizeof(notify_env), "NOTIFY_SOCKET=%s/notify",
	    d.dir);
	notify_open(notify_env + strlen("NOTIFY_SOCKET="));
	argv[0] = (char *)hd_bin("asynclogd");
	sd_spawn(argv, env);
	cr_assert(notify_wait_for("READY=1", &m, 10000), "no READY=1");
	cr_assert_not(notify_wait_for("WATCHDOG=1", &m, 500),
	    "WATCHDOG=1 without WATCHDOG_USEC: %s", m.text);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

/* units ------------------------------------------------------------------ */

/* Where the build is, as make's B= relative to the repository root. */
static void
make_build_args(char *buf, size_t len)
{
	const char *b = getenv("ASYNCLOG_BUILD");
	char cwd[512];
	size_t n;

	buf[0] = '\0';
	if (b == NULL || getcwd(cwd, sizeof(cwd)) == NULL)
		return;
	n = strlen(cwd);
	if (strncmp(b, cwd, n) != 0 || b[n] != '/')
		return;
	snprintf(buf, len, "B=%s%s", b + n + 1,
	    strstr(b + n + 1, "san") != NULL ? " SANITIZE=1" : "");
}

static void
install_to(const char *destdir)
{
	char bargs[600];

	make_build_args(bargs, sizeof(bargs));
	/* One make at a time: see make_prefix() in test_install.c. */
	cr_assert_eq(run("flock %s make -s install PREFIX=/usr/local "
	    "DESTDIR=%s %s >%s/make.log 2>&1 || { cat %s/make.log >&2; exit 1; }",
	    hd_bin(".make.lock"), destdir, bargs, d.dir, d.dir), 0,
	    "make install failed");
}

Test(systemd, units_pass_systemd_analyze_verify_with_no_warnings,
    .fini = sd_down, .timeout = 120)
{
	char root[400], out[400];
	char *text;
	int rc;

	if (!have("systemd-analyze"))
		cr_skip_test("systemd-analyze is not installed (package systemd)");
	sd_prepare("");
	snprintf(root, sizeof(root), "%s/root", d.dir);
	snprintf(out, sizeof(out), "%s/verify.out", d.dir);
	install_to(root);

	/*
	 * verify checks that ExecStart= exists and that Documentation=
	 * man pages resolve, on the real system. So the installed tree is
	 * bind-mounted over /usr/local in a private mount namespace: the
	 * units are checked exactly where and as `make install` put them.
	 */
	if (run("unshare -m true 2>/dev/null") != 0)
		cr_skip_test("cannot make a mount namespace (unshare -m needs "
		    "root): systemd-analyze verify not run");
	rc = run("unshare -m sh -c 'mount --bind %s/usr/local /usr/local && "
	    "MANPATH=/usr/local/share/man systemd-analyze verify "
	    "/usr/local/lib/systemd/system/asynclogd.service "
	    "/usr/local/lib/systemd/system/asynclogd.socket "
	    "/usr/local/lib/systemd/system/asynclogd-syslog.socket "
	    "/usr/local/lib/systemd/system/asynclogd-journal.socket "
	    "/usr/local/lib/systemd/system/asynclogd-network.socket' "
	    ">%s 2>&1", root, out);
	text = file_read(out, NULL);
	cr_assert_eq(rc, 0, "systemd-analyze verify failed:\n%s", text);
	cr_assert_str_empty(text, "systemd-analyze verify warned:\n%s", text);
	free(text);
}

/* Run systemd-analyze security (args: what to rate) and return the
 * overall exposure it reports; its words are in DIR/security.out. */
static double
sd_exposure(const char *args)
{
	char out[400];
	char *text, *p;
	double exposure;

	snprintf(out, sizeof(out), "%s/security.out", d.dir);
	cr_assert_eq(run("systemd-analyze security --offline=true %s >%s 2>&1",
	    args, out), 0);
	text = file_read(out, NULL);
	cr_assert_not_null(p = strstr(text, "Overall exposure level for "
	    "asynclogd.service: "), "no exposure in:\n%s", text);
	p = strchr(p, ':') + 2;
	cr_assert_eq(sscanf(p, "%lf", &exposure), 1);
	cr_assert_leq(exposure, 2.0, "exposure %.1f > 2.0:\n%s", exposure,
	    text);
	free(text);
	return exposure;
}

Test(systemd, service_security_exposure_is_at_most_2_0,
    .fini = sd_down, .timeout = 60)
{
	if (!have("systemd-analyze"))
		cr_skip_test("systemd-analyze is not installed (package systemd)");
	sd_prepare("");
	cr_log_info("systemd-analyze security: exposure %.1f",
	    sd_exposure(hd_bin("systemd/asynclogd.service")));
}

/* With the shipped drop-in that opens the network (forward outputs), the
 * unit is still well hardened: systemd-analyze reads it from a root of
 * our own, as it would from /etc. */
Test(systemd, service_with_the_forward_drop_in_stays_at_most_2_0,
    .fini = sd_down, .timeout = 60)
{
	char root[300], args[400];
	char *text;
	double exposure;

	if (!have("systemd-analyze"))
		cr_skip_test("systemd-analyze is not installed (package systemd)");
	sd_prepare("");
	snprintf(root, sizeof(root), "%s/root", d.dir);
	cr_assert_eq(run("mkdir -p %s/etc/systemd/system/asynclogd.service.d "
	    "&& cp %s %s/etc/systemd/system/ && cp systemd/asynclogd-forward."
	    "conf %s/etc/systemd/system/asynclogd.service.d/forward.conf",
	    root, hd_bin("systemd/asynclogd.service"), root, root), 0);
	snprintf(args, sizeof(args), "--root=%s asynclogd.service", root);
	exposure = sd_exposure(args);
	/* The drop-in was read: the network is open now. */
	text = file_read(hd_path(&d, "security.out"), NULL);
	cr_assert(strstr(text, "access to the host's network") != NULL,
	    "%s", text);
	free(text);
	cr_log_info("systemd-analyze security with asynclogd-forward.conf: "
	    "exposure %.1f", exposure);
}

/*
 * Without systemd as PID 1 the seccomp filter cannot be tried for real, so
 * record every system call the daemon makes through a workload that touches
 * each feature (native and syslog sockets, HUP, USR1, stats, TERM) and
 * check each is allowed by the unit's SystemCallFilter= lines.
 */
#define CONF_SYSCALLS							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_stream = \"@DIR@/syslog-stream.sock\";\n"		\
	"  syslog_dgram = \"@DIR@/syslog.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 50; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.log\";\n"	\
	"  sync = \"always\"; keep_free = \"1%\"; },\n"			\
	"  { name = \"js\"; path = \"@DIR@/main.json\"; format = \"json\";\n" \
	"  rotate = { size = \"4K\"; keep = 2; compress = \"zstd\"; }; } );\n"

static bool
socket_up(struct hd *h, void *arg)
{
	int fd = unix_connect(h->sock);

	(void)arg;
	if (fd == -1)
		return false;
	close(fd);
	return true;
}

Test(systemd, every_syscall_the_daemon_makes_passes_the_unit_filter,
    .fini = sd_down, .timeout = 120)
{
	char trace[400], used[400], allowed[400];
	char *argv[] = { "strace", "-f", "-qq", "-o", trace, NULL, "-c",
	    d.conf, NULL };
	long long pid;
	char *text;
	int i, status;

	if (!have("strace"))
		cr_skip_test("strace is not installed (Debian package strace)");
	if (!have("systemd-analyze"))
		cr_skip_test("systemd-analyze is not installed");
	sd_prepare(CONF_SYSCALLS);
	snprintf(trace, sizeof(trace), "%s/trace", d.dir);
	snprintf(used, sizeof(used), "%s/used", d.dir);
	snprintf(allowed, sizeof(allowed), "%s/allowed", d.dir);
	argv[5] = (char *)hd_bin("asynclogd");
	sd_spawn(argv, NULL);
	cr_assert(hd_wait(socket_up, &d, NULL, 20000), "daemon did not start");

	for (i = 0; i < 50; i++)
		cr_assert_eq(run("%s -u %s -t sc 'record %d %0200d' && "
		    "python3 -c 'import socket,sys; s=socket.socket("
		    "socket.AF_UNIX, socket.SOCK_DGRAM); s.sendto(b\"<14>dg: x\","
		    " sys.argv[1])' %s/syslog.sock", hd_bin("asynclog"), d.sock,
		    i, i, d.dir), 0);
	cr_assert_eq(run("printf '<14>st: stream\\n' | python3 -c 'import "
	    "socket,sys; s=socket.socket(socket.AF_UNIX); s.connect(sys.argv[1]);"
	    " s.sendall(sys.stdin.buffer.read())' %s/syslog-stream.sock",
	    d.dir), 0);
	pid = hd_stat(&d, "pid");
	cr_assert_gt(pid, 0);
	kill((pid_t)pid, SIGHUP);
	kill((pid_t)pid, SIGUSR1);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 101, 10000));
	kill((pid_t)pid, SIGTERM);
	cr_assert_eq(waitpid(d.pid, &status, 0), d.pid);
	d.pid = 0;

	/* Allowed: @system-service minus every ~ line of the unit. */
	cr_assert_eq(run(
	    "expand() { systemd-analyze syscall-filter \"$1\" | tail -n +2 | "
	    "  sed -e 's/#.*//' | while read -r s; do case $s in "
	    "  '') ;; @*) expand \"$s\" ;; *) echo \"$s\" ;; esac; done; }; "
	    "allow=$(grep '^SystemCallFilter=[^~]' %s | cut -d= -f2-); "
	    "deny=$(grep '^SystemCallFilter=~' %s | cut -d~ -f2-); "
	    "for g in $allow; do expand $g; done | sort -u > %s.a && "
	    "for g in $deny; do expand $g; done | sort -u > %s.d && "
	    "comm -23 %s.a %s.d > %s", hd_bin("systemd/asynclogd.service"),
	    hd_bin("systemd/asynclogd.service"), allowed, allowed, allowed,
	    allowed, allowed), 0);
	cr_assert_eq(run("grep -oE '^[0-9]+ +[a-z0-9_]+\\(' %s | "
	    "sed -e 's/^[0-9]* *//' -e 's/($//' | sort -u > %s", trace, used),
	    0);
	cr_assert_gt(file_lines(allowed), 100);
	cr_assert_gt(file_lines(used), 10);
	cr_assert_eq(run("comm -23 %s %s > %s.bad", used, allowed, used), 0);
	text = file_read(hd_path(&d, "used.bad"), NULL);
	cr_assert_str_empty(text, "system calls the unit's SystemCallFilter= "
	    "would refuse:\n%s", text);
	free(text);
}

/* man pages -------------------------------------------------------------- */

static void
lint(const char *page)
{
	char out[400], *text;
	int rc;

	if (!have("mandoc"))
		cr_skip_test("mandoc is not installed (Debian package mandoc)");
	sd_prepare("");
	snprintf(out, sizeof(out), "%s/lint.out", d.dir);
	rc = run("mandoc -T lint -W warning docs/%s >%s 2>&1", page, out);
	text = file_read(out, NULL);
	cr_assert_eq(rc, 0, "mandoc -T lint -W warning docs/%s:\n%s", page,
	    text);
	cr_assert_str_empty(text, "mandoc -T lint docs/%s:\n%s", page, text);
	free(text);
}

Test(systemd, man_asynclogd_8_passes_mandoc_lint, .fini = sd_down)
{
	lint("asynclogd.8");
}

Test(systemd, man_asynclogd_conf_5_passes_mandoc_lint, .fini = sd_down)
{
	lint("asynclogd.conf.5");
}

Test(systemd, man_asynclog_1_passes_mandoc_lint, .fini = sd_down)
{
	lint("asynclog.1");
}

Test(systemd, man_asynclog_3_passes_mandoc_lint, .fini = sd_down)
{
	lint("asynclog.3");
}
