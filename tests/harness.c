/* SPDX-License-Identifier: ISC */
/*
 * harness.c: start/stop the real daemon for integration tests (harness.h).
 */
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <arpa/inet.h>
#include <netinet/in.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <syslog.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "config.h"
#include "harness.h"
#include "wire.h"

long long
hd_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

const char *
hd_bin(const char *name)
{
	static char buf[4][512];
	static int i;
	const char *b = getenv("ASYNCLOG_BUILD");

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", b != NULL ? b : "build", name);
	return buf[i];
}

const char *
hd_src(const char *name)
{
	static char buf[4][512];
	static int i;
	const char *b = getenv("ASYNCLOG_BUILD");
	int up;

	i = (i + 1) % 4;
	/* build/ or build/san/ in the source tree, or the tree itself */
	for (up = 1; up <= 2 && b != NULL; up++) {
		snprintf(buf[i], sizeof(buf[i]), "%s/%s%s", b,
		    up == 1 ? "../" : "../../", name);
		if (access(buf[i], F_OK) == 0)
			return buf[i];
	}
	snprintf(buf[i], sizeof(buf[i]), "%s", name);
	return buf[i];
}

const char *
hd_path(struct hd *d, const char *name)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", d->dir, name);
	return buf[i];
}

int
unix_connect(const char *path)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1) {
		close(fd);
		return -1;
	}
	return fd;
}

void
hd_send_dgram(const char *path, const void *buf, size_t len)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cr_assert_neq(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(sendto(fd, buf, len, 0, (struct sockaddr *)&sun,
	    sizeof(sun)), (ssize_t)len, "sendto %s: %s", path, strerror(errno));
	close(fd);
}

bool
hd_socket_ready(struct hd *d, void *name)
{
	struct sockaddr_un sun;
	int fd, type, ok;

	type = strncmp(name, "dgram", 5) == 0 ? SOCK_DGRAM : SOCK_STREAM;
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s",
	    hd_path(d, (const char *)name));
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return false;
	ok = connect(fd, (struct sockaddr *)&sun, sizeof(sun)) == 0;
	close(fd);
	return ok;
}

void
hd_write_conf(struct hd *d, const char *tmpl)
{
	FILE *f;
	const char *p, *q;

	cr_assert_not_null(f = fopen(d->conf, "w"));
	for (p = tmpl; (q = strstr(p, "@DIR@")) != NULL; p = q + 5) {
		fwrite(p, 1, q - p, f);
		fputs(d->dir, f);
	}
	fputs(p, f);
	cr_assert_eq(fclose(f), 0);
}

/* Has the daemon's log said what, past its first off bytes? */
static bool
hd_said_since(struct hd *d, size_t off, const char *what)
{
	size_t len = 0;
	char *text = file_read(d->errlog, &len);
	bool found = text != NULL && len > off && strstr(text + off, what);

	free(text);
	return found;
}

static void
hd_spawn(struct hd *d)
{
	long long deadline = hd_now_ms() + 10000;
	struct stat st;
	size_t off = stat(d->errlog, &st) == 0 ? (size_t)st.st_size : 0;
	int fd, status;

	fflush(NULL);
	d->pid = fork();
	cr_assert_neq(d->pid, -1);
	if (d->pid == 0) {
		fd = open(d->errlog, O_WRONLY | O_CREAT | O_APPEND, 0644);
		if (fd != -1) {
			dup2(fd, 2);
			dup2(fd, 1);
		}
		execl(d->daemon != NULL ? d->daemon : hd_bin("asynclogd"),
		    "asynclogd", "-c", d->conf, (char *)NULL);
		_exit(127);
	}
	while (hd_now_ms() < deadline) {
		/* The native socket opens first; "ready" comes when every
		 * socket (syslog stream and datagram too) is open. */
		if ((fd = unix_connect(d->sock)) != -1) {
			close(fd);
			if (hd_said_since(d, off, " ready: socket "))
				return;
		}
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			char *log = file_read(d->errlog, NULL);

			d->pid = 0;
			cr_assert_fail("asynclogd exited at start-up: %s",
			    log != NULL ? log : "(no output)");
		}
		usleep(5000);
	}
	cr_assert_fail("asynclogd did not open %s within 10 s", d->sock);
}

