/* SPDX-License-Identifier: ISC */
/*
 * test_forward.c: type = "forward" outputs. The config checks every new key
 * with file:line; the integration tests send through the real asynclogd to
 * a real rsyslog (imtcp, plain and with the gtls driver) listening on
 * 127.0.0.1 on a port chosen free at run time, and check at the collector
 * that every record arrived once and whole, and in the daemon's stats that
 * every record is accounted for. The collector is started late, killed
 * mid-stream and restarted, and shown a certificate with the wrong name.
 *
 * Nothing here sends anywhere but 127.0.0.1. The integration tests skip
 * when rsyslogd (Debian package rsyslog), its gtls driver (rsyslog-gnutls)
 * or certtool (gnutls-bin) is missing.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "config.h"
#include "harness.h"

/* ---- Configuration ---- */

/* Lines 1-3; an output's own keys start on line 4. */
#define FWD_HEAD \
	"listen = { socket = \"s.sock\"; };\n"	\
	"outputs = (\n"				\
	"  { name = \"f\";\n"

Test(forward, config_forward_output_defaults_to_tcp_and_rfc5424)
{
	struct config *c = hd_conf_load(FWD_HEAD
	    "    type = \"forward\"; target = \"127.0.0.1:514\"; } );\n");

	cr_assert_eq(c->outputs[0].type, CONFIG_OUTPUT_FORWARD);
	cr_assert_str_eq(c->outputs[0].host, "127.0.0.1");
	cr_assert_eq(c->outputs[0].port, 514);
	cr_assert_eq(c->outputs[0].protocol, CONFIG_PROTOCOL_TCP);
	cr_assert_eq(c->outputs[0].format, FORMAT_RFC5424);
	cr_assert_str_eq(c->outputs[0].path, "tcp://127.0.0.1:514");
	config_free(c);
}

Test(forward, config_ipv6_target_goes_in_brackets)
{
	struct config *c = hd_conf_load(FWD_HEAD
	    "    type = \"forward\"; target = \"[::1]:6514\"; format = \"json\";"
	    " } );\n");

	cr_assert_str_eq(c->outputs[0].host, "::1");
	cr_assert_eq(c->outputs[0].port, 6514);
	cr_assert_eq(c->outputs[0].format, FORMAT_JSON);
	cr_assert_str_eq(c->outputs[0].path, "tcp://[::1]:6514");
	config_free(c);
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"::1:514\"; } );\n",
	    "t.conf:5: output 'f': target '::1:514': an IPv6 address goes in "
	    "brackets");
}

Test(forward, config_tls_peer_name_defaults_to_the_target_host)
{
	struct config *c = hd_conf_load(FWD_HEAD
	    "    type = \"forward\"; target = \"localhost:6514\";\n"
	    "    protocol = \"tls\"; tls = { ca_file = \"/dev/null\"; }; } );\n");

	cr_assert_eq(c->outputs[0].protocol, CONFIG_PROTOCOL_TLS);
	cr_assert_str_eq(c->outputs[0].tls_ca_file, "/dev/null");
	cr_assert_null(c->outputs[0].tls_cert_file);
	cr_assert_str_eq(c->outputs[0].tls_peer_name, "localhost");
	cr_assert_str_eq(c->outputs[0].path, "tls://localhost:6514");
	config_free(c);
}

Test(forward, config_rejects_a_bad_target_or_port_with_its_line)
{
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; } );\n",
	    "t.conf:3: output 'f': target = \"host:port\" is required");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector\"; } );\n",
	    "t.conf:5: output 'f': bad target 'collector' (host:port");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector:0\"; } );\n",
	    "t.conf:5: output 'f': target 'collector:0': bad port '0'");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector:65536\"; } );\n",
	    "t.conf:5: output 'f': target 'collector:65536': bad port");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector:syslog\"; } );\n",
	    "t.conf:5: output 'f': target 'collector:syslog': bad port");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"a b:514\"; } );\n",
	    "t.conf:5: output 'f': bad target 'a b:514'");
}

Test(forward, config_rejects_an_unknown_type_or_protocol)
{
	hd_conf_load_fails(FWD_HEAD "    type = \"amqp\"; } );\n",
	    "t.conf:4: output 'f': type: unknown value 'amqp' (\"file\", "
	    "\"forward\" or \"kafka\")");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    protocol = \"udp\"; } );\n",
	    "t.conf:5: output 'f': protocol: unknown value 'udp' (\"tcp\", "
	    "\"tls\" or \"relp\")");
}

Test(forward, config_rejects_keys_of_the_other_type)
{
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    path = \"f.log\"; } );\n",
	    "t.conf:5: output 'f': 'path' applies to file outputs only");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    rotate = { size = \"1M\"; }; } );\n",
	    "t.conf:5: output 'f': 'rotate' applies to file outputs only");
	hd_conf_load_fails(FWD_HEAD "    path = \"f.log\";\n"
	    "    target = \"h:514\"; } );\n",
	    "t.conf:5: output 'f': 'target' applies to forward outputs only");
	hd_conf_load_fails(FWD_HEAD "    path = \"f.log\";\n"
	    "    protocol = \"tls\"; } );\n",
	    "t.conf:5: output 'f': 'protocol' applies to forward outputs only");
}

Test(forward, config_checks_tls_settings)
{
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    tls = { ca_file = \"/dev/null\"; }; } );\n",
	    "t.conf:5: output 'f': tls settings need protocol = \"tls\"");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; } );\n",
	    "t.conf:3: output 'f': protocol \"tls\" needs tls = {");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; tls = { peer_name = \"h\"; }; } );\n",
	    "t.conf:5: output 'f': tls.ca_file is required");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\";\n"
	    "    tls = { ca_file = \"/nonexistent/ca.pem\"; }; } );\n",
	    "t.conf:6: output 'f': tls.ca_file: cannot read "
	    "'/nonexistent/ca.pem': No such file or directory");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; tls = { ca_file = \"/dev/null\";\n"
	    "      cert_file = \"/dev/null\"; }; } );\n",
	    "t.conf:6: output 'f': tls.cert_file and tls.key_file go together");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; tls = { ca_file = \"/dev/null\";\n"
	    "      peer = \"h\"; }; } );\n",
	    "t.conf:6: output 'f': unknown key 'peer' in tls");
}

Test(forward, config_rejects_two_outputs_to_one_target)
{
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\"; },\n"
	    "  { name = \"g\"; type = \"forward\";\n"
	    "    target = \"h:514\"; } );\n",
	    "t.conf:6: output 'g': target 'h:514' over tcp is already used by "
	    "output 'f'");
}

