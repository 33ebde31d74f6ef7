/* SPDX-License-Identifier: ISC */
/*
 * test_netin.c: the network inputs (listen.tcp, listen.tls, listen.udp).
 * The config checks every new key with file:line; the integration tests
 * run the real asynclogd on 127.0.0.1 ports chosen free at run time and
 * real senders: rsyslog (imuxsock in, omfwd out with octet counting, plain
 * and over TLS with a client certificate), util-linux logger, Python's
 * SysLogHandler. Every record must land once and whole, with the sender's
 * address as the host and the host its message names as claimed_host (and
 * in the text line's host column). Hostile peers (idle connections, cut
 * frames, huge octet counts, handshakes that never end) must not keep
 * others from being served, and memory stays within client_memory.
 *
 * Nothing here sends anywhere but loopback (127.0.0.0/8). Tests skip when
 * rsyslogd, its gtls driver, certtool, logger or python3 is missing.
 */
#include <sys/socket.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "config.h"
#include "harness.h"

/* ---- Configuration ---- */

#define NI_OUT	"outputs = ( { name = \"m\"; path = \"m.log\"; } );\n"

Test(netin, config_reads_tcp_tls_and_udp_addresses)
{
	struct config *c;

	c = hd_conf_load("listen = { socket = \"s.sock\";\n"
	    "  tcp = ( \"127.0.0.1:601\", \"[::1]:601\" );\n"
	    "  udp = ( \"127.0.0.2:514\" );\n"
	    "  tls = ( \"127.0.0.1:6514\" );\n"
	    "  relp = ( \"127.0.0.1:2514\" );\n"
	    "  tls_server = { cert_file = \"/dev/null\"; key_file = "
	    "\"/dev/null\"; client_certs = \"none\"; };\n"
	    "  max_clients_per_peer = 8; };\n" NI_OUT);
	cr_assert_eq(c->nnetin, 5);
	cr_assert_eq(c->netin[0].kind, CONFIG_NETIN_TCP);
	cr_assert_str_eq(c->netin[0].address, "127.0.0.1");
	cr_assert_eq(c->netin[0].port, 601);
	cr_assert_str_eq(c->netin[1].address, "::1");
	cr_assert_eq(c->netin[2].kind, CONFIG_NETIN_TLS);
	cr_assert_eq(c->netin[3].kind, CONFIG_NETIN_UDP);
	cr_assert_eq(c->netin[4].kind, CONFIG_NETIN_RELP);
	cr_assert_eq(c->netin[4].port, 2514);
	cr_assert_eq(c->netin[3].line, 3);
	cr_assert_eq(c->tls_client_certs, CLIENT_CERTS_NONE);
	cr_assert_null(c->tls_ca_file);
	cr_assert_eq(c->max_clients_per_peer, 8);
	config_free(c);
}

Test(netin, config_rejects_a_bad_address_or_port_with_its_line)
{
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tcp = ( \"localhost:601\" ); };\n" NI_OUT,
	    "t.conf:2: listen.tcp 'localhost:601': not an IP address");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  udp = ( \"127.0.0.1:0\" ); };\n" NI_OUT,
	    "t.conf:2: listen.udp '127.0.0.1:0': bad port '0'");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tcp = ( \"127.0.0.1\" ); };\n" NI_OUT,
	    "t.conf:2: bad listen.tcp '127.0.0.1'");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tcp = ( \"::1:601\" ); };\n" NI_OUT,
	    "t.conf:2: listen.tcp '::1:601': an IPv6 address goes in brackets");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tcp = ( 601 ); };\n" NI_OUT,
	    "t.conf:2: listen.tcp: each entry must be a string");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tcp = ( \"127.0.0.1:601\" );\n"
	    "  tls = ( \"127.0.0.1:601\" ); };\n" NI_OUT,
	    "t.conf:3: listen.tls '127.0.0.1:601' is already used on line 2");
}

Test(netin, config_tls_needs_its_server_settings)
{
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tls = ( \"127.0.0.1:6514\" ); };\n" NI_OUT,
	    "t.conf:2: listen.tls needs listen.tls_server");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tls = ( \"127.0.0.1:6514\" );\n"
	    "  tls_server = { cert_file = \"/nonexistent/c.pem\"; }; };\n"
	    NI_OUT, "t.conf:3: listen.tls_server.cert_file: cannot read "
	    "'/nonexistent/c.pem'");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tls = ( \"127.0.0.1:6514\" );\n"
	    "  tls_server = { cert_file = \"/dev/null\";\n"
	    "    key_file = \"/dev/null\"; }; };\n" NI_OUT,
	    "t.conf:3: listen.tls_server.ca_file is required");
	hd_conf_load_fails("listen = { socket = \"s.sock\";\n"
	    "  tls_server = { cert_file = \"/dev/null\"; key_file = "
	    "\"/dev/null\";\n"
	    "    client_certs = \"maybe\"; }; };\n" NI_OUT,
	    "t.conf:3: listen.tls_server.client_certs: unknown value 'maybe'");
}

/* Skip the test, saying why, when cmd is not installed. */
static void
need(const char *cmd, const char *why)
{
	if (run("command -v %s >/dev/null 2>&1", cmd) != 0 &&
	    run("test -x /usr/sbin/%s", cmd) != 0)
		cr_skip_test("%s is not installed (%s)", cmd, why);
}

/* ---- Start-up ---- */