void
hd_prepare(struct hd *d, const char *tmpl)
{
	memset(d, 0, sizeof(*d));
	snprintf(d->dir, sizeof(d->dir), "/tmp/asynclog-test.XXXXXX");
	cr_assert_not_null(mkdtemp(d->dir));
	snprintf(d->sock, sizeof(d->sock), "%s/asynclog.sock", d->dir);
	snprintf(d->conf, sizeof(d->conf), "%s/asynclogd.conf", d->dir);
	snprintf(d->errlog, sizeof(d->errlog), "%s/asynclogd.err", d->dir);
	hd_write_conf(d, tmpl);
}

void
hd_start(struct hd *d, const char *tmpl)
{
	hd_prepare(d, tmpl);
	hd_spawn(d);
}

int
hd_start_fails(struct hd *d)
{
	int status = run("timeout 10 %s -c %s >>%s 2>&1", hd_bin("asynclogd"),
	    d->conf, d->errlog);

	return status == 124 ? -1 : status;
}

void
hd_restart(struct hd *d)
{
	hd_spawn(d);
}

size_t
hd_log_size(struct hd *d)
{
	struct stat st;

	return stat(d->errlog, &st) == 0 ? (size_t)st.st_size : 0;
}

bool
hd_log_since(struct hd *d, size_t off, const char *what, int timeout_ms)
{
	long long deadline = hd_now_ms() + timeout_ms;

	do {
		if (hd_said_since(d, off, what))
			return true;
		usleep(5000);
	} while (hd_now_ms() < deadline);
	return hd_said_since(d, off, what);
}

void
hd_reexec(struct hd *d)
{
	size_t off = hd_log_size(d);

	cr_assert_gt(d->pid, 0);
	cr_assert_eq(kill(d->pid, SIGUSR2), 0);
	cr_assert(hd_log_since(d, off, " ready: socket ", 30000),
	    "asynclogd did not come back from SIGUSR2 within 30 s");
}

int
hd_signal(struct hd *d, int sig, int timeout_ms)
{
	long long deadline = hd_now_ms() + timeout_ms;
	int status;

	if (d->pid <= 0)
		return -1;
	kill(d->pid, sig);
	while (hd_now_ms() < deadline) {
		if (waitpid(d->pid, &status, WNOHANG) == d->pid) {
			d->pid = 0;
			if (WIFEXITED(status))
				return WEXITSTATUS(status);
			return 128 + WTERMSIG(status);
		}
		usleep(2000);
	}
	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	d->pid = 0;
	return -1;
}

void
hd_stop(struct hd *d)
{
	if (d->pid > 0)
		hd_signal(d, SIGTERM, 10000);
	if (d->dir[0] != '\0' && getenv("ASYNCLOG_KEEP_TEST_DIRS") == NULL)
		run("rm -rf '%s'", d->dir);
}

char *
hd_stats(struct hd *d)
{
	unsigned char buf[1 << 20];
	struct wire_frame fr;
	size_t len = 0, n;
	ssize_t r;
	char *out = NULL;
	int fd;

	if ((fd = unix_connect(d->sock)) == -1)
		return NULL;
	n = wire_encode_hello(buf, sizeof(buf), 0, "test", 4);
	n += wire_encode_stats(buf + n, sizeof(buf) - n, WIRE_STATS_JSON);
	if (write(fd, buf, n) != (ssize_t)n)
		goto done;
	for (;;) {
		r = wire_decode(buf, len, sizeof(buf), &fr, NULL);
		if (r > 0 && fr.type == WIRE_STATS_REPLY) {
			out = strndup(fr.u.stats_reply.text, fr.u.stats_reply.len);
			break;
		}
		if (r != 0)
			break;
		if ((r = read(fd, buf + len, sizeof(buf) - len)) <= 0)
			break;
		len += r;
	}
done:
	close(fd);
	return out;
}