Test(forward, a_ca_file_without_a_certificate_stops_the_start)
{
	struct hd dd;

	hd_prepare(&dd,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "outputs = ( { name = \"c\"; type = \"forward\";\n"
	    "  target = \"127.0.0.1:9\"; protocol = \"tls\";\n"
	    "  tls = { ca_file = \"/dev/null\"; }; } );\n");
	cr_assert_eq(hd_start_fails(&dd), 1);
	cr_assert(hd_log_mentions(&dd, "output c: tls.ca_file /dev/null: no "
	    "certificate in it"));
	hd_stop(&dd);
}

/* ---- A real collector ---- */

#define NREC		20000
#define REC_TAG		"fwdtest"
#define REC_PAD		"pad-0123456789abcdefghijklmnopqrstuvwxyz-0123456789"

/* What the collector listens with. */
enum col_kind {
	COL_TCP,	/* imtcp */
	COL_TLS,	/* imtcp with the gtls driver */
	COL_RELP,	/* imrelp */
	COL_RELP_TLS,	/* imrelp with tls="on" */
};

struct collector {
	pid_t	 pid;
	int	 port;
	enum col_kind kind;
	char	 conf[300];
	char	 pidfile[300];
	char	 out[300];	/* what it received, one record per line */
	char	 err[300];	/* its own messages */
};

static struct hd d;
static struct collector col;

static void
need_rsyslog(enum col_kind kind)
{
	if (run("command -v rsyslogd >/dev/null 2>&1") != 0 &&
	    access("/usr/sbin/rsyslogd", X_OK) != 0)
		cr_skip_test("rsyslogd is not installed (Debian package "
		    "rsyslog): no collector to forward to");
	if ((kind == COL_RELP || kind == COL_RELP_TLS) &&
	    run("ls /usr/lib/*/rsyslog/imrelp.so /usr/lib/rsyslog/"
	    "imrelp.so 2>/dev/null | grep -q .") != 0)
		cr_skip_test("rsyslog's imrelp is not installed (Debian "
		    "package rsyslog-relp)");
	if (kind == COL_RELP_TLS && run("command -v certtool >/dev/null "
	    "2>&1") != 0)
		cr_skip_test("certtool is not installed (Debian package "
		    "gnutls-bin)");
	if (kind != COL_TLS)
		return;
	if (run("ls /usr/lib/*/rsyslog/lmnsd_gtls.so /usr/lib/rsyslog/"
	    "lmnsd_gtls.so 2>/dev/null | grep -q .") != 0)
		cr_skip_test("rsyslog's gtls driver is not installed (Debian "
		    "package rsyslog-gnutls)");
	if (run("command -v certtool >/dev/null 2>&1") != 0)
		cr_skip_test("certtool is not installed (Debian package "
		    "gnutls-bin)");
}

/*
 * rsyslog with its own config in dir: imtcp (gtls for COL_TLS) or imrelp
 * on 127.0.0.1:port, Direct queues so that what it took is in its file
 * rather than in a memory queue a SIGKILL empties (and, over RELP, is
 * acknowledged only once written), one line per record: "TAG MSG".
 */
static void
collector_prepare(struct collector *cl, const char *dir, enum col_kind kind)
{
	FILE *f;

	memset(cl, 0, sizeof(*cl));
	cl->port = hd_free_port(SOCK_STREAM);
	cl->kind = kind;
	snprintf(cl->conf, sizeof(cl->conf), "%s/rsyslog.conf", dir);
	snprintf(cl->pidfile, sizeof(cl->pidfile), "%s/rsyslog.pid", dir);
	snprintf(cl->out, sizeof(cl->out), "%s/collector.log", dir);
	snprintf(cl->err, sizeof(cl->err), "%s/rsyslog.err", dir);
	cr_assert_not_null(f = fopen(cl->conf, "w"));
	if (kind == COL_RELP || kind == COL_RELP_TLS)
		fprintf(f, "global(workDirectory=\"%s\" maxMessageSize=\"64k\")\n"
		    "module(load=\"imrelp\")\n", dir);
	else if (kind == COL_TLS)
		fprintf(f, "global(workDirectory=\"%s\" maxMessageSize=\"64k\"\n"
		    "  DefaultNetstreamDriverCAFile=\"%s/ca.pem\"\n"
		    "  DefaultNetstreamDriverCertFile=\"%s/srv.pem\"\n"
		    "  DefaultNetstreamDriverKeyFile=\"%s/srv-key.pem\")\n"
		    "module(load=\"imtcp\" StreamDriver.Name=\"gtls\"\n"
		    "  StreamDriver.Mode=\"1\" StreamDriver.AuthMode=\"anon\")\n",
		    dir, dir, dir, dir);
	else
		fprintf(f, "global(workDirectory=\"%s\" maxMessageSize=\"64k\")\n"
		    "module(load=\"imtcp\")\n", dir);
	fprintf(f, "main_queue(queue.type=\"Direct\")\n"
	    "template(name=\"rec\" type=\"string\" "
	    "string=\"%%app-name%% %%msg%%\\n\")\n"
	    "ruleset(name=\"in\" queue.type=\"Direct\") {\n"
	    "  action(type=\"omfile\" file=\"%s\" template=\"rec\")\n"
	    "}\n", cl->out);
	if (kind == COL_RELP_TLS)
		fprintf(f, "input(type=\"imrelp\" address=\"127.0.0.1\" "
		    "port=\"%d\" ruleset=\"in\" tls=\"on\"\n"
		    "  tls.caCert=\"%s/ca.pem\" tls.myCert=\"%s/srv.pem\"\n"
		    "  tls.myPrivKey=\"%s/srv-key.pem\" "
		    "tls.authMode=\"certvalid\")\n", cl->port, dir, dir, dir);
	else
		fprintf(f, "input(type=\"%s\" address=\"127.0.0.1\" "
		    "port=\"%d\" ruleset=\"in\")\n", kind == COL_RELP ?
		    "imrelp" : "imtcp", cl->port);
	cr_assert_eq(fclose(f), 0);
}