/* A port taken by someone else stops the start, naming the config line. */
Test(netin, a_port_in_use_stops_the_start_with_its_line)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	char conf[256], want[128];
	struct hd dd;
	int fd;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(listen(fd, 1), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  tcp = ( \"127.0.0.1:%d\" ); };\n"
	    "outputs = ( { name = \"m\"; path = \"@DIR@/m.log\"; } );\n",
	    ntohs(sin.sin_port));
	hd_prepare(&dd, conf);
	cr_assert_eq(hd_start_fails(&dd), 1);
	snprintf(want, sizeof(want), "asynclogd.conf:2: listen.tcp "
	    "127.0.0.1:%d: Address already in use", ntohs(sin.sin_port));
	cr_assert(hd_log_mentions(&dd, want), "no \"%s\" in the log", want);
	close(fd);
	hd_stop(&dd);
}

/* A TLS key that does not go with its certificate stops the start. */
Test(netin, a_tls_key_that_does_not_load_stops_the_start)
{
	struct hd dd;

	need("certtool", "Debian package gnutls-bin");
	hd_prepare(&dd,
	    "listen = { socket = \"@DIR@/asynclog.sock\";\n"
	    "  tls = ( \"127.0.0.1:9\" );\n"
	    "  tls_server = { cert_file = \"@DIR@/srv.pem\";\n"
	    "    key_file = \"@DIR@/cli-key.pem\"; client_certs = \"none\"; };"
	    " };\n"
	    "outputs = ( { name = \"m\"; path = \"@DIR@/m.log\"; } );\n");
	hd_make_certs(dd.dir);
	cr_assert_eq(hd_start_fails(&dd), 1);
	cr_assert(hd_log_mentions(&dd, "listen.tls_server.cert_file"));
	hd_stop(&dd);
}

/* ---- Integration ---- */

static struct hd d;
static pid_t sender_pid;

static void
ni_fini(void)
{
	if (sender_pid > 0) {
		kill(sender_pid, SIGTERM);
		waitpid(sender_pid, NULL, 0);
		sender_pid = 0;
	}
	hd_stop(&d);
}

/* The daemon with the network inputs in listen_extra (and more buffer
 * settings in buffer_extra) and two outputs of everything: text (t.log)
 * and JSON (j.json). Only prepared, unless start. */
static void
ni_daemon_with(const char *listen_extra, const char *buffer_extra,
    bool start)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\";\n%s };\n"
	    "buffer = { flush_interval_ms = 50; %s };\n"
	    "outputs = ( { name = \"t\"; path = \"@DIR@/t.log\"; },\n"
	    "  { name = \"j\"; path = \"@DIR@/j.json\"; format = \"json\"; } "
	    ");\n", listen_extra, buffer_extra);
	if (start)
		hd_start(&d, conf);
	else
		hd_prepare(&d, conf);
}

static void
ni_daemon(const char *listen_extra, bool start)
{
	ni_daemon_with(listen_extra, "", start);
}

/* Lines of path that contain every one of the NULL-ended needles. */
static size_t
lines_with(const char *path, ...)
{
	char *text = file_read(path, NULL), *line, *save = NULL;
	const char *needle;
	size_t n = 0;
	va_list ap;
	bool all;

	if (text == NULL)
		return 0;
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		all = true;
		va_start(ap, path);
		while ((needle = va_arg(ap, const char *)) != NULL)
			all &= strstr(line, needle) != NULL;
		va_end(ap);
		n += all;
	}
	free(text);
	return n;
}

/* ---- A real rsyslog as the sender ---- */


#define SENDER_PAD	"abcdefghijklmnopqrstuvwxyz0123456789"

enum sender_kind {
	SENDER_TCP,		/* omfwd, octet-counted RFC 5424 */
	SENDER_TLS,		/* the same over TLS, with cli.pem */
	SENDER_RELP,		/* omrelp */
};

/*
 * rsyslog in d's dir: it takes records on the Unix datagram socket
 * dgram-in.sock (imuxsock) and forwards them to 127.0.0.1:port with omfwd,
 * octet-counted RFC 5424, over TLS with the client certificate, or with
 * omrelp, as kind says. It names itself "sender-host".
 */
