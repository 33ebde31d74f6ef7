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
	struct config *c = hd_config_load(FWD_HEAD
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
	struct config *c = hd_config_load(FWD_HEAD
	    "    type = \"forward\"; target = \"[::1]:6514\"; format = \"json\";"
	    " } );\n");

	cr_assert_str_eq(c->outputs[0].host, "::1");
	cr_assert_eq(c->outputs[0].port, 6514);
	cr_assert_eq(c->outputs[0].format, FORMAT_JSON);
	cr_assert_str_eq(c->outputs[0].path, "tcp://[::1]:6514");
	config_free(c);
	hd_config_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"::1:514\"; } );\n",
	    "t.conf:5: output 'f': target '::1:514': an IPv6 address goes in "
	    "brackets");
}

Test(forward, config_tls_peer_name_defaults_to_the_target_host)
{
	struct config *c = hd_config_load(FWD_HEAD
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
	hd_config_fails(FWD_HEAD "    type = \"forward\"; } );\n",
	    "t.conf:3: output 'f': target = \"host:port\" is required");
	hd_config_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector\"; } );\n",
	    "t.conf:5: output 'f': bad target 'collector' (host:port");
	hd_config_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector:0\"; } );\n",
	    "t.conf:5: output 'f': target 'collector:0': bad port '0'");
	hd_config_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector:65536\"; } );\n",
	    "t.conf:5: output 'f': target 'collector:65536': bad port");
	hd_config_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"collector:syslog\"; } );\n",
	    "t.conf:5: output 'f': target 'collector:syslog': bad port");
	hd_config_fails(FWD_HEAD "    type = \"forward\";\n"
	    "    target = \"a b:514\"; } );\n",
	    "t.conf:5: output 'f': bad target 'a b:514'");
}

Test(forward, config_rejects_an_unknown_type_or_protocol)
{
	hd_config_fails(FWD_HEAD "    type = \"kafka\"; } );\n",
	    "t.conf:4: output 'f': type: unknown value 'kafka' (\"file\" or "
	    "\"forward\")");
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    protocol = \"udp\"; } );\n",
	    "t.conf:5: output 'f': protocol: unknown value 'udp' (\"tcp\" or "
	    "\"tls\")");
}

Test(forward, config_rejects_keys_of_the_other_type)
{
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    path = \"f.log\"; } );\n",
	    "t.conf:5: output 'f': 'path' applies to file outputs only");
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    rotate = { size = \"1M\"; }; } );\n",
	    "t.conf:5: output 'f': 'rotate' applies to file outputs only");
	hd_config_fails(FWD_HEAD "    path = \"f.log\";\n"
	    "    target = \"h:514\"; } );\n",
	    "t.conf:5: output 'f': 'target' applies to forward outputs only");
	hd_config_fails(FWD_HEAD "    path = \"f.log\";\n"
	    "    protocol = \"tls\"; } );\n",
	    "t.conf:5: output 'f': 'protocol' applies to forward outputs only");
}

Test(forward, config_checks_tls_settings)
{
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\";\n"
	    "    tls = { ca_file = \"/dev/null\"; }; } );\n",
	    "t.conf:5: output 'f': tls settings need protocol = \"tls\"");
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; } );\n",
	    "t.conf:3: output 'f': protocol \"tls\" needs tls = {");
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; tls = { peer_name = \"h\"; }; } );\n",
	    "t.conf:5: output 'f': tls.ca_file is required");
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\";\n"
	    "    tls = { ca_file = \"/nonexistent/ca.pem\"; }; } );\n",
	    "t.conf:6: output 'f': tls.ca_file: cannot read "
	    "'/nonexistent/ca.pem': No such file or directory");
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; tls = { ca_file = \"/dev/null\";\n"
	    "      cert_file = \"/dev/null\"; }; } );\n",
	    "t.conf:6: output 'f': tls.cert_file and tls.key_file go together");
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:6514\";\n"
	    "    protocol = \"tls\"; tls = { ca_file = \"/dev/null\";\n"
	    "      peer = \"h\"; }; } );\n",
	    "t.conf:6: output 'f': unknown key 'peer' in tls");
}