static void
collector_start(struct collector *cl)
{
	long long deadline = hd_now_ms() + 10000;
	int fd, status;

	unlink(cl->pidfile);	/* a SIGKILLed one leaves it behind */
	fflush(NULL);
	cr_assert_neq(cl->pid = fork(), -1);
	if (cl->pid == 0) {
		if ((fd = open(cl->err, O_WRONLY | O_CREAT | O_APPEND,
		    0644)) != -1) {
			dup2(fd, 1);
			dup2(fd, 2);
		}
		execlp("rsyslogd", "rsyslogd", "-n", "-f", cl->conf, "-i",
		    cl->pidfile, (char *)NULL);
		execl("/usr/sbin/rsyslogd", "rsyslogd", "-n", "-f", cl->conf,
		    "-i", cl->pidfile, (char *)NULL);
		_exit(127);
	}
	while (hd_now_ms() < deadline) {
		if (hd_port_accepts(cl->port))
			return;
		if (waitpid(cl->pid, &status, WNOHANG) == cl->pid) {
			char *log = file_read(cl->err, NULL);

			cl->pid = 0;
			cr_assert_fail("rsyslogd exited at start-up: %s",
			    log != NULL ? log : "(no output)");
		}
		usleep(5000);
	}
	cr_assert_fail("rsyslogd did not listen on 127.0.0.1:%d within 10 s",
	    cl->port);
}

static void
collector_kill(struct collector *cl, int sig)
{
	if (cl->pid <= 0)
		return;
	kill(cl->pid, sig);
	waitpid(cl->pid, NULL, 0);
	cl->pid = 0;
}

static void
forward_fini(void)
{
	collector_kill(&col, SIGTERM);
	hd_stop(&d);
}

/* The daemon's config: one forward output "fwd" to the collector. */
static void
daemon_prepare(const char *extra_buffer, const char *protocol_and_tls)
{
	char conf[2048];

	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; %s };\n"
	    "shutdown = { drain_timeout_ms = 1000; };\n"
	    "outputs = ( { name = \"fwd\"; type = \"forward\";\n"
	    "  target = \"127.0.0.1:%d\"; %s } );\n",
	    extra_buffer, col.port, protocol_and_tls);
	hd_write_conf(&d, conf);
}

static void
send_records(long first, long n)
{
	asynclog_t *h = asynclog_open(d.sock, REC_TAG, ASYNCLOG_BLOCK);
	long i;

	cr_assert_not_null(h);
	for (i = first; i < first + n; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "seq=%07ld " REC_PAD " end",
		    i);
	cr_assert_eq(asynclog_flush(h, 30000), 0);
	cr_assert_eq(asynclog_dropped(h), 0);
	asynclog_close(h);
}

/* What the collector holds: how often each seq arrived, and no torn line. */
struct tally {
	long	 unique;
	long	 dups;
	long	 max_seq;
};

/* Records at the collector other than the daemon's own (a drop marker,
 * returned in marker when there is one): how often each seq came, and the
 * first time each came in increasing order. */
static struct tally
collector_tally_ordered(long n, char *marker, size_t markerlen)
{
	struct tally t = { 0, 0, -1 };
	char *text = file_read(col.out, NULL), *line, *save = NULL;
	unsigned char *seen = calloc((size_t)n, 1);
	char whole[128];
	long seq;

	cr_assert_not_null(seen);
	if (marker != NULL)
		marker[0] = '\0';
	for (line = text != NULL ? strtok_r(text, "\n", &save) : NULL;
	    line != NULL; line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "asynclogd ", 10) == 0) {
			cr_assert_not_null(marker, "unexpected: %s", line);
			snprintf(marker, markerlen, "%s", line);
			continue;
		}
		cr_assert_eq(sscanf(line, REC_TAG " seq=%7ld", &seq), 1,
		    "not a record: %s", line);
		cr_assert(seq >= 0 && seq < n, "unknown record: %s", line);
		snprintf(whole, sizeof(whole), REC_TAG " seq=%07ld " REC_PAD
		    " end", seq);
		cr_assert_str_eq(line, whole, "torn record");
		if (seen[seq]++) {
			t.dups++;
			continue;
		}
		cr_assert_gt(seq, t.max_seq, "record %ld arrived after %ld",
		    seq, t.max_seq);
		t.max_seq = seq;
		t.unique++;
	}
	free(text);
	free(seen);
	return t;
}

static struct tally
collector_tally(long n)
{
	return collector_tally_ordered(n, NULL, 0);
}

static bool
written_reaches(struct hd *dd, void *arg)
{
	return hd_stat(dd, "outputs.fwd.written") >= *(long *)arg;
}

static bool
collector_has(struct hd *dd, void *arg)
{
	(void)dd;
	return (long)file_lines(col.out) >= *(long *)arg;
}

/* The collector wrote record seq (and, records being in order on one
 * connection, whatever came before it on that connection). */
static bool
collector_has_seq(struct hd *dd, void *arg)
{
	char *text = file_read(col.out, NULL), line[128];
	bool found;

	(void)dd;
	snprintf(line, sizeof(line), REC_TAG " seq=%07ld " REC_PAD " end\n",
	    *(long *)arg);
	found = text != NULL && strstr(text, line) != NULL;
	free(text);
	return found;
}

static bool
settled(struct hd *dd, void *arg)
{
	(void)arg;
	return hd_stat(dd, "outputs.fwd.buffered") == 0;
}

/* How many lines of the daemon's stderr contain what. */
static int
log_count(const char *what)
{
	char *text = file_read(d.errlog, NULL), *p;
	int n = 0;

	for (p = text; p != NULL && (p = strstr(p, what)) != NULL; p++)
		n++;
	free(text);
	return n;
}

/* At least n failed connection attempts, as the stats reason says. */
static bool
attempts_failed(struct hd *dd, void *arg)
{
	char *json = hd_stats(dd), *p;
	long n = 0;

	if (json != NULL && (p = strstr(json, " failed attempts")) != NULL) {
		while (p > json && p[-1] >= '0' && p[-1] <= '9')
			p--;
		n = strtol(p, NULL, 10);
	}
	free(json);
	return n >= *(long *)arg;
}

static void
check_balanced(long n)
{
	char *json = hd_stats(&d);

	cr_assert_not_null(json);
	cr_assert_eq(json_number(json, "outputs.fwd.received"), n, "%s", json);
	cr_assert(strstr(json, "\"balanced\":false") == NULL, "%s", json);
	free(json);
}

/* n records through the daemon: every one at the collector, once and
 * whole, and counted written; the connection said once. */
static void
delivers_once(long n, const char *scheme)
{
	struct tally t;
	char connected[64];

	send_records(0, n);
	cr_assert(hd_wait(written_reaches, &d, &n, 30000), "written < %ld: %s",
	    n, hd_stats(&d));
	cr_assert(hd_wait(collector_has, &d, &n, 30000));
	t = collector_tally(n);
	cr_assert_eq(t.unique, n);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.written"), n);
	snprintf(connected, sizeof(connected), "output fwd: connected to %s://",
	    scheme);
	cr_assert(hd_log_mentions(&d, connected));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

Test(forward, tcp_delivers_every_record_once_and_whole, .fini = forward_fini,
    .timeout = 60)
{
	long n = NREC;

	need_rsyslog(COL_TCP);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, COL_TCP);
	collector_start(&col);
	daemon_prepare("", "");
	hd_restart(&d);

	delivers_once(n, "tcp");
}