static void
sender_start(int port, enum sender_kind kind)
{
	bool tls = kind == SENDER_TLS;
	char conf[300], pidfile[300], errf[300];
	long long deadline = hd_now_ms() + 10000;
	FILE *f;
	int fd, status;

	snprintf(conf, sizeof(conf), "%s", hd_path(&d, "sender.conf"));
	snprintf(pidfile, sizeof(pidfile), "%s", hd_path(&d, "sender.pid"));
	snprintf(errf, sizeof(errf), "%s", hd_path(&d, "sender.err"));
	cr_assert_not_null(f = fopen(conf, "w"));
	fprintf(f, "global(workDirectory=\"%s\" localHostname=\"sender-host\" "
	    "maxMessageSize=\"64k\"", d.dir);
	if (tls)
		fprintf(f, "\n  DefaultNetstreamDriverCAFile=\"%s/ca.pem\"\n"
		    "  DefaultNetstreamDriverCertFile=\"%s/cli.pem\"\n"
		    "  DefaultNetstreamDriverKeyFile=\"%s/cli-key.pem\"",
		    d.dir, d.dir, d.dir);
	fprintf(f, ")\n"
	    "module(load=\"imuxsock\" SysSock.Use=\"off\")\n"
	    "input(type=\"imuxsock\" Socket=\"%s/dgram-in.sock\" "
	    "RateLimit.Interval=\"0\")\n", d.dir);
	if (kind == SENDER_RELP)
		fprintf(f, "module(load=\"omrelp\")\n"
		    "action(type=\"omrelp\" target=\"127.0.0.1\" port=\"%d\" "
		    "template=\"RSYSLOG_SyslogProtocol23Format\" "
		    "queue.type=\"LinkedList\" queue.size=\"100000\" "
		    "action.resumeRetryCount=\"-1\" "
		    "action.resumeInterval=\"1\")\n", port);
	else
		fprintf(f, "action(type=\"omfwd\" target=\"127.0.0.1\" "
		    "port=\"%d\" protocol=\"tcp\" "
		    "TCP_Framing=\"octet-counted\" "
		    "template=\"RSYSLOG_SyslogProtocol23Format\" "
		    "action.resumeRetryCount=\"-1\" "
		    "action.resumeInterval=\"1\"%s)\n", port, tls ?
		    " StreamDriver=\"gtls\" StreamDriverMode=\"1\" "
		    "StreamDriverAuthMode=\"x509/name\" "
		    "StreamDriverPermittedPeers=\"localhost\"" : "");
	cr_assert_eq(fclose(f), 0);
	fflush(NULL);
	cr_assert_neq(sender_pid = fork(), -1);
	if (sender_pid == 0) {
		if ((fd = open(errf, O_WRONLY | O_CREAT | O_APPEND, 0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("rsyslogd", "rsyslogd", "-n", "-f", conf, "-i", pidfile,
		    (char *)NULL);
		execl("/usr/sbin/rsyslogd", "rsyslogd", "-n", "-f", conf, "-i",
		    pidfile, (char *)NULL);
		_exit(127);
	}
	while (hd_now_ms() < deadline) {
		if (hd_socket_ready(&d, "dgram-in.sock"))
			return;
		if (waitpid(sender_pid, &status, WNOHANG) == sender_pid) {
			char *log = file_read(errf, NULL);

			sender_pid = 0;
			cr_assert_fail("rsyslogd exited at start-up: %s",
			    log != NULL ? log : "(no output)");
		}
		usleep(5000);
	}
	cr_assert_fail("rsyslogd did not take its input socket within 10 s");
}

static void
sender_send(long n)
{
	char buf[256];
	long i;
	int len;

	for (i = 0; i < n; i++) {
		len = snprintf(buf, sizeof(buf), "<134>rtest: seq=%07ld "
		    SENDER_PAD " end", i);
		hd_send_dgram(hd_path(&d, "dgram-in.sock"), buf, (size_t)len);
	}
}

/* Every record in j.json once and whole, from 127.0.0.1 naming
 * sender-host (with peer_cert under TLS); and the text line's host column
 * is the name the message carries. */
static void
sender_check(long n, const char *peer_cert)
{
	char *text, *line, *save = NULL, want[256], certkv[128] = "";
	unsigned char *seen;
	const char *p;
	long seq, got = 0;

	cr_assert(hd_wait_lines(hd_path(&d, "j.json"), (size_t)n, 60000),
	    "only %zu of %ld records arrived",
	    file_lines(hd_path(&d, "j.json")), n);
	if (peer_cert != NULL)
		snprintf(certkv, sizeof(certkv), "\"peer_cert\":\"%s\"",
		    peer_cert);
	cr_assert_not_null(seen = calloc((size_t)n, 1));
	cr_assert_not_null(text = file_read(hd_path(&d, "j.json"), NULL));
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		cr_assert_not_null(p = strstr(line, "seq="), "%s", line);
		cr_assert_eq(sscanf(p, "seq=%7ld", &seq), 1, "%s", line);
		cr_assert(seq >= 0 && seq < n, "unknown record: %s", line);
		cr_assert_eq(seen[seq]++, 0, "record %ld twice", seq);
		snprintf(want, sizeof(want), "seq=%07ld " SENDER_PAD " end\"",
		    seq);
		cr_assert_not_null(strstr(line, want), "torn: %s", line);
		cr_assert_not_null(strstr(line, "\"host\":\"127.0.0.1\""),
		    "%s", line);
		cr_assert_not_null(strstr(line,
		    "\"claimed_host\":\"sender-host\""), "%s", line);
		cr_assert_not_null(strstr(line, "\"tag\":\"rtest\""), "%s",
		    line);
		cr_assert_not_null(strstr(line, "\"facility\":\"local0\""),
		    "%s", line);
		if (peer_cert != NULL)
			cr_assert_not_null(strstr(line, certkv), "%s", line);
		else
			cr_assert_null(strstr(line, "peer_cert"), "%s", line);
		got++;
	}
	free(text);
	free(seen);
	cr_assert_eq(got, n);
	cr_assert(hd_wait_lines(hd_path(&d, "t.log"), (size_t)n, 30000));
	cr_assert_eq(lines_with(hd_path(&d, "t.log"), " sender-host rtest: ",
	    " end", NULL), (size_t)n);
	cr_assert_eq(hd_stat(&d, "outputs.j.written"), n);
	cr_assert_eq(hd_stat(&d, "total.dropped.malformed"), 0);
}

#define SENDER_N	3000

Test(netin, rsyslog_over_tcp_octet_counted_delivers_every_record_once,
    .fini = ni_fini, .timeout = 120)
{
	char listen[128];
	int port = hd_free_port(SOCK_STREAM);

	need("rsyslogd", "Debian package rsyslog");
	snprintf(listen, sizeof(listen), "tcp = ( \"127.0.0.1:%d\" );", port);
	ni_daemon(listen, true);
	sender_start(port, SENDER_TCP);
	sender_send(SENDER_N);
	sender_check(SENDER_N, NULL);
}

static void
need_tls(void)
{
	need("rsyslogd", "Debian package rsyslog");
	if (run("ls /usr/lib/*/rsyslog/lmnsd_gtls.so /usr/lib/rsyslog/"
	    "lmnsd_gtls.so 2>/dev/null | grep -q .") != 0)
		cr_skip_test("rsyslog's gtls driver is not installed (Debian "
		    "package rsyslog-gnutls)");
	need("certtool", "Debian package gnutls-bin");
}

/* The daemon with a tls input on port, client certificates as mode. */
static void
tls_daemon(int port, const char *mode)
{
	char listen[512];

	snprintf(listen, sizeof(listen),
	    "tls = ( \"127.0.0.1:%d\" );\n"
	    "frame_timeout_ms = 1000;\n"
	    "tls_server = { cert_file = \"@DIR@/srv.pem\";\n"
	    "  key_file = \"@DIR@/srv-key.pem\"; ca_file = \"@DIR@/ca.pem\";\n"
	    "  client_certs = \"%s\"; };", port, mode);
	ni_daemon(listen, false);
	hd_make_certs(d.dir);
	hd_restart(&d);
}

Test(netin, rsyslog_over_tls_with_a_client_certificate_is_recorded,
    .fini = ni_fini, .timeout = 120)
{
	int port = hd_free_port(SOCK_STREAM);

	need_tls();
	tls_daemon(port, "required");
	sender_start(port, SENDER_TLS);
	sender_send(SENDER_N);
	sender_check(SENDER_N, "sender.example");
}

/* ---- Raw peers ---- */

/* A TCP connection to 127.0.0.1:port from the loopback address src. */
static int
tcp_from(const char *src, int port)
{
	struct sockaddr_in sin;
	int fd;

	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	cr_assert_eq(inet_pton(AF_INET, src, &sin.sin_addr), 1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "bind %s: %s", src, strerror(errno));
	sin.sin_port = htons(port);
	cr_assert_eq(inet_pton(AF_INET, "127.0.0.1", &sin.sin_addr), 1);
	cr_assert_eq(connect(fd, (struct sockaddr *)&sin, sizeof(sin)), 0,
	    "connect: %s", strerror(errno));
	return fd;
}

static void
send_all(int fd, const void *buf, size_t len)
{
	cr_assert_eq(send(fd, buf, len, MSG_NOSIGNAL), (ssize_t)len,
	    "send: %s", strerror(errno));
}

/* Does the daemon close fd within timeout_ms (EOF or reset)? */
static bool
closed_by_daemon(int fd, int timeout_ms)
{
	long long deadline = hd_now_ms() + timeout_ms;
	struct pollfd pfd = { fd, POLLIN, 0 };
	char buf[256];
	ssize_t n;

	while (hd_now_ms() < deadline) {
		if (poll(&pfd, 1, 100) == 1) {
			n = recv(fd, buf, sizeof(buf), MSG_DONTWAIT);
			if (n == 0 || (n == -1 && errno != EAGAIN))
				return true;
		}
	}
	return false;
}

/* ---- RELP ---- */

static void
need_relp(void)
{
	need("rsyslogd", "Debian package rsyslog");
	if (run("ls /usr/lib/*/rsyslog/omrelp.so /usr/lib/rsyslog/omrelp.so "
	    "2>/dev/null | grep -q .") != 0)
		cr_skip_test("rsyslog's omrelp is not installed (Debian package "
		    "rsyslog-relp)");
}

Test(netin, rsyslog_over_relp_delivers_every_record_once,
    .fini = ni_fini, .timeout = 120)
{
	char listen[128];
	int port = hd_free_port(SOCK_STREAM);

	need_relp();
	snprintf(listen, sizeof(listen), "relp = ( \"127.0.0.1:%d\" );", port);
	ni_daemon(listen, true);
	sender_start(port, SENDER_RELP);
	sender_send(SENDER_N);
	sender_check(SENDER_N, NULL);
}

/* Read from fd until buf holds want (or 10 s pass); whether it does. */
static bool
read_until(int fd, char *buf, size_t cap, const char *want)
{
	long long deadline = hd_now_ms() + 10000;
	struct pollfd pfd = { fd, POLLIN, 0 };
	size_t len = strlen(buf);
	ssize_t n;

	while (strstr(buf, want) == NULL && hd_now_ms() < deadline &&
	    len < cap - 1) {
		if (poll(&pfd, 1, 100) != 1)
			continue;
		if ((n = recv(fd, buf + len, cap - 1 - len, 0)) <= 0)
			break;
		len += (size_t)n;
		buf[len] = '\0';
	}
	return strstr(buf, want) != NULL;
}

#define RELP_OPEN "1 open 86 relp_version=0\nrelp_software=librelp,1.11.0," \
	"http://librelp.adiscon.com\ncommands=syslog\n"

/*
 * A RELP peer speaking by hand: "open" is answered with what the daemon
 * speaks, a syslog frame only once its record is in both output files,
 * "close" last before the connection ends; a frame announcing a billion
 * bytes is counted too_large and its connection ends at frame_timeout_ms.
 */
Test(netin, a_relp_answer_comes_only_once_the_record_is_written,
    .fini = ni_fini, .timeout = 60)
{
	char listen[128], buf[1024] = "";
	int port = hd_free_port(SOCK_STREAM), fd, huge;
	static const char rec[] = "2 syslog 23 <13>rawtag: by hand end\n";

	snprintf(listen, sizeof(listen), "relp = ( \"127.0.0.1:%d\" );\n"
	    "frame_timeout_ms = 1000;", port);
	ni_daemon(listen, true);
	fd = tcp_from("127.0.0.1", port);
	send_all(fd, RELP_OPEN, strlen(RELP_OPEN));
	cr_assert(read_until(fd, buf, sizeof(buf), "commands=syslog\n"),
	    "open not answered: %s", buf);
	cr_assert(strncmp(buf, "1 rsp ", 6) == 0 && strstr(buf, " 200 OK\n"),
	    "%s", buf);
	buf[0] = '\0';
	send_all(fd, rec, sizeof(rec) - 1);
	cr_assert(read_until(fd, buf, sizeof(buf), "2 rsp 6 200 OK\n"),
	    "syslog not answered: %s", buf);
	/* Answered: so written, in both outputs, now. */
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"rawtag\"",
	    "\"message\":\"by hand end\"", NULL), 1);
	cr_assert_eq(lines_with(hd_path(&d, "t.log"), " rawtag: by hand end",
	    NULL), 1);
	buf[0] = '\0';
	send_all(fd, "3 close 0\n", 10);
	cr_assert(read_until(fd, buf, sizeof(buf), "3 rsp 0\n"), "%s", buf);
	cr_assert(closed_by_daemon(fd, 10000));
	close(fd);

	huge = tcp_from("127.0.0.2", port);
	send_all(huge, RELP_OPEN, strlen(RELP_OPEN));
	send_all(huge, "2 syslog 999999999 <13>x", 24);
	cr_assert(closed_by_daemon(huge, 10000));
	close(huge);
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 1);
	cr_assert_eq(hd_stat(&d, "outputs.j.received"), 1);
}