long long
json_number(const char *json, const char *path)
{
	char key[128];
	const char *p = json, *dot;
	size_t n;

	/* Keys are looked up in order, each after the previous one: enough
	 * for the daemon's fixed stats layout. */
	while (p != NULL && *path != '\0') {
		dot = strchr(path, '.');
		n = dot != NULL ? (size_t)(dot - path) : strlen(path);
		snprintf(key, sizeof(key), "\"%.*s\":", (int)n, path);
		p = strstr(p, key);
		if (p != NULL)
			p += strlen(key);
		path += n + (dot != NULL);
	}
	if (p == NULL)
		return -1;
	return strtoll(p, NULL, 10);
}

long long
hd_stat(struct hd *d, const char *path)
{
	char *json = hd_stats(d);
	long long v;

	cr_assert_not_null(json, "no stats from the daemon");
	v = json_number(json, path);
	free(json);
	return v;
}

bool
hd_wait(bool (*pred)(struct hd *, void *), struct hd *d, void *arg,
    int timeout_ms)
{
	long long deadline = hd_now_ms() + timeout_ms;

	do {
		if (pred(d, arg))
			return true;
		usleep(5000);
	} while (hd_now_ms() < deadline);
	return pred(d, arg);
}

bool
hd_wait_lines(const char *path, size_t n, int timeout_ms)
{
	long long deadline = hd_now_ms() + timeout_ms;

	do {
		if (file_lines(path) >= n)
			return true;
		usleep(5000);
	} while (hd_now_ms() < deadline);
	return file_lines(path) >= n;
}

char *
file_read(const char *path, size_t *lenp)
{
	size_t len = 0, cap = 65536;
	char *buf, *nb;
	ssize_t n;
	int fd;

	/* Read to EOF rather than trusting st_size: /proc files say 0. */
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return NULL;
	if ((buf = malloc(cap)) == NULL) {
		close(fd);
		return NULL;
	}
	while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
		len += n;
		if (cap - len - 1 == 0) {
			if ((nb = realloc(buf, cap * 2)) == NULL)
				break;
			buf = nb;
			cap *= 2;
		}
	}
	close(fd);
	buf[len] = '\0';
	if (lenp != NULL)
		*lenp = len;
	return buf;
}

size_t
file_lines(const char *path)
{
	char buf[65536];
	size_t lines = 0;
	ssize_t n, i;
	int fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return 0;
	while ((n = read(fd, buf, sizeof(buf))) > 0)
		for (i = 0; i < n; i++)
			lines += buf[i] == '\n';
	close(fd);
	return lines;
}

int
run(const char *fmt, ...)
{
	char cmd[4096];
	va_list ap;
	int status;

	va_start(ap, fmt);
	vsnprintf(cmd, sizeof(cmd), fmt, ap);
	va_end(ap);
	fflush(NULL);
	status = system(cmd);
	if (status == -1 || !WIFEXITED(status))
		return -1;
	return WEXITSTATUS(status);
}

bool
hd_log_mentions(struct hd *d, void *what)
{
	char *text = file_read(d->errlog, NULL);
	bool found = text != NULL && strstr(text, what) != NULL;

	free(text);
	return found;
}

int
hd_log_count(struct hd *d, const char *what)
{
	char *text = file_read(d->errlog, NULL), *p;
	int n = 0;

	for (p = text; p != NULL && (p = strstr(p, what)) != NULL; p++)
		n++;
	free(text);
	return n;
}

void
hd_send_seq(struct hd *d, const char *tag, long first, long n,
    bool all_taken)
{
	asynclog_t *h = asynclog_open(d->sock, tag, ASYNCLOG_BLOCK);
	long i;

	cr_assert_not_null(h);
	for (i = first; i < first + n; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "seq=%07ld " HD_SEQ_PAD
		    " end", i);
	cr_assert_eq(asynclog_flush(h, 30000), 0);
	if (all_taken)
		cr_assert_eq(asynclog_dropped(h), 0);
	asynclog_close(h);
}