static void
tls_prepare(void)
{
	need_rsyslog(COL_TLS);
	hd_prepare(&d, HD_CONF_BASIC);
	hd_make_certs(d.dir);
	collector_prepare(&col, d.dir, COL_TLS);
	collector_start(&col);
}

Test(forward, tls_delivers_every_record_once_and_whole, .fini = forward_fini,
    .timeout = 60)
{
	tls_prepare();
	daemon_prepare("", "protocol = \"tls\";\n"
	    "  tls = { ca_file = \"@DIR@/ca.pem\"; peer_name = \"localhost\"; };");
	hd_restart(&d);
	delivers_once(NREC / 4, "tls");
}

Test(forward, tls_refuses_a_collector_with_another_name, .fini = forward_fini,
    .timeout = 60)
{
	long n = 100, tries = 3;
	char *json;

	tls_prepare();
	daemon_prepare("", "protocol = \"tls\";\n"
	    "  tls = { ca_file = \"@DIR@/ca.pem\"; "
	    "peer_name = \"not-the-collector.test\"; };");
	hd_restart(&d);

	send_records(0, n);
	cr_assert(hd_wait(attempts_failed, &d, &tries, 10000));
	json = hd_stats(&d);
	cr_assert(strstr(json, "\"state\":\"backing_off\"") != NULL, "%s", json);
	cr_assert(strstr(json, "does not match") != NULL, "%s", json);
	cr_assert_eq(json_number(json, "outputs.fwd.written"), 0);
	cr_assert_eq(json_number(json, "outputs.fwd.buffered"), n);
	free(json);
	cr_assert_eq(file_lines(col.out), 0, "records went to a collector whose "
	    "name was wrong");
	/* Said once, not once per attempt. */
	cr_assert_eq(log_count("cannot connect to tls://"), 1);
	cr_assert_eq(log_count("does not match"), 1);
	/* Stopping counts what never went as undelivered. */
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert(hd_log_mentions(&d, "stopping; 100 records were not "
	    "delivered"));
}

Test(forward, records_wait_for_a_collector_that_starts_late,
    .fini = forward_fini, .timeout = 60)
{
	struct tally t;
	long n = 5000, tries = 3;
	char *json;

	need_rsyslog(COL_TCP);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, COL_TCP);
	daemon_prepare("", "");
	hd_restart(&d);

	/* Down: records wait, the outage is said once. */
	send_records(0, n);
	cr_assert(hd_wait(attempts_failed, &d, &tries, 10000));
	json = hd_stats(&d);
	cr_assert(strstr(json, "\"state\":\"backing_off\"") != NULL, "%s", json);
	cr_assert(strstr(json, "Connection refused") != NULL, "%s", json);
	cr_assert_eq(json_number(json, "outputs.fwd.buffered"), n, "%s", json);
	free(json);
	cr_assert_eq(log_count("cannot connect to tcp://"), 1);

	/* Up: everything arrives, the end of the outage is said once. */
	collector_start(&col);
	cr_assert(hd_wait(written_reaches, &d, &n, 40000), "written < %ld", n);
	cr_assert(hd_wait(collector_has, &d, &n, 10000));
	t = collector_tally(n);
	cr_assert_eq(t.unique, n);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
	cr_assert(hd_wait(hd_log_mentions, &d, "connected again to tcp://",
	    5000));
	cr_assert_eq(log_count("connected again to tcp://"), 1);
	cr_assert_eq(log_count("cannot connect to tcp://"), 1);
	json = hd_stats(&d);
	cr_assert(strstr(json, "\"state\":\"connected\"") != NULL, "%s", json);
	free(json);
}

Test(forward, a_full_pool_counts_overflow_while_the_collector_is_down,
    .fini = forward_fini, .timeout = 60)
{
	struct tally t;
	long n = 5000, tries = 1, written, overflow;
	char *json;

	need_rsyslog(COL_TCP);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, COL_TCP);
	/* Two 8K chunks: room for about a hundred records. */
	daemon_prepare("chunk_size = \"8K\"; max_memory = \"16K\"; "
	    "overflow = \"drop\";", "");
	hd_restart(&d);
	cr_assert(hd_wait(attempts_failed, &d, &tries, 10000));

	send_records(0, n);
	json = hd_stats(&d);
	overflow = json_number(json, "outputs.fwd.dropped.overflow");
	cr_assert_gt(overflow, 0, "%s", json);
	cr_assert_eq(json_number(json, "outputs.fwd.buffered") + overflow, n,
	    "%s", json);
	free(json);

	collector_start(&col);
	cr_assert(hd_wait(settled, &d, NULL, 40000));
	written = hd_stat(&d, "outputs.fwd.written");
	cr_assert_eq(written + overflow, n);
	cr_assert(hd_wait(collector_has, &d, &written, 10000));
	t = collector_tally(n);
	cr_assert_eq(t.unique, written);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
}

/* Sends n records at a steady pace, so that a kill lands mid-stream. */
struct pacer {
	pthread_t	 thread;
	long		 n;
};

static void *
pacer_main(void *arg)
{
	struct pacer *p = arg;
	asynclog_t *h = asynclog_open(d.sock, REC_TAG, ASYNCLOG_BLOCK);
	struct timespec ts = { 0, 1000000 };
	long i;

	for (i = 0; h != NULL && i < p->n; i++) {
		asynclog_log(h, LOG_USER | LOG_INFO, "seq=%07ld " REC_PAD " end",
		    i);
		if (i % 50 == 49)
			nanosleep(&ts, NULL);
	}
	if (h != NULL) {
		(void)asynclog_flush(h, 30000);
		asynclog_close(h);
	}
	return NULL;
}

/* Bytes the kernel may hold on both ends of one connection: what a kill
 * can cost at most on plain TCP. */
static long
in_flight_bound(size_t record_len)
{
	long w[3] = { 0 }, r[3] = { 0 };
	FILE *f;

	if ((f = fopen("/proc/sys/net/ipv4/tcp_wmem", "r")) != NULL) {
		if (fscanf(f, "%ld %ld %ld", &w[0], &w[1], &w[2]) != 3)
			w[2] = 4 << 20;
		fclose(f);
	}
	if ((f = fopen("/proc/sys/net/ipv4/tcp_rmem", "r")) != NULL) {
		if (fscanf(f, "%ld %ld %ld", &r[0], &r[1], &r[2]) != 3)
			r[2] = 6 << 20;
		fclose(f);
	}
	return (w[2] + r[2]) / (long)record_len + 1;
}