/* How many of the n records j.json holds whole (at least once), how many
 * more than once, and how many lines hold no whole record. */
struct relp_tally {
	long	 unique;
	long	 dups;
	long	 torn;
};

static struct relp_tally
relp_tally(long n)
{
	struct relp_tally t = { 0, 0, 0 };
	char *text = file_read(hd_path(&d, "j.json"), NULL), *line, *p, *q;
	char *save = NULL, tail[128];
	unsigned char *seen = calloc((size_t)n, 1);
	long seq;

	cr_assert_not_null(seen);
	if (text == NULL) {
		free(seen);
		return t;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		/* A line cut by the kill and continued after the restart
		 * holds a whole record at its end. */
		for (p = NULL, q = line; (q = strstr(q, "seq=")) != NULL; q++)
			p = q;
		if (p == NULL || sscanf(p, "seq=%7ld", &seq) != 1 ||
		    seq < 0 || seq >= n) {
			t.torn++;
			continue;
		}
		snprintf(tail, sizeof(tail), "seq=%07ld " SENDER_PAD " end\"}",
		    seq);
		if (strcmp(p, tail) != 0) {
			t.torn++;
			continue;
		}
		if (seen[seq]++)
			t.dups++;
		else
			t.unique++;
	}
	free(text);
	free(seen);
	return t;
}