static void *
hd_pacer_main(void *arg)
{
	struct hd_pacer *p = arg;
	asynclog_t *h = asynclog_open(p->d->sock, p->tag, ASYNCLOG_BLOCK);
	struct timespec ts = { 0, 1000000 };
	long i;

	for (i = 0; h != NULL && i < p->n; i++) {
		asynclog_log(h, LOG_USER | LOG_INFO, "seq=%07ld " HD_SEQ_PAD
		    " end", i);
		if (i % 50 == 49)
			nanosleep(&ts, NULL);
	}
	if (h != NULL) {
		(void)asynclog_flush(h, 60000);
		asynclog_close(h);
	}
	return NULL;
}

void
hd_pacer_start(struct hd_pacer *p, struct hd *d, const char *tag, long n)
{
	p->d = d;
	p->tag = tag;
	p->n = n;
	cr_assert_eq(pthread_create(&p->thread, NULL, hd_pacer_main, p), 0);
}

void
hd_pacer_join(struct hd_pacer *p)
{
	cr_assert_eq(pthread_join(p->thread, NULL), 0);
}

int
hd_free_port(int type)
{
	struct sockaddr_in sin;
	socklen_t len = sizeof(sin);
	int fd, port;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	cr_assert_neq(fd = socket(AF_INET, type | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(bind(fd, (struct sockaddr *)&sin, sizeof(sin)), 0);
	cr_assert_eq(getsockname(fd, (struct sockaddr *)&sin, &len), 0);
	port = ntohs(sin.sin_port);
	close(fd);
	return port;
}

bool
hd_port_accepts(int port)
{
	struct sockaddr_in sin;
	int fd, ok;

	memset(&sin, 0, sizeof(sin));
	sin.sin_family = AF_INET;
	sin.sin_port = htons(port);
	sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	if ((fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return false;
	ok = connect(fd, (struct sockaddr *)&sin, sizeof(sin)) == 0;
	close(fd);
	return ok;
}

void
hd_make_certs(const char *dir)
{
	cr_assert_eq(run("(cd %s && "
	    "printf 'cn = \"asynclog test CA\"\\nca\\ncert_signing_key\\n"
	    "expiration_days = 2\\n' > ca.tmpl && "
	    "printf 'cn = \"collector\"\\ndns_name = \"localhost\"\\n"
	    "ip_address = \"127.0.0.1\"\\ntls_www_server\\nsigning_key\\n"
	    "encryption_key\\nexpiration_days = 2\\n' > srv.tmpl && "
	    "printf 'cn = \"sender.example\"\\ndns_name = \"sender.example\"\\n"
	    "tls_www_client\\nsigning_key\\nencryption_key\\n"
	    "expiration_days = 2\\n' > cli.tmpl && "
	    "certtool --generate-privkey --key-type=ecdsa --outfile "
	    "ca-key.pem && "
	    "certtool --generate-self-signed --load-privkey ca-key.pem "
	    "--template ca.tmpl --outfile ca.pem && "
	    "certtool --generate-privkey --key-type=ecdsa --outfile "
	    "srv-key.pem && "
	    "certtool --generate-certificate --load-privkey srv-key.pem "
	    "--load-ca-certificate ca.pem --load-ca-privkey ca-key.pem "
	    "--template srv.tmpl --outfile srv.pem && "
	    "certtool --generate-privkey --key-type=ecdsa --outfile "
	    "cli-key.pem && "
	    "certtool --generate-certificate --load-privkey cli-key.pem "
	    "--load-ca-certificate ca.pem --load-ca-privkey ca-key.pem "
	    "--template cli.tmpl --outfile cli.pem && "
	    "printf 'cn = \"asynclogd\"\\ntls_www_client\\nsigning_key\\n"
	    "expiration_days = 2\\n' > clt.tmpl && "
	    "certtool --generate-privkey --key-type=ecdsa --outfile "
	    "clt-key.pem && "
	    "certtool --generate-certificate --load-privkey clt-key.pem "
	    "--load-ca-certificate ca.pem --load-ca-privkey ca-key.pem "
	    "--template clt.tmpl --outfile clt.pem) >%s/certtool.log 2>&1",
	    dir, dir), 0, "certtool failed: see %s/certtool.log", dir);
}

struct config *
hd_conf_load(const char *text)
{
	struct config *c;
	char err[512] = "";

	c = config_load_string(text, "t.conf", err, sizeof(err));
	cr_assert_not_null(c, "should load: %s", err);
	return c;
}

void
hd_conf_load_fails(const char *text, const char *expected)
{
	struct config *c;
	char err[512] = "";

	c = config_load_string(text, "t.conf", err, sizeof(err));
	cr_assert_null(c, "should not load:\n%s", text);
	cr_assert_eq(strncmp(err, expected, strlen(expected)), 0,
	    "got \"%s\", expected it to begin with \"%s\"", err, expected);
}

static void *
hd_capture_thread(void *arg)
{
	struct hd_capture *c = arg;
	char buf[65536], head[64];
	size_t have, end = strlen(HD_CAPTURE_END);
	ssize_t n;
	int fd;

	for (;;) {
		if (c->dgram) {
			if ((n = recv(c->fd, buf, sizeof(buf), 0)) <= 0)
				continue;
			fwrite(buf, 1, n, c->out);
			if (buf[n - 1] != '\n')
				fputc('\n', c->out);
			fflush(c->out);
			if ((size_t)n == end && memcmp(buf, HD_CAPTURE_END, n) == 0)
				return NULL;
			continue;
		}
		if ((fd = accept(c->fd, NULL, NULL)) == -1)
			continue;
		have = 0;
		while ((n = read(fd, buf, sizeof(buf))) > 0) {
			fwrite(buf, 1, n, c->out);
			if (have < sizeof(head))
				memcpy(head + have, buf, (size_t)n < sizeof(head) -
				    have ? (size_t)n : sizeof(head) - have);
			have += n;
		}
		close(fd);
		fflush(c->out);
		if (have == end && memcmp(head, HD_CAPTURE_END, end) == 0)
			return NULL;
	}
}

void
hd_capture_start(struct hd_capture *c, int fd, bool dgram, const char *file)
{
	c->fd = fd;
	c->dgram = dgram;
	cr_assert_not_null(c->out = fopen(file, "w"), "cannot write %s", file);
	cr_assert_eq(pthread_create(&c->thread, NULL, hd_capture_thread, c), 0);
}

void
hd_capture_end(struct hd_capture *c, const struct sockaddr *addr,
    size_t len)
{
	size_t end = strlen(HD_CAPTURE_END);
	int fd;

	cr_assert_neq(fd = socket(addr->sa_family, c->dgram ? SOCK_DGRAM :
	    SOCK_STREAM, 0), -1);
	cr_assert_eq(connect(fd, addr, (socklen_t)len), 0);
	cr_assert_eq(write(fd, HD_CAPTURE_END, end), (ssize_t)end);
	close(fd);
	cr_assert_eq(pthread_join(c->thread, NULL), 0);
	fclose(c->out);
}

long
hd_proc_kib(pid_t pid, const char *field)
{
	char path[64], *text, *p;
	long kib = -1;

	snprintf(path, sizeof(path), "/proc/%ld/status", (long)pid);
	if ((text = file_read(path, NULL)) != NULL &&
	    (p = strstr(text, field)) != NULL)
		kib = strtol(p + strlen(field), NULL, 10);
	free(text);
	return kib;
}

void
hd_need_files(unsigned long n)
{
	struct rlimit rl;

	cr_assert_eq(getrlimit(RLIMIT_NOFILE, &rl), 0);
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < n)
		cr_skip_test("needs %lu open files and the hard limit is %lu "
		    "(raise it, e.g. ulimit -Hn %lu); skipped", n,
		    (unsigned long)rl.rlim_max, n);
	if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < n) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY ? n : rl.rlim_max;
		cr_assert_eq(setrlimit(RLIMIT_NOFILE, &rl), 0);
	}
}