Test(forward, reconnects_by_itself_after_the_collector_is_killed,
    .fini = forward_fini, .timeout = 90)
{
	struct pacer p = { .n = 4 * NREC };
	struct tally t;
	long quarter = p.n / 4, written, missing, bound, last, possibly_lost;
	char rec[128];

	need_rsyslog(COL_TCP);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, COL_TCP);
	collector_start(&col);
	daemon_prepare("", "");
	hd_restart(&d);

	cr_assert_eq(pthread_create(&p.thread, NULL, pacer_main, &p), 0);
	cr_assert(hd_wait(collector_has, &d, &quarter, 30000));
	collector_kill(&col, SIGKILL);
	collector_start(&col);
	cr_assert_eq(pthread_join(p.thread, NULL), 0);

	/* Everything the daemon took went out again on a new connection. */
	cr_assert(hd_wait(settled, &d, NULL, 30000));
	check_balanced(p.n);
	written = hd_stat(&d, "outputs.fwd.written");
	cr_assert_eq(written, p.n, "records were dropped: %s", hd_stats(&d));
	/* The last record arrives: the new connection delivered its part. */
	last = p.n - 1;
	cr_assert(hd_wait(collector_has_seq, &d, &last, 10000));
	t = collector_tally(p.n);
	missing = written - t.unique;
	bound = in_flight_bound((size_t)snprintf(rec, sizeof(rec),
	    "99 seq=%07ld " REC_PAD " end", 0L) + 60);
	possibly_lost = hd_stat(&d, "outputs.fwd.possibly_lost");
	cr_log_info("TCP, killed mid-stream: %ld of %ld records missing at the "
	    "collector, %ld twice; asynclogd counts %ld possibly lost (the "
	    "kernels' buffers could hold %ld)", missing, written, t.dups,
	    possibly_lost, bound);
	cr_assert_geq(missing, 0);
	cr_assert_leq(missing, possibly_lost, "more missing than counted");
	cr_assert_leq(possibly_lost, bound);
	cr_assert(hd_log_mentions(&d, "may not have reached it (counted "
	    "possibly_lost)"));
	cr_assert(hd_wait(hd_log_mentions, &d, "connected again to tcp://",
	    5000));
	cr_assert_eq(log_count("lost the connection to tcp://"), 1, "%s",
	    file_read(d.errlog, NULL));
	cr_assert_eq(log_count("connected again to tcp://"), 1, "%s",
	    file_read(d.errlog, NULL));
}

/* ---- RELP ---- */

#define RELP_WINDOW	128	/* daemon/relp.h: unacknowledged at most */
/* RELP over TLS: imrelp verifies clients too (librelp's anonymous mode
 * cannot talk to a client that verifies the collector). */
#define RELP_TLS(peer)							\
	"protocol = \"relp\";\n"					\
	"  tls = { ca_file = \"@DIR@/ca.pem\"; peer_name = \"" peer "\";\n"	\
	"    cert_file = \"@DIR@/clt.pem\"; key_file = \"@DIR@/clt-key.pem\"; };"

Test(forward, config_relp_takes_tls_as_an_option)
{
	struct config *c = hd_conf_load(FWD_HEAD
	    "    type = \"forward\"; target = \"127.0.0.1:2514\";\n"
	    "    protocol = \"relp\"; } );\n");

	cr_assert_eq(c->outputs[0].protocol, CONFIG_PROTOCOL_RELP);
	cr_assert_null(c->outputs[0].tls_ca_file);
	cr_assert_str_eq(c->outputs[0].path, "relp://127.0.0.1:2514");
	config_free(c);
	c = hd_conf_load(FWD_HEAD
	    "    type = \"forward\"; target = \"localhost:2514\";\n"
	    "    protocol = \"relp\"; tls = { ca_file = \"/dev/null\"; }; } );\n");
	cr_assert_str_eq(c->outputs[0].tls_ca_file, "/dev/null");
	cr_assert_str_eq(c->outputs[0].tls_peer_name, "localhost");
	config_free(c);
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:2514\";\n"
	    "    protocol = \"relp\";\n"
	    "    tls = { ca_file = \"/nonexistent/ca.pem\"; }; } );\n",
	    "t.conf:6: output 'f': tls.ca_file: cannot read "
	    "'/nonexistent/ca.pem'");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:2514\";\n"
	    "    protocol = \"relp\"; tls = { peer_name = \"h\"; }; } );\n",
	    "t.conf:5: output 'f': tls.ca_file is required");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"h:70000\"; protocol = \"relp\"; } );\n",
	    "t.conf:5: output 'f': target 'h:70000': bad port");
}

/* The collector wrote at least as many records as the daemon counts
 * written: written means acknowledged. Stats first: the file only grows. */
static void
check_written_was_acknowledged(void)
{
	long long written = hd_stat(&d, "outputs.fwd.written");
	size_t lines = file_lines(col.out);

	cr_assert_leq(written, (long long)lines, "written %lld, but the "
	    "collector holds %zu records", written, lines);
}

/*
 * librelp 1.11 leaks the GnuTLS session of a handshake that fails (fixed
 * upstream after 1.11; the daemon lets it happen once per outage, see
 * forward_relp_connect). tests/lsan.supp names librelp, but gnutls has no
 * frame pointers: only the slow unwinder shows librelp in the stack.
 */
static void
relp_tls_leak_is_librelps(void)
{
	const char *old = getenv("LSAN_OPTIONS");
	char opts[1024];

	if (old == NULL)
		return;		/* not a sanitizer build */
	snprintf(opts, sizeof(opts), "%s:fast_unwind_on_malloc=0", old);
	setenv("LSAN_OPTIONS", opts, 1);
}

static void
relp_start(enum col_kind kind)
{
	need_rsyslog(kind);
	hd_prepare(&d, HD_CONF_BASIC);
	if (kind == COL_RELP_TLS)
		hd_make_certs(d.dir);
	collector_prepare(&col, d.dir, kind);
	collector_start(&col);
	daemon_prepare("", kind == COL_RELP_TLS ? RELP_TLS("localhost") :
	    "protocol = \"relp\";");
	hd_restart(&d);
}

static void
relp_delivers(enum col_kind kind, long n)
{
	relp_start(kind);
	delivers_once(n, "relp");
}

Test(forward, relp_delivers_every_record_once_and_whole, .fini = forward_fini,
    .timeout = 60)
{
	relp_delivers(COL_RELP, NREC);
}

Test(forward, relp_over_tls_delivers_every_record_once_and_whole,
    .fini = forward_fini, .timeout = 60)
{
	relp_delivers(COL_RELP_TLS, NREC / 4);
}