static bool
relp_all_in(struct hd *dd, void *arg)
{
	(void)dd;
	return relp_tally(*(long *)arg).unique == *(long *)arg;
}

/*
 * The daemon is killed (SIGKILL) in the middle of the stream and started
 * again: rsyslog sends again every record it had no answer for, so every
 * record is in the file, and only those that were in flight twice.
 */
Test(netin, relp_loses_nothing_when_the_daemon_is_killed,
    .fini = ni_fini, .timeout = 180)
{
	char listen[128];
	int port = hd_free_port(SOCK_STREAM);
	long n = 20000, quarter = n / 4;
	struct relp_tally t;

	need_relp();
	snprintf(listen, sizeof(listen), "relp = ( \"127.0.0.1:%d\" );", port);
	ni_daemon(listen, true);
	sender_start(port, SENDER_RELP);
	sender_send(n);
	cr_assert(hd_wait_lines(hd_path(&d, "j.json"), (size_t)quarter,
	    60000), "the stream did not start");
	cr_assert_eq(kill(d.pid, SIGKILL), 0);
	waitpid(d.pid, NULL, 0);
	d.pid = 0;
	hd_restart(&d);
	cr_assert(hd_wait(relp_all_in, &d, &n, 120000), "%ld of %ld records "
	    "(since the restart the daemon received %lld and dropped %lld, "
	    "%lld of them overflow)", relp_tally(n).unique, n,
	    hd_stat(&d, "total.received"), hd_stat(&d, "total.dropped_total"),
	    hd_stat(&d, "total.dropped.overflow"));
	t = relp_tally(n);
	cr_log_info("relp after SIGKILL: %ld records, %ld again, %ld torn",
	    t.unique, t.dups, t.torn);
	cr_assert_leq(t.torn, 1, "%ld lines hold no whole record", t.torn);
	/* At most what rsyslog had in flight (its window, 128 frames) and
	 * the daemon had taken without answering yet. */
	cr_assert_leq(t.dups, 1024 + 128);
}

/* The daemon with a tls input on port, for gnutls-cli as the client. */
static void
gnutls_daemon(int port, const char *mode)
{
	need("certtool", "Debian package gnutls-bin");
	need("gnutls-cli", "Debian package gnutls-bin");
	tls_daemon(port, mode);
}

/* gnutls-cli sends msg, showing the certificate cert (and its key
 * cert-key.pem) of d's dir, or none when cert is NULL. Its exit status. */
static int
gnutls_cli_send(int port, const char *cert, const char *msg)
{
	char opts[700] = "";

	if (cert != NULL)
		snprintf(opts, sizeof(opts), "--x509certfile %s/%s.pem "
		    "--x509keyfile %s/%s-key.pem", d.dir, cert, d.dir, cert);
	return run("printf '%s\\n' | timeout 20 gnutls-cli --x509cafile "
	    "%s/ca.pem %s -p %d 127.0.0.1 >>%s/gnutls-cli.log 2>&1", msg,
	    d.dir, opts, port, d.dir);
}

Test(netin, tls_without_a_client_certificate_is_refused_when_required,
    .fini = ni_fini, .timeout = 60)
{
	int port = hd_free_port(SOCK_STREAM);

	gnutls_daemon(port, "required");
	gnutls_cli_send(port, NULL, "<13>anon: refused");
	cr_assert(hd_wait(hd_log_mentions, &d, "TLS handshake", 10000),
	    "the refused handshake is not in the daemon's log");
	cr_assert_eq(hd_stat(&d, "outputs.j.received"), 0);
}