Test(forward, config_rejects_two_outputs_to_one_target)
{
	hd_config_fails(FWD_HEAD "    type = \"forward\"; target = \"h:514\"; },\n"
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

struct collector {
	pid_t	 pid;
	int	 port;
	bool	 tls;
	char	 conf[300];
	char	 pidfile[300];
	char	 out[300];	/* what it received, one record per line */
	char	 err[300];	/* its own messages */
};

static struct hd d;
static struct collector col;

static void
need_rsyslog(bool tls)
{
	if (run("command -v rsyslogd >/dev/null 2>&1") != 0 &&
	    access("/usr/sbin/rsyslogd", X_OK) != 0)
		cr_skip_test("rsyslogd is not installed (Debian package "
		    "rsyslog): no collector to forward to");
	if (!tls)
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
 * rsyslog with its own config in dir: imtcp on 127.0.0.1:port (gtls when
 * tls), Direct queues so that what it took is in its file rather than in a
 * memory queue a SIGKILL empties, one line per record: "TAG MSG".
 */
static void
collector_prepare(struct collector *cl, const char *dir, bool tls)
{
	FILE *f;

	memset(cl, 0, sizeof(*cl));
	cl->port = hd_free_port(SOCK_STREAM);
	cl->tls = tls;
	snprintf(cl->conf, sizeof(cl->conf), "%s/rsyslog.conf", dir);
	snprintf(cl->pidfile, sizeof(cl->pidfile), "%s/rsyslog.pid", dir);
	snprintf(cl->out, sizeof(cl->out), "%s/collector.log", dir);
	snprintf(cl->err, sizeof(cl->err), "%s/rsyslog.err", dir);
	cr_assert_not_null(f = fopen(cl->conf, "w"));
	if (tls)
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
	    "}\n"
	    "input(type=\"imtcp\" address=\"127.0.0.1\" port=\"%d\" "
	    "ruleset=\"in\")\n", cl->out, cl->port);
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

static struct tally
collector_tally(long n)
{
	struct tally t = { 0, 0, -1 };
	unsigned char *seen = calloc((size_t)n, 1);
	char *text = file_read(col.out, NULL), *line, *save = NULL;
	char tail[128];
	long seq;

	cr_assert_not_null(seen);
	if (text == NULL) {
		free(seen);
		return t;
	}
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		cr_assert_eq(sscanf(line, REC_TAG " seq=%7ld %127s", &seq,
		    tail), 2, "not a record: %s", line);
		cr_assert(seq >= 0 && seq < n, "unknown record: %s", line);
		snprintf(tail, sizeof(tail), REC_TAG " seq=%07ld " REC_PAD
		    " end", seq);
		cr_assert_str_eq(line, tail, "torn record");
		if (seen[seq]++)
			t.dups++;
		else
			t.unique++;
		if (seq > t.max_seq)
			t.max_seq = seq;
	}
	free(text);
	free(seen);
	return t;
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

Test(forward, tcp_delivers_every_record_once_and_whole, .fini = forward_fini,
    .timeout = 60)
{
	struct tally t;
	long n = NREC;

	need_rsyslog(false);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, false);
	collector_start(&col);
	daemon_prepare("", "");
	hd_restart(&d);

	send_records(0, n);
	cr_assert(hd_wait(written_reaches, &d, &n, 30000), "written < %ld", n);
	cr_assert(hd_wait(collector_has, &d, &n, 30000));
	t = collector_tally(n);
	cr_assert_eq(t.unique, n);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
	cr_assert_eq(hd_stat(&d, "outputs.fwd.written"), n);
	cr_assert(hd_log_mentions(&d, "output fwd: connected to tcp://"));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

static void
tls_prepare(void)
{
	need_rsyslog(true);
	hd_prepare(&d, HD_CONF_BASIC);
	hd_make_certs(d.dir);
	collector_prepare(&col, d.dir, true);
	collector_start(&col);
}

Test(forward, tls_delivers_every_record_once_and_whole, .fini = forward_fini,
    .timeout = 60)
{
	struct tally t;
	long n = NREC / 4;

	tls_prepare();
	daemon_prepare("", "protocol = \"tls\";\n"
	    "  tls = { ca_file = \"@DIR@/ca.pem\"; peer_name = \"localhost\"; };");
	hd_restart(&d);

	send_records(0, n);
	cr_assert(hd_wait(written_reaches, &d, &n, 30000), "written < %ld", n);
	cr_assert(hd_wait(collector_has, &d, &n, 30000));
	t = collector_tally(n);
	cr_assert_eq(t.unique, n);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
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

	need_rsyslog(false);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, false);
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

	need_rsyslog(false);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, false);
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
	long quarter = p.n / 4, written, missing, bound, last;
	char rec[128];

	need_rsyslog(false);
	hd_prepare(&d, HD_CONF_BASIC);
	collector_prepare(&col, d.dir, false);
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
	cr_log_info("killed mid-stream: %ld of %ld records missing at the "
	    "collector, %ld twice (at most %ld could be in flight)", missing,
	    written, t.dups, bound);
	cr_assert_geq(missing, 0);
	cr_assert_leq(missing, bound);
	cr_assert(hd_wait(hd_log_mentions, &d, "connected again to tcp://",
	    5000));
	cr_assert_eq(log_count("lost the connection to tcp://"), 1, "%s",
	    file_read(d.errlog, NULL));
	cr_assert_eq(log_count("connected again to tcp://"), 1, "%s",
	    file_read(d.errlog, NULL));
}