Test(forward, relp_over_tls_refuses_a_collector_with_another_name,
    .fini = forward_fini, .timeout = 60)
{
	long n = 100, tries = 3;
	char *json;

	need_rsyslog(COL_RELP_TLS);
	hd_prepare(&d, HD_CONF_BASIC);
	hd_make_certs(d.dir);
	collector_prepare(&col, d.dir, COL_RELP_TLS);
	collector_start(&col);
	daemon_prepare("", RELP_TLS("not-the-collector.test"));
	relp_tls_leak_is_librelps();
	hd_restart(&d);

	send_records(0, n);
	cr_assert(hd_wait(attempts_failed, &d, &tries, 20000));
	json = hd_stats(&d);
	cr_assert(strstr(json, "\"state\":\"backing_off\"") != NULL, "%s", json);
	cr_assert_eq(json_number(json, "outputs.fwd.written"), 0);
	cr_assert_eq(json_number(json, "outputs.fwd.buffered"), n);
	free(json);
	cr_assert_eq(file_lines(col.out), 0, "records went to a collector whose "
	    "name was wrong");
	cr_assert_eq(log_count("cannot connect to relp://"), 1);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0, "%s",
	    file_read(d.errlog, NULL));
	cr_assert(hd_log_mentions(&d, "stopping; 100 records were not "
	    "delivered"));
}

static bool
collector_has_sampled(struct hd *dd, void *arg)
{
	check_written_was_acknowledged();
	return collector_has(dd, arg);
}

static bool
outages_over(struct hd *dd, void *arg)
{
	(void)dd;
	(void)arg;
	return log_count("lost the connection to relp://") +
	    log_count("cannot connect to relp://") ==
	    log_count("connected again to relp://");
}

Test(forward, relp_loses_nothing_when_the_collector_is_killed,
    .fini = forward_fini, .timeout = 120)
{
	struct pacer p = { .n = 4 * NREC };
	struct tally t;
	long quarter = p.n / 4, half = p.n / 2, dups;

	relp_start(COL_RELP);
	cr_assert_eq(pthread_create(&p.thread, NULL, pacer_main, &p), 0);
	cr_assert(hd_wait(collector_has_sampled, &d, &quarter, 30000));
	collector_kill(&col, SIGKILL);
	collector_start(&col);
	cr_assert(hd_wait(collector_has_sampled, &d, &half, 30000));
	collector_kill(&col, SIGKILL);
	collector_start(&col);
	cr_assert_eq(pthread_join(p.thread, NULL), 0);

	cr_assert(hd_wait(settled, &d, NULL, 60000), "%s", hd_stats(&d));
	check_balanced(p.n);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.written"), p.n, "%s",
	    hd_stats(&d));
	check_written_was_acknowledged();
	t = collector_tally(p.n);
	cr_assert_eq(t.unique, p.n, "records lost over RELP");
	dups = t.dups;
	cr_log_info("RELP, collector killed twice mid-stream: all %ld records "
	    "arrived, in order; %ld twice (at most %d per kill: the window)",
	    p.n, dups, RELP_WINDOW);
	cr_assert_leq(dups, 2 * RELP_WINDOW);
	/* Each outage said once as it began and once as it ended; a kill
	 * between two sessions (relp.h) is no outage at all. */
	cr_assert(hd_wait(outages_over, &d, NULL, 10000), "%s",
	    file_read(d.errlog, NULL));
	cr_assert_leq(log_count("connected again to relp://"), 2);
	/* Connected again, the stats still say what went wrong last. */
	if (log_count("connected again to relp://") > 0) {
		char *json = hd_stats(&d);

		cr_assert(strstr(json, "\"last_error\":\"") != NULL, "%s",
		    json);
		free(json);
	}
}

/* ---- The spool ---- */

Test(forward, config_checks_the_spool)
{
	struct config *c;
	char conf[1024];

	c = hd_conf_load(FWD_HEAD
	    "    type = \"forward\"; target = \"127.0.0.1:2514\";\n"
	    "    protocol = \"relp\"; spool = { path = \"/tmp\"; }; } );\n");
	cr_assert_str_eq(c->outputs[0].spool_path, "/tmp");
	cr_assert_eq(c->outputs[0].spool_max_size, 1ULL << 30);
	cr_assert_eq(c->outputs[0].spool_sync, SYNC_NEVER);
	config_free(c);
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    spool = { max_size = \"10M\"; }; } );\n",
	    "t.conf:5: output 'f': spool.path is required");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    spool = { path = \"/etc/passwd\"; }; } );\n",
	    "t.conf:5: output 'f': spool.path '/etc/passwd' is not a directory");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    spool = { path = \"/nonexistent/spool\"; }; } );\n",
	    "t.conf:5: output 'f': spool.path '/nonexistent/spool': No such "
	    "file or directory");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    spool = { path = \"/tmp\";\n"
	    "      max_size = \"1K\"; }; } );\n",
	    "t.conf:6: output 'f': spool.max_size (1K) must hold two chunks");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    spool = { path = \"/tmp\";\n"
	    "      sync = \"sometimes\"; }; } );\n",
	    "t.conf:6: output 'f': spool.sync: unknown value 'sometimes'");
	hd_conf_load_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    spool = { path = \"/tmp\"; size = \"1G\"; }; } );\n",
	    "t.conf:5: output 'f': unknown key 'size' in spool");
	hd_conf_load_fails(FWD_HEAD "    path = \"f.log\";\n"
	    "    spool = { path = \"/tmp\"; }; } );\n",
	    "t.conf:5: output 'f': 'spool' applies to forward outputs only");
	snprintf(conf, sizeof(conf), FWD_HEAD
	    "    type = \"forward\"; target = \"h:514\";\n"
	    "    spool = { path = \"/tmp\"; }; },\n"
	    "  { name = \"g\"; type = \"forward\"; target = \"h:515\";\n"
	    "    spool = { path = \"/tmp\"; }; } );\n");
	hd_conf_load_fails(conf, "t.conf:7: output 'g': spool.path '/tmp' is "
	    "already the spool of output 'f'");
}

static bool
spooled_reaches(struct hd *dd, void *arg)
{
	return hd_stat(dd, "outputs.fwd.spool.records") >= *(long *)arg;
}

/* Every record received is in the spool or dropped: none in memory. */
static bool
settled_into_spool(struct hd *dd, void *arg)
{
	char *json = hd_stats(dd);
	bool ok;

	ok = json != NULL && json_number(json, "outputs.fwd.received") ==
	    *(long *)arg && json_number(json, "outputs.fwd.buffered") ==
	    json_number(json, "outputs.fwd.spool.records");
	free(json);
	return ok;
}