Test(netin, tls_without_a_client_certificate_passes_when_optional,
    .fini = ni_fini, .timeout = 60)
{
	int port = hd_free_port(SOCK_STREAM);

	gnutls_daemon(port, "optional");
	cr_assert_eq(gnutls_cli_send(port, NULL, "<13>anon: accepted"), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "j.json"), 1, 10000));
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"anon\"",
	    "\"message\":\"accepted\"", "\"host\":\"127.0.0.1\"", NULL), 1);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "peer_cert", NULL), 0);
}

/* Under "optional" a certificate that is shown must verify: one of the
 * CA is recorded, a self-signed one is refused. */
Test(netin, tls_optional_verifies_a_certificate_that_is_shown,
    .fini = ni_fini, .timeout = 60)
{
	int port = hd_free_port(SOCK_STREAM);

	gnutls_daemon(port, "optional");
	cr_assert_eq(run("(cd %s && certtool --generate-privkey --key-type="
	    "ecdsa --outfile rogue-key.pem && certtool --generate-self-signed "
	    "--load-privkey rogue-key.pem --template cli.tmpl --outfile "
	    "rogue.pem) >>%s/certtool.log 2>&1", d.dir, d.dir), 0);
	cr_assert_eq(gnutls_cli_send(port, "cli", "<13>known: shown"), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "j.json"), 1, 10000));
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"known\"",
	    "\"peer_cert\":\"sender.example\"", NULL), 1);
	gnutls_cli_send(port, "rogue", "<13>rogue: refused");
	cr_assert(hd_wait(hd_log_mentions, &d, "not signed by "
	    "listen.tls_server.ca_file", 10000));
	cr_assert_eq(hd_stat(&d, "outputs.j.received"), 1);
}

/* ---- util-linux logger and Python ---- */

/* hd_wait predicate: both outputs have at least *arg lines. */
static bool
lines_reach(struct hd *dd, void *arg)
{
	return file_lines(hd_path(dd, "j.json")) >= *(size_t *)arg &&
	    file_lines(hd_path(dd, "t.log")) >= *(size_t *)arg;
}

/* The daemon with a tcp and a udp input on free ports. */
static void
tcp_udp_daemon(int *tport, int *uport)
{
	char listen[256];

	*tport = hd_free_port(SOCK_STREAM);
	*uport = hd_free_port(SOCK_DGRAM);
	snprintf(listen, sizeof(listen), "tcp = ( \"127.0.0.1:%d\" );\n"
	    "udp = ( \"127.0.0.1:%d\" );", *tport, *uport);
	ni_daemon(listen, true);
}

Test(netin, logger_over_tcp_and_udp_lands_with_its_fields, .fini = ni_fini,
    .timeout = 60)
{
	char host[256], kv[300];
	int tport, uport;
	size_t want = 4;

	need("logger", "Debian package bsdutils");
	tcp_udp_daemon(&tport, &uport);
	cr_assert_eq(run("logger -n 127.0.0.1 -P %d -T -t ltag -p "
	    "local3.warning 'logger over tcp'", tport), 0);
	cr_assert_eq(run("logger -n 127.0.0.1 -P %d -T --octet-count -t ltag "
	    "-p local3.warning 'logger octet counted'", tport), 0);
	cr_assert_eq(run("logger -n 127.0.0.1 -P %d -T --rfc3164 -t ltag -p "
	    "local3.warning 'logger rfc3164'", tport), 0);
	cr_assert_eq(run("logger -n 127.0.0.1 -P %d --udp -t ltag -p "
	    "local3.warning 'logger over udp'", uport), 0);
	cr_assert(hd_wait(lines_reach, &d, &want, 10000));
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"ltag\"",
	    "\"facility\":\"local3\"", "\"severity\":\"warning\"",
	    "\"host\":\"127.0.0.1\"", "\"message\":\"logger ", NULL), 4);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"),
	    "\"message\":\"logger over tcp\"", NULL), 1);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"),
	    "\"message\":\"logger octet counted\"", NULL), 1);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"),
	    "\"message\":\"logger rfc3164\"", NULL), 1);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"),
	    "\"message\":\"logger over udp\"", NULL), 1);
	/* logger names this machine; a short name is all RFC 3164 carries. */
	cr_assert_eq(gethostname(host, sizeof(host)), 0);
	host[strcspn(host, ".")] = '\0';
	snprintf(kv, sizeof(kv), "\"claimed_host\":\"%s", host);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), kv, NULL), 4);
	snprintf(kv, sizeof(kv), " %s", host);
	cr_assert_eq(lines_with(hd_path(&d, "t.log"), kv, " ltag: logger ",
	    NULL), 4);
}

Test(netin, python_sysloghandler_over_udp_and_tcp_lands_with_its_fields,
    .fini = ni_fini, .timeout = 60)
{
	int tport, uport;
	size_t want = 2;

	need("python3", "Debian package python3");
	tcp_udp_daemon(&tport, &uport);
	cr_assert_eq(run("python3 -c '\n"
	    "import logging, logging.handlers, socket\n"
	    "for port, kind, text in ((%d, socket.SOCK_DGRAM, \"py over udp\"),"
	    " (%d, socket.SOCK_STREAM, \"py over tcp\")):\n"
	    "    h = logging.handlers.SysLogHandler(address=(\"127.0.0.1\", "
	    "port), facility=logging.handlers.SysLogHandler.LOG_LOCAL1, "
	    "socktype=kind)\n"
	    "    h.setFormatter(logging.Formatter(\"pyapp: %%(message)s\"))\n"
	    "    l = logging.getLogger(text)\n"
	    "    l.addHandler(h)\n"
	    "    l.error(text)\n"
	    "    h.close()\n'", uport, tport), 0);
	cr_assert(hd_wait(lines_reach, &d, &want, 10000));
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"pyapp\"",
	    "\"facility\":\"local1\"", "\"severity\":\"err\"",
	    "\"host\":\"127.0.0.1\"", "\"message\":\"py over udp\"", NULL), 1);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"pyapp\"",
	    "\"facility\":\"local1\"", "\"severity\":\"err\"",
	    "\"host\":\"127.0.0.1\"", "\"message\":\"py over tcp\"", NULL), 1);
	/* No host in the message: the text line shows the peer's address. */
	cr_assert_eq(lines_with(hd_path(&d, "t.log"), " 127.0.0.1 pyapp: py "
	    "over ", NULL), 2);
}

/* ---- Restart in place ---- */

/* One record over a new TCP connection to 127.0.0.1:port; whether the
 * connection was taken. */
static bool
tcp_send_one(int port, const char *msg)
{
	struct sockaddr_in sin;
	int fd;
	bool ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0), -1);
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0 &&
	    send(fd, msg, strlen(msg), MSG_NOSIGNAL) == (ssize_t)strlen(msg);
	close(fd);
	return ok;
}

/*
 * SIGUSR2 hands the TCP socket to the new image: a sender connecting while
 * the daemon drains and re-executes waits in the socket's backlog instead
 * of being refused, and its record lands.
 */
Test(netin, a_restart_in_place_keeps_the_tcp_socket, .fini = ni_fini,
    .timeout = 60)
{
	char listen[128], msg[64];
	int port = hd_free_port(SOCK_STREAM);
	size_t off, n = 0;
	long long deadline;

	snprintf(listen, sizeof(listen), "tcp = ( \"127.0.0.1:%d\" );", port);
	ni_daemon(listen, true);
	off = hd_log_size(&d);
	cr_assert_eq(kill(d.pid, SIGUSR2), 0);
	deadline = hd_now_ms() + 30000;
	do {
		snprintf(msg, sizeof(msg), "<13>restart: during %zu\n", n);
		cr_assert(tcp_send_one(port, msg), "connection %zu refused "
		    "during the restart", n);
		n++;
		usleep(2000);
	} while (!hd_log_since(&d, off, " ready: socket ", 0) &&
	    hd_now_ms() < deadline);
	cr_assert(hd_log_since(&d, off, " ready: socket ", 0),
	    "asynclogd did not come back from SIGUSR2");
	cr_assert(hd_wait(lines_reach, &d, &n, 10000), "%zu of %zu records",
	    file_lines(hd_path(&d, "j.json")), n);
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"restart\"",
	    NULL), n);
	cr_assert_eq(lines_with(d.errlog, "Address already in use", NULL), 0);
}

/* ---- UDP overruns ---- */

struct udp_flood {
	int		 fd;
	struct sockaddr_in to;
	long		 sent;
};

/*
 * hd_wait predicate: every datagram sent is written or counted dropped.
 * Until then another marker goes: the kernel tells the drop count with the
 * next datagram it queues, and a marker sent while the queue is still full
 * is dropped itself (and counted with the next one).
 */
static bool
udp_accounted(struct hd *dd, void *arg)
{
	struct udp_flood *u = arg;
	static const char marker[] = "<13>flood: a marker";

	if (hd_stat(dd, "outputs.j.written") +
	    hd_stat(dd, "total.dropped.udp_overrun") == u->sent)
		return true;
	if (sendto(u->fd, marker, sizeof(marker) - 1, 0,
	    (struct sockaddr *)&u->to, sizeof(u->to)) ==
	    (ssize_t)sizeof(marker) - 1)
		u->sent++;
	usleep(50000);
	return false;
}

/*
 * While the daemon is stopped (SIGSTOP) its socket's receive buffer fills
 * and the kernel drops the rest; a datagram queued after it resumes
 * carries the kernel's drop count. Every datagram sent is then either
 * written or counted as udp_overrun, exactly.
 */
Test(netin, udp_datagrams_the_kernel_dropped_are_counted, .fini = ni_fini,
    .timeout = 60)
{
	struct udp_flood u = { -1, { 0 }, 0 };
	char listen[128], buf[512];
	int port = hd_free_port(SOCK_DGRAM), len;
	long i, overrun;

	snprintf(listen, sizeof(listen), "udp = ( \"127.0.0.1:%d\" );", port);
	ni_daemon(listen, true);
	u.to.sin_family = AF_INET;
	u.to.sin_port = htons(port);
	u.to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(u.fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    -1);
	cr_assert_eq(kill(d.pid, SIGSTOP), 0);
	memset(buf, 'x', sizeof(buf));
	for (i = 0; i < 20000; i++) {
		len = snprintf(buf, 40, "<13>flood: %07ld", i);
		buf[len] = ' ';
		if (sendto(u.fd, buf, 400, 0, (struct sockaddr *)&u.to,
		    sizeof(u.to)) == 400)
			u.sent++;
	}
	cr_assert_eq(kill(d.pid, SIGCONT), 0);
	cr_assert(hd_wait(udp_accounted, &d, &u, 30000),
	    "sent %ld, written %lld, udp_overrun %lld", u.sent,
	    hd_stat(&d, "outputs.j.written"),
	    hd_stat(&d, "total.dropped.udp_overrun"));
	close(u.fd);
	overrun = hd_stat(&d, "total.dropped.udp_overrun");
	cr_assert_gt(overrun, 0, "the receive buffer took all %ld", u.sent);
	cr_assert_eq(hd_stat(&d, "outputs.j.written") + overrun, u.sent);
	cr_assert_eq(file_lines(hd_path(&d, "j.json")) + overrun, u.sent);
	cr_assert(hd_wait(hd_log_mentions, &d, "udp_overrun", 5000));
}

/*
 * A UDP datagram of no bytes is a message like an empty line over TCP or a
 * datagram holding only LF: received and written (an empty record), not
 * dropped without a trace. The one after it shows it was all taken.
 */