/* The collector holds as many lines as the daemon counts written. */
static bool
collector_has_all(struct hd *dd, void *arg)
{
	(void)arg;
	return (long long)file_lines(col.out) >=
	    hd_stat(dd, "outputs.fwd.written");
}

static void
spool_prepare(enum col_kind kind, const char *extra_buffer,
    const char *spool)
{
	char proto[512];

	need_rsyslog(kind);
	hd_prepare(&d, HD_CONF_BASIC);
	cr_assert_eq(mkdir(hd_path(&d, "spool"), 0700), 0);
	collector_prepare(&col, d.dir, kind);
	snprintf(proto, sizeof(proto), "protocol = \"%s\";\n"
	    "  spool = { path = \"@DIR@/spool\"; %s };",
	    kind == COL_RELP ? "relp" : "tcp", spool);
	daemon_prepare(extra_buffer, proto);
}

Test(forward, spool_keeps_records_across_an_outage_and_a_restart,
    .fini = forward_fini, .timeout = 120)
{
	long n = 5000;
	struct tally t;
	char *json;

	spool_prepare(COL_RELP, "", "");
	hd_restart(&d);

	/* The collector is away: the records go to the spool, and the
	 * client does not wait for it (send_records flushes). */
	send_records(0, n);
	cr_assert(hd_wait(spooled_reaches, &d, &n, 60000), "%s", hd_stats(&d));
	json = hd_stats(&d);
	cr_assert(strstr(json, "\"state\":\"backing_off\"") != NULL, "%s", json);
	cr_assert_eq(json_number(json, "outputs.fwd.buffered"), n, "%s", json);
	cr_assert_eq(json_number(json, "outputs.fwd.written"), 0, "%s", json);
	cr_assert_gt(json_number(json, "outputs.fwd.spool.bytes"), n * 60);
	free(json);
	check_balanced(n);
	cr_assert_eq(run("%s -u %s --stats --prometheus | grep -qx "
	    "'asynclog_output_spool_records{output=\"fwd\"} %ld'",
	    hd_bin("asynclog"), d.sock, n), 0, "the spool in Prometheus' "
	    "format too");

	/* Restarted while the collector is still away: nothing is lost. */
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert(hd_log_mentions(&d, "5000 records stay in its spool"));
	hd_restart(&d);
	cr_assert(hd_wait(spooled_reaches, &d, &n, 10000), "%s", hd_stats(&d));
	check_balanced(n);
	cr_assert(hd_log_mentions(&d, "5000 records from before in its spool"));
	send_records(n, n);
	n *= 2;
	cr_assert(hd_wait(spooled_reaches, &d, &n, 60000), "%s", hd_stats(&d));

	/* Back: all of it, in order, once. */
	collector_start(&col);
	cr_assert(hd_wait(written_reaches, &d, &n, 60000), "%s", hd_stats(&d));
	cr_assert(hd_wait(settled, &d, NULL, 10000), "%s", hd_stats(&d));
	check_written_was_acknowledged();
	t = collector_tally_ordered(n, NULL, 0);
	cr_assert_eq(t.unique, n);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.spool.records"), 0);
	cr_assert_eq(run("ls %s/spool/*.seg 2>/dev/null | grep -q .",
	    d.dir), 1, "delivered segments are removed");
}

Test(forward, relp_with_a_spool_loses_nothing_while_clients_go_on,
    .fini = forward_fini, .timeout = 120)
{
	struct pacer p = { .n = 4 * NREC };
	struct tally t;
	long quarter = p.n / 4;

	spool_prepare(COL_RELP, "", "");
	collector_start(&col);
	hd_restart(&d);
	cr_assert_eq(pthread_create(&p.thread, NULL, pacer_main, &p), 0);
	cr_assert(hd_wait(collector_has_sampled, &d, &quarter, 30000));
	collector_kill(&col, SIGKILL);
	/* The client finishes (its last flush returns) with the collector
	 * gone: it never waits for it. */
	cr_assert_eq(pthread_join(p.thread, NULL), 0);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.received"), p.n);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.dropped.overflow"), 0);
	collector_start(&col);

	cr_assert(hd_wait(settled, &d, NULL, 60000), "%s", hd_stats(&d));
	check_balanced(p.n);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.written"), p.n, "%s",
	    hd_stats(&d));
	check_written_was_acknowledged();
	t = collector_tally_ordered(p.n, NULL, 0);
	cr_assert_eq(t.unique, p.n, "records lost");
	cr_log_info("RELP with a spool, collector killed mid-stream: all %ld "
	    "records arrived, in order; %ld twice (at most %d: the window)",
	    p.n, t.dups, RELP_WINDOW);
	cr_assert_leq(t.dups, RELP_WINDOW);
}

Test(forward, a_full_spool_counts_its_drops_exactly_and_says_so,
    .fini = forward_fini, .timeout = 120)
{
	long n = 5000, full, spooled, marked = -1;
	char marker[512], *p;
	struct tally t;
	char *json;

	/* 8K chunks, a 64K spool: room for a few hundred records. */
	spool_prepare(COL_RELP, "chunk_size = \"8K\"; max_memory = \"64K\";",
	    "max_size = \"64K\";");
	hd_restart(&d);
	send_records(0, n);
	cr_assert(hd_wait(settled_into_spool, &d, &n, 60000), "%s",
	    hd_stats(&d));
	json = hd_stats(&d);
	full = json_number(json, "outputs.fwd.dropped.spool_full");
	spooled = json_number(json, "outputs.fwd.spool.records");
	cr_assert_gt(full, 0, "%s", json);
	cr_assert_gt(spooled, 0, "%s", json);
	cr_assert_eq(full + spooled, n, "%s", json);
	cr_assert_eq(json_number(json, "outputs.fwd.buffered"), spooled);
	cr_assert_leq(json_number(json, "outputs.fwd.spool.bytes"), 64 << 10);
	free(json);
	check_balanced(n);
	cr_assert_eq(log_count("spool full"), 1, "said once: %s",
	    file_read(d.errlog, NULL));

	/* The collector back: what was kept, then the marker, then new
	 * records, all in order. */
	collector_start(&col);
	cr_assert(hd_wait(settled, &d, NULL, 60000), "%s", hd_stats(&d));
	send_records(n, 100);
	cr_assert(hd_wait(settled, &d, NULL, 30000), "%s", hd_stats(&d));
	/* The marker is a record of the daemon's: received and written. */
	check_balanced(n + 101);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.written"), spooled + 1 + 100);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.dropped.spool_full"), full);
	cr_assert(hd_wait(collector_has_all, &d, NULL, 10000));
	t = collector_tally_ordered(n + 100, marker, sizeof(marker));
	cr_assert_eq(t.unique, spooled + 100);
	cr_assert_eq(t.dups, 0);
	cr_assert((p = strstr(marker, "dropped ")) != NULL, "no marker");
	cr_assert_eq(sscanf(p, "dropped %ld records (spool full) from", &marked),
	    1, "%s", marker);
	cr_assert_eq(marked, full, "%s", marker);
	cr_assert(hd_log_mentions(&d, "the spool has room again"));
}