Test(netin, an_empty_udp_datagram_is_received_not_lost, .fini = ni_fini,
    .timeout = 60)
{
	struct sockaddr_in to;
	static const char after[] = "<13>after: the empty one";
	char listen[128];
	int port = hd_free_port(SOCK_DGRAM), fd;

	snprintf(listen, sizeof(listen), "udp = ( \"127.0.0.1:%d\" );", port);
	ni_daemon(listen, true);
	memset(&to, 0, sizeof(to));
	to.sin_family = AF_INET;
	to.sin_port = htons(port);
	to.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(sendto(fd, "", 0, 0, (struct sockaddr *)&to, sizeof(to)),
	    0);
	cr_assert_eq(sendto(fd, after, sizeof(after) - 1, 0,
	    (struct sockaddr *)&to, sizeof(to)), sizeof(after) - 1);
	close(fd);
	cr_assert(hd_wait_lines(hd_path(&d, "j.json"), 2, 10000),
	    "%zu records written of the 2 datagrams",
	    file_lines(hd_path(&d, "j.json")));
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"after\"",
	    NULL), 1);
	cr_assert_eq(hd_stat(&d, "outputs.j.received"), 2);
	cr_assert_eq(hd_stat(&d, "total.dropped_total"), 0);
}

/* ---- Hostile peers ---- */

#define HOSTILE_MEMORY	(256 * 1024)

Test(netin, hostile_tcp_peers_do_not_keep_others_from_being_served,
    .fini = ni_fini, .timeout = 120)
{
	char listen[512], buffer[64], big[60000];
	int port = hd_free_port(SOCK_STREAM), idle[12], hog[6], cut, huge, i;
	size_t want = 100;

	need("logger", "Debian package bsdutils");
	snprintf(listen, sizeof(listen), "tcp = ( \"127.0.0.1:%d\" );\n"
	    "max_clients_per_peer = 6; frame_timeout_ms = 1500;", port);
	snprintf(buffer, sizeof(buffer), "client_memory = %d;",
	    HOSTILE_MEMORY);
	ni_daemon_with(listen, buffer, true);

	/* 127.0.0.2 holds idle connections past its share: the rest are
	 * refused, and nobody else is. */
	for (i = 0; i < 12; i++)
		idle[i] = tcp_from("127.0.0.2", port);
	for (i = 6; i < 12; i++)
		cr_assert(closed_by_daemon(idle[i], 10000),
		    "connection %d of one peer, past its share, not refused", i);
	cr_assert_geq(hd_stat(&d, "refused"), 6);

	/* 127.0.0.3 starts a message and never ends it. */
	cut = tcp_from("127.0.0.3", port);
	send_all(cut, "<13>cut: never finished", 23);
	/* 127.0.0.4 announces a message of a billion bytes. */
	huge = tcp_from("127.0.0.4", port);
	send_all(huge, "999999999 <13>huge: x", 21);
	/* 127.0.0.5 starts big octet-counted frames and stops halfway: more
	 * than client_memory in all. */
	memset(big, 'b', sizeof(big));
	for (i = 0; i < 6; i++) {
		hog[i] = tcp_from("127.0.0.5", port);
		send_all(hog[i], "60000 <13>hog: ", 15);
		send_all(hog[i], big, 50000);
	}

	/* Meanwhile 127.0.0.1 is served: 100 lines over one connection (its
	 * own share of connections is 6 too). */
	cr_assert_eq(run("seq -f 'served %%03g' 100 | logger -n 127.0.0.1 "
	    "-P %d -T -t good", port), 0);
	cr_assert(hd_wait(lines_reach, &d, &want, 30000), "only %zu of 100",
	    file_lines(hd_path(&d, "j.json")));
	cr_assert_eq(lines_with(hd_path(&d, "j.json"), "\"tag\":\"good\"",
	    NULL), 100);

	cr_assert(closed_by_daemon(cut, 10000), "a cut frame is not timed out");
	cr_assert(closed_by_daemon(huge, 10000), "a huge frame is not timed "
	    "out");
	cr_assert_geq(hd_stat(&d, "total.dropped.too_large"), 1);
	cr_assert_leq(hd_stat(&d, "client_memory_peak"), HOSTILE_MEMORY);
	for (i = 0; i < 6; i++) {
		cr_assert(closed_by_daemon(hog[i], 10000));
		close(hog[i]);
	}
	for (i = 0; i < 12; i++)
		close(idle[i]);
	close(cut);
	close(huge);
	/* Nothing of theirs became a record: besides the 100, only the
	 * daemon's own lines saying what it dropped of theirs. */
	cr_assert_eq(file_lines(hd_path(&d, "j.json")), 100 +
	    lines_with(hd_path(&d, "j.json"), "\"tag\":\"asynclogd\"",
	    "dropped", NULL));
}

Test(netin, a_tls_handshake_that_never_finishes_is_timed_out,
    .fini = ni_fini, .timeout = 60)
{
	int port = hd_free_port(SOCK_STREAM), silent, half;

	gnutls_daemon(port, "optional");
	silent = tcp_from("127.0.0.2", port);
	half = tcp_from("127.0.0.3", port);
	/* The start of a ClientHello record, and no more. */
	send_all(half, "\x16\x03\x01\x02\x00\x01", 6);
	/* Others are served meanwhile. */
	cr_assert_eq(gnutls_cli_send(port, NULL, "<13>other: served"), 0);
	cr_assert(hd_wait_lines(hd_path(&d, "j.json"), 1, 10000));
	cr_assert(closed_by_daemon(silent, 10000));
	cr_assert(closed_by_daemon(half, 10000));
	cr_assert(hd_wait(hd_log_mentions, &d, "TLS handshake not finished",
	    5000));
	close(silent);
	close(half);
}