/*
 * A RELP target where a plain TCP collector listens: it takes the
 * connection and never answers RELP's "open", so each attempt blocks in
 * librelp until its timeout. A stop meanwhile must not leave the records
 * in memory: they go to the spool and come back at the next start.
 */
Test(forward, relp_to_a_collector_that_never_answers_keeps_records_in_the_spool,
    .fini = forward_fini, .timeout = 120)
{
	long n = 1000;

	need_rsyslog(COL_TCP);
	hd_prepare(&d, HD_CONF_BASIC);
	cr_assert_eq(mkdir(hd_path(&d, "spool"), 0700), 0);
	collector_prepare(&col, d.dir, COL_TCP);
	daemon_prepare("", "protocol = \"relp\";\n"
	    "  spool = { path = \"@DIR@/spool\"; };");
	collector_start(&col);
	hd_restart(&d);
	send_records(0, n);
	cr_assert_eq(hd_signal(&d, SIGTERM, 30000), 0);
	cr_assert(hd_log_mentions(&d, "1000 records stay in its spool"), "%s",
	    file_read(d.errlog, NULL));
	hd_restart(&d);
	cr_assert(hd_wait(spooled_reaches, &d, &n, 10000), "%s", hd_stats(&d));
	check_balanced(n);
}

/*
 * The spool holds a record longer than a chunk of the next start (the
 * administrator made chunk_size smaller): it cannot be sent, so it is
 * dropped and counted, and the records after it still go.
 */
Test(forward, a_spooled_record_longer_than_a_chunk_is_dropped_not_stuck,
    .fini = forward_fini, .timeout = 120)
{
	static char big[20000];
	long n = 21, rest = 20;
	asynclog_t *h;

	spool_prepare(COL_RELP, "", "");
	hd_restart(&d);
	send_records(0, 10);
	memset(big, 'x', sizeof(big) - 1);
	cr_assert_not_null(h = asynclog_open(d.sock, REC_TAG, ASYNCLOG_BLOCK));
	asynclog_log(h, LOG_USER | LOG_INFO, "%s", big);
	cr_assert_eq(asynclog_flush(h, 30000), 0);
	asynclog_close(h);
	send_records(10, 10);
	cr_assert(hd_wait(spooled_reaches, &d, &n, 30000), "%s", hd_stats(&d));
	cr_assert_eq(hd_signal(&d, SIGTERM, 30000), 0);

	daemon_prepare("chunk_size = \"8K\";", "protocol = \"relp\";\n"
	    "  spool = { path = \"@DIR@/spool\"; };");
	collector_start(&col);
	hd_restart(&d);
	cr_assert(hd_wait(settled, &d, NULL, 30000), "%s", hd_stats(&d));
	cr_assert_eq(hd_stat(&d, "outputs.fwd.written"), rest, "%s",
	    hd_stats(&d));
	cr_assert_eq(hd_stat(&d, "outputs.fwd.dropped.too_large"), 1);
	check_balanced(n);
	cr_assert(hd_log_mentions(&d, "longer than a chunk"));
	cr_assert(hd_wait(collector_has, &d, &rest, 10000));
}

static void
tmpfs_fini(void)
{
	collector_kill(&col, SIGTERM);
	if (d.pid > 0)
		(void)hd_signal(&d, SIGTERM, 10000);
	(void)run("umount %s/spool 2>/dev/null", d.dir);
	hd_stop(&d);
}

/* Every record received is in the spool or dropped. */
static bool
spooled_or_dropped(struct hd *dd, void *arg)
{
	return hd_stat(dd, "outputs.fwd.spool.records") +
	    hd_stat(dd, "outputs.fwd.dropped.spool_full") >= *(long *)arg;
}

/*
 * The disk of the spool full (a 64K tmpfs) while max_size is far from
 * reached: the drop marker, a short line, must not slip into the last
 * bytes of the disk each time a chunk is refused, saying "room again"
 * while there is none. It goes once, with the records after it, when
 * the disk has room.
 */
Test(forward, a_full_spool_disk_says_so_once_and_marks_once,
    .fini = tmpfs_fini, .timeout = 120)
{
	long n = 2000, full;
	char marker[512], *p;
	long marked = -1;
	struct tally t;

	if (geteuid() != 0)
		cr_skip_test("mounting a tmpfs needs root");
	spool_prepare(COL_RELP, "chunk_size = \"8K\"; max_memory = \"64K\";",
	    "");
	cr_assert_eq(run("mount -t tmpfs -o size=64k,mode=0700 tmpfs "
	    "%s/spool", d.dir), 0);
	hd_restart(&d);
	send_records(0, n);
	cr_assert(hd_wait(spooled_or_dropped, &d, &n, 60000), "%s",
	    hd_stats(&d));
	full = hd_stat(&d, "outputs.fwd.dropped.spool_full");
	cr_assert_gt(full, 0, "%s", hd_stats(&d));
	cr_assert_eq(hd_stat(&d, "outputs.fwd.received"), n, "markers went "
	    "into a full disk: %s", file_read(d.errlog, NULL));
	cr_assert_eq(log_count("the spool has room again"), 0, "%s",
	    file_read(d.errlog, NULL));
	check_balanced(n);

	collector_start(&col);
	cr_assert(hd_wait(settled, &d, NULL, 60000), "%s", hd_stats(&d));
	send_records(n, 10);
	cr_assert(hd_wait(settled, &d, NULL, 30000), "%s", hd_stats(&d));
	check_balanced(n + 11);
	cr_assert_eq(log_count("the spool has room again"), 1, "%s",
	    file_read(d.errlog, NULL));
	cr_assert(hd_wait(collector_has_all, &d, NULL, 10000));
	t = collector_tally_ordered(n + 10, marker, sizeof(marker));
	cr_assert_eq(t.unique, n + 10 - full);
	cr_assert((p = strstr(marker, "dropped ")) != NULL, "no marker");
	cr_assert_eq(sscanf(p, "dropped %ld records (spool full) from",
	    &marked), 1, "%s", marker);
	cr_assert_eq(marked, full, "%s", marker);
}
