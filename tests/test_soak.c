/*
 * test_soak.c: every record accounted for while things go wrong.
 *
 * Every record the tests send says who sent it and its number
 * ("soak c=CLIENT s=SEQ"), so the end of a test can name exactly the records
 * missing from the files and hold them against what was counted as dropped
 * by the library (asynclog_close_dropped), the CLI (its exit and its words)
 * or the daemon (its counters, summed over every process it ran as).
 *
 *   soak/a_reexec_under_load_*   SIGUSR2 restarts the daemon in place while
 *                                library threads (ASYNCLOG_BLOCK), the CLI and
 *                                logger(1) write: nothing lost, no client fails.
 *   soak/sockets_go_to_*         the service manager's fd store keeps the
 *                                sockets across a stop and start.
 *   soak/random_faults_*         a seeded random walk over faults (reloads good
 *                                and broken, a filling and emptying tmpfs, a
 *                                slow FIFO, writers killed mid-frame, SIGTERM,
 *                                SIGKILL and SIGUSR2 restarts) for
 *                                ASYNCLOG_SOAK_SECONDS (default 75), with
 *                                ASYNCLOG_SOAK_SEED to replay a run.
 */
#include <sys/mman.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "asynclog.h"
#include "harness.h"
#include "wire.h"

#define SOAK_PAD	"padding-so-the-record-is-about-a-hundred-bytes-long-xxxxx"

/* Client ids: library threads, then the CLI, logger(1), Python; killed
 * writers take one id each from SOAK_VICTIM0 on. */
#define SOAK_LIB_THREADS 4
#define SOAK_CLI	4
#define SOAK_LOGGER	5
#define SOAK_PYTHON	6
#define SOAK_VICTIM0	8
#define SOAK_MAXC	512
#define SOAK_MAXSTEPS	4096
#define SOAK_MIN_FRAME	64	/* bytes: no record frame of ours is smaller */

static struct hd d;
static char mnt[256];

/* DIR/name for any thread (hd_path's buffers are shared by all threads). */
static const char *
sp(const char *name)
{
	static __thread char buf[4][512];
	static __thread int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", d.dir, name);
	return buf[i];
}

/* ---- what was sent, and what the files hold ---------------------------- */

static _Atomic long sent[SOAK_MAXC];	/* highest sequence number handed over */
static unsigned char *seen[SOAK_MAXC];	/* times each sequence is in a file */
static size_t seen_cap[SOAK_MAXC];
static long dups, strays;

static void
seen_add(int c, long s)
{
	size_t cap;

	if (c < 0 || c >= SOAK_MAXC || s < 1 || s > atomic_load(&sent[c]) + 1) {
		strays++;
		return;
	}
	if ((size_t)s >= seen_cap[c]) {
		cap = seen_cap[c] ? seen_cap[c] : 4096;
		while (cap <= (size_t)s)
			cap *= 2;
		cr_assert_not_null(seen[c] = realloc(seen[c], cap));
		memset(seen[c] + seen_cap[c], 0, cap - seen_cap[c]);
		seen_cap[c] = cap;
	}
	if (seen[c][s]++ > 0)
		dups++;
}

static bool
seen_has(int c, long s)
{
	return (size_t)s < seen_cap[c] && seen[c][s] > 0;
}

/*
 * Note every "soak c=N s=M" in a file; a missing file holds nothing. By
 * hand, byte by byte: glibc's sscanf measures the whole rest of the file at
 * every call (a minute for 8 MB), and under ASan strstr with strtol timed
 * out as well.
 */
static void
seen_scan(const char *path)
{
	static const char key[] = "soak c=";
	size_t len = 0, i;
	char *text = file_read(path, &len), *e;
	long c, s;

	if (text == NULL)
		return;
	for (i = 0; i + sizeof(key) - 1 < len; i++) {
		if (text[i] != 's' || memcmp(text + i, key, sizeof(key) - 1) != 0)
			continue;
		c = strtol(text + i + sizeof(key) - 1, &e, 10);
		if (e[0] != ' ' || e[1] != 's' || e[2] != '=')
			continue;
		s = strtol(e + 3, &e, 10);
		seen_add((int)c, s);
		i = (size_t)(e - text) - 1;
	}
	free(text);
}

static void
seen_reset(void)
{
	int c;

	for (c = 0; c < SOAK_MAXC; c++) {
		free(seen[c]);
		seen[c] = NULL;
		seen_cap[c] = 0;
		atomic_store(&sent[c], 0);
	}
	dups = strays = 0;
}

/* The daemon's drops of records (not of garbage: malformed frames are
 * what killed writers left; not the clients' own reports, counted at the
 * clients), summed over the reasons of one "total ..." line or JSON. */
static const char *const soak_reasons[] = { "disk_full", "overflow",
    "too_large", "rate_limited", "no_output", "shutdown", "undelivered",
    "spool_full", "kernel_overrun" };

static long long
final_drops(struct hd *dd)
{
	char *log = file_read(dd->errlog, NULL), *p, *q, key[64];
	long long sum = 0;
	size_t i;

	cr_assert_not_null(log);
	for (p = log; (q = strstr(p, "final counters:")) != NULL; p = q + 1)
		;
	cr_assert_neq(p, log, "no final counters in the daemon's log");
	cr_assert_not_null(p = strstr(p, "\ntotal "), "%s", p);
	cr_assert_not_null(strstr(p, "balanced=yes"), "final counters not "
	    "balanced:%.400s", p);
	for (i = 0; i < sizeof(soak_reasons) / sizeof(soak_reasons[0]); i++) {
		snprintf(key, sizeof(key), " dropped.%s=", soak_reasons[i]);
		if ((q = strstr(p, key)) != NULL)
			sum += strtoll(q + strlen(key), NULL, 10);
	}
	free(log);
	return sum;
}

/* The live daemon's drops as above, and whether its counters balance. */
static long long
live_drops(struct hd *dd, bool *balanced)
{
	char *json = hd_stats(dd), key[64];
	long long sum = 0, rec, wr, buf, dr = 0, v;
	size_t i;
	static const char *const all[] = { "disk_full", "overflow",
	    "too_large", "malformed", "rate_limited", "client", "no_output",
	    "shutdown", "undelivered", "spool_full", "kernel_overrun" };

	cr_assert_not_null(json, "no stats from the daemon");
	for (i = 0; i < sizeof(soak_reasons) / sizeof(soak_reasons[0]); i++) {
		snprintf(key, sizeof(key), "total.dropped.%s", soak_reasons[i]);
		if ((v = json_number(json, key)) > 0)
			sum += v;
	}
	rec = json_number(json, "total.received");
	wr = json_number(json, "total.written");
	buf = json_number(json, "total.buffered");
	for (i = 0; i < sizeof(all) / sizeof(all[0]); i++) {
		snprintf(key, sizeof(key), "total.dropped.%s", all[i]);
		if ((v = json_number(json, key)) > 0)
			dr += v;
	}
	*balanced = strstr(json, "\"balanced\":false") == NULL &&
	    rec == wr + dr + buf;
	if (!*balanced)
		cr_log_error("unbalanced: %s", json);
	free(json);
	return sum;
}

/* ---- clients ------------------------------------------------------------ */

static asynclog_t *lib;
static atomic_bool lib_stop, lib_pause;
static atomic_int lib_paused;
static int lib_rate = 1000;	/* records per second per thread */

static void *
lib_thread(void *arg)
{
	int c = (int)(intptr_t)arg;
	long s;
	bool counted = false;

	while (!atomic_load(&lib_stop)) {
		if (atomic_load(&lib_pause)) {
			if (!counted)
				atomic_fetch_add(&lib_paused, 1);
			counted = true;
			usleep(1000);
			continue;
		}
		if (counted)
			atomic_fetch_sub(&lib_paused, 1);
		counted = false;
		s = atomic_load(&sent[c]) + 1;
		/* Counted by the library when it cannot take it. */
		(void)asynclog_log(lib, LOG_USER | LOG_INFO,
		    "soak c=%d s=%ld " SOAK_PAD, c, s);
		atomic_store(&sent[c], s);
		if (s % 10 == 0)
			usleep(10000000 / lib_rate);
	}
	return NULL;
}

static pthread_t lib_threads[SOAK_LIB_THREADS];

static void
lib_start(const char *sock)
{
	int i;

	atomic_store(&lib_stop, false);
	atomic_store(&lib_pause, false);
	atomic_store(&lib_paused, 0);
	cr_assert_not_null(lib = asynclog_open(sock, "soaklib",
	    ASYNCLOG_BLOCK));
	for (i = 0; i < SOAK_LIB_THREADS; i++)
		pthread_create(&lib_threads[i], NULL, lib_thread,
		    (void *)(intptr_t)i);
}

/* Pause the library threads (each between two calls) and flush. */
static void
lib_hold(void)
{
	long long deadline = hd_now_ms() + 30000;

	atomic_store(&lib_pause, true);
	while (atomic_load(&lib_paused) < SOAK_LIB_THREADS &&
	    hd_now_ms() < deadline)
		usleep(1000);
	cr_assert_eq(atomic_load(&lib_paused), SOAK_LIB_THREADS);
	/* A daemon that is dropping may not confirm; its counters say. */
	(void)asynclog_flush(lib, 10000);
}

static uint64_t
lib_end(void)
{
	int i;

	atomic_store(&lib_stop, true);
	for (i = 0; i < SOAK_LIB_THREADS; i++)
		pthread_join(lib_threads[i], NULL);
	return asynclog_close_dropped(lib);
}

/* Lines "soak c=C s=FIRST.." into DIR/name; returns the path. */
static const char *
lines_file(const char *name, int c, long first, long n)
{
	const char *path = sp(name);
	FILE *f = fopen(path, "w");
	long i;

	cr_assert_not_null(f);
	for (i = first; i < first + n; i++)
		fprintf(f, "soak c=%d s=%ld " SOAK_PAD "\n", c, i);
	cr_assert_eq(fclose(f), 0);
	return path;
}

/*
 * The CLI logs n lines read from stdin. Returns how many it says it did
 * not deliver: 0 on exit 0, its "N records were dropped", or all of them
 * when it could not reach the daemon at all.
 */
static long
cli_run(long n)
{
	long first = atomic_load(&sent[SOAK_CLI]) + 1, dropped;
	char *err, *p;
	int rc;

	(void)lines_file("cli.in", SOAK_CLI, first, n);
	atomic_store(&sent[SOAK_CLI], first + n - 1);
	rc = run("%s -u %s -t soakcli < %s 2> %s", hd_bin("asynclog"), d.sock,
	    sp("cli.in"), sp("cli.err"));
	if (rc == 0)
		return 0;
	err = file_read(sp("cli.err"), NULL);
	p = err != NULL ? strstr(err, " records were dropped") : NULL;
	if (p != NULL) {
		while (p > err && p[-1] >= '0' && p[-1] <= '9')
			p--;
		dropped = strtol(p, NULL, 10);
	} else
		dropped = n;	/* not one was sent */
	free(err);
	return dropped;
}

struct cli_job {
	pthread_t	 th;
	long		 n, dropped, failures, runs;
	atomic_bool	 stop;
};

static void *
cli_thread(void *arg)
{
	struct cli_job *j = arg;
	long n;

	while (!atomic_load(&j->stop)) {
		if ((n = cli_run(j->n)) > 0)
			j->failures++;
		j->dropped += n;
		j->runs++;
		/* Not too fast while no daemon is there to reach. */
		usleep(n > 0 ? 200000 : 20000);
	}
	return NULL;
}

/* logger(1) sends n datagrams; all of them count as not delivered when it
 * fails (it does not say how many it sent). */
static long
logger_run(const char *dgram, long n)
{
	long first = atomic_load(&sent[SOAK_LOGGER]) + 1;
	int rc;

	(void)lines_file("logger.in", SOAK_LOGGER, first, n);
	atomic_store(&sent[SOAK_LOGGER], first + n - 1);
	rc = run("logger -u %s -t soaklogger -f %s 2>/dev/null", dgram,
	    sp("logger.in"));
	return rc == 0 ? 0 : n;
}

/* Python's logging.handlers.SysLogHandler over the datagram socket; it
 * prints how many records its handleError saw. */
static const char soak_py[] =
"import logging, logging.handlers, sys\n"
"path, c, first, n = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), "
    "int(sys.argv[4])\n"
"failed = 0\n"
"class H(logging.handlers.SysLogHandler):\n"
"    def handleError(self, record):\n"
"        global failed\n"
"        failed += 1\n"
"h = H(address=path)\n"
"log = logging.getLogger('soakpy')\n"
"log.addHandler(h)\n"
"log.setLevel(logging.INFO)\n"
"log.propagate = False\n"
"for i in range(first, first + n):\n"
"    log.info('soak c=%d s=%d " SOAK_PAD "', c, i)\n"
"h.close()\n"
"print(failed)\n";

static long
python_run(const char *dgram, long n)
{
	long first = atomic_load(&sent[SOAK_PYTHON]) + 1, failed = n;
	char *out;
	FILE *f;

	cr_assert_not_null(f = fopen(sp("soak.py"), "w"));
	fputs(soak_py, f);
	cr_assert_eq(fclose(f), 0);
	atomic_store(&sent[SOAK_PYTHON], first + n - 1);
	if (run("python3 %s %s %d %ld %ld > %s 2>/dev/null",
	    sp("soak.py"), dgram, SOAK_PYTHON, first, n,
	    sp("py.out")) == 0 &&
	    (out = file_read(sp("py.out"), NULL)) != NULL) {
		failed = strtol(out, NULL, 10);
		free(out);
	}
	return failed;
}

/*
 * A writer process that sends raw native frames, each in two write(2)s, so
 * a SIGKILL often lands mid-frame. *done is the last record whose every
 * byte the kernel took: from there on the daemon owes it.
 */
static pid_t
victim_start(int c, _Atomic long *done)
{
	unsigned char buf[512];
	char msg[256];
	size_t n, half;
	long s;
	int fd, m;
	pid_t pid;

	fflush(NULL);
	cr_assert_neq(pid = fork(), -1);
	if (pid != 0)
		return pid;
	if ((fd = unix_connect(d.sock)) == -1)
		_exit(1);
	n = wire_encode_hello(buf, sizeof(buf), 0, "victim", 6);
	if (write(fd, buf, n) != (ssize_t)n)
		_exit(1);
	for (s = 1;; s++) {
		m = snprintf(msg, sizeof(msg), "soak c=%d s=%ld " SOAK_PAD, c,
		    s);
		n = wire_encode_record(buf, sizeof(buf), LOG_USER | LOG_INFO,
		    0, "victim", 6, msg, (size_t)m, NULL, 0);
		half = n / 2;
		if (write(fd, buf, half) != (ssize_t)half)
			_exit(1);
		if (s % 64 == 0)
			usleep(1000);
		if (write(fd, buf + half, n - half) != (ssize_t)(n - half))
			_exit(1);
		atomic_store(done, s);
	}
}

/* ---- the slow reader of a FIFO output ----------------------------------- */

static atomic_bool fifo_stop;
static int fifo_rate = 1024;	/* bytes per 5 ms: about 2000 records/s */

static void *
fifo_reader(void *arg)
{
	char buf[4096];
	int in, out;
	ssize_t n;

	(void)arg;
	in = open(sp("slow.fifo"), O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	out = open(sp("slow.out"), O_WRONLY | O_CREAT | O_APPEND |
	    O_CLOEXEC, 0644);
	if (in == -1 || out == -1)
		return NULL;
	for (;;) {
		n = read(in, buf, (size_t)fifo_rate);
		if (n > 0) {
			if (write(out, buf, (size_t)n) != n)
				break;
		} else if (atomic_load(&fifo_stop))
			break;	/* empty, and the daemon is gone */
		usleep(5000);
	}
	close(in);
	close(out);
	return NULL;
}

/* ---- configs -------------------------------------------------------------- */

enum soak_out { SOAK_OUT_FILE, SOAK_OUT_FIFO, SOAK_OUT_TMPFS, SOAK_NOUTS };
static const char *const soak_out_names[] = { "file", "slow fifo", "tmpfs" };

static void
soak_conf(enum soak_out o, bool broken)
{
	char conf[2048], path[300];

	if (o == SOAK_OUT_TMPFS)
		snprintf(path, sizeof(path), "%s/out.log", mnt);
	else
		snprintf(path, sizeof(path), "@DIR@/%s",
		    o == SOAK_OUT_FIFO ? "slow.fifo" : "main.log");
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "buffer = { chunk_size = \"16K\"; max_memory = \"256K\"; "
	    "flush_interval_ms = 50; stall_timeout_ms = 500; };\n"
	    "shutdown = { drain_timeout_ms = 3000; };\n"
	    "outputs = ( { name = \"out\"; path = \"%s\"; } )%s\n",
	    path, broken ? "\nthis is not a config" : ";");
	hd_write_conf(&d, conf);
}

static void
soak_mount(void)
{
	char dir[] = "/tmp/asynclog-soak.XXXXXX";

	mnt[0] = '\0';
	if (geteuid() != 0)
		return;
	cr_assert_not_null(mkdtemp(dir));
	if (mount("tmpfs", dir, "tmpfs", 0, "size=8M,mode=0755") == -1) {
		rmdir(dir);
		return;
	}
	snprintf(mnt, sizeof(mnt), "%s", dir);
}

static void
soak_down(void)
{
	hd_stop(&d);
	if (mnt[0] != '\0') {
		umount2(mnt, MNT_DETACH);
		rmdir(mnt);
		mnt[0] = '\0';
	}
	seen_reset();
}

/* ---- restart in place ---------------------------------------------------- */

static int
ready_count(struct hd *dd)
{
	char *log = file_read(dd->errlog, NULL), *p;
	int n = 0;

	for (p = log; p != NULL && (p = strstr(p, " ready: socket ")) != NULL;
	    p++)
		n++;
	free(log);
	return n;
}

/* Let the library threads send about n more records each. */
static void
lib_more(long n)
{
	long goal = atomic_load(&sent[0]) + n;
	long long deadline = hd_now_ms() + 30000;

	while (atomic_load(&sent[0]) < goal && hd_now_ms() < deadline)
		usleep(10000);
	cr_assert_geq(atomic_load(&sent[0]), goal, "the library threads "
	    "stopped sending");
}

/* Missing records of client c, 1..sent. */
static long
missing_of(int c)
{
	long s, n = 0;

	for (s = 1; s <= atomic_load(&sent[c]); s++)
		n += !seen_has(c, s);
	return n;
}

/*
 * Two re-execs while four library threads (ASYNCLOG_BLOCK) and the CLI
 * write without pause and logger(1) sends datagrams: every record is in
 * the file exactly once or counted, with equality; no CLI run fails; each
 * image's final counters balance, and so do the stats after.
 */
Test(soak, a_reexec_under_load_loses_nothing_and_fails_no_client,
    .fini = soak_down, .timeout = 120)
{
	struct cli_job cli = { .n = 200 };
	long long daemon_drops = 0;
	long logger_failed = 0, missing = 0, sent_total = 0;
	uint64_t lib_dropped;
	long long t0;
	bool balanced;
	int c, i;

	lib_rate = 4000;
	hd_prepare(&d, "");
	soak_conf(SOAK_OUT_FILE, false);
	hd_restart(&d);
	lib_start(d.sock);
	pthread_create(&cli.th, NULL, cli_thread, &cli);
	lib_more(4000);
	for (i = 0; i < 3; i++) {
		logger_failed += logger_run(sp("dgram.sock"), 300);
		t0 = hd_now_ms();
		hd_reexec(&d);
		cr_log_info("re-exec %d took %lld ms", i + 1, hd_now_ms() - t0);
		cr_assert_lt(hd_now_ms() - t0, 5000, "clients waited too long");
		daemon_drops += final_drops(&d);
		cr_assert_eq(ready_count(&d), i + 2);
		logger_failed += logger_run(sp("dgram.sock"), 300);
		lib_more(4000);
	}
	atomic_store(&cli.stop, true);
	pthread_join(cli.th, NULL);
	lib_dropped = lib_end();
	(void)live_drops(&d, &balanced);
	cr_assert(balanced, "stats after the re-exec do not balance");
	cr_assert_eq(hd_signal(&d, SIGTERM, 20000), 0);
	daemon_drops += final_drops(&d);

	seen_scan(sp("main.log"));
	for (c = 0; c < SOAK_MAXC; c++) {
		missing += missing_of(c);
		sent_total += atomic_load(&sent[c]);
	}
	cr_log_info("re-exec: %ld records (%ld CLI runs), %ld missing; "
	    "counted: library %ju, CLI %ld, logger %ld, daemon %lld",
	    sent_total, cli.runs, missing, (uintmax_t)lib_dropped, cli.dropped,
	    logger_failed, daemon_drops);
	cr_assert_eq(dups, 0, "%ld records written twice", dups);
	cr_assert_eq(strays, 0, "%ld records nobody sent", strays);
	cr_assert_eq(cli.failures, 0, "%ld CLI runs failed", cli.failures);
	cr_assert_eq(logger_failed, 0);
	/* A frame the drain cut (SHUT_RD) is the library's to count. */
	cr_assert_eq((long long)missing, (long long)lib_dropped + cli.dropped +
	    logger_failed + daemon_drops, "%ld missing but %lld counted",
	    missing, (long long)lib_dropped + cli.dropped + logger_failed +
	    daemon_drops);
}

/*
 * The fd store, with the test as the service manager: the daemon sends
 * each listening socket with FDSTORE=1 and its name; it stops and does not
 * unlink them; a client and logger(1) write while no daemon runs (into the
 * kernel's queues of the kept sockets); the next daemon, given the stored
 * sockets by name as systemd would, serves every record.
 */
/* One message from the daemon: the fd it carries (-1 if none) and its
 * FDNAME in name; -2 when nothing came for 10 s. */
static int
fdstore_take(int nsock, char *name, size_t namelen)
{
	char buf[1024], cbuf[CMSG_SPACE(sizeof(int) * 4)];
	struct iovec iov = { buf, sizeof(buf) - 1 };
	struct msghdr mh;
	struct cmsghdr *cm;
	ssize_t n;
	char *p;
	int fd;

	memset(&mh, 0, sizeof(mh));
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = cbuf;
	mh.msg_controllen = sizeof(cbuf);
	if ((n = recvmsg(nsock, &mh, MSG_CMSG_CLOEXEC)) <= 0)
		return -2;	/* nothing more */
	buf[n] = '\0';
	fd = -1;
	for (cm = CMSG_FIRSTHDR(&mh); cm != NULL; cm = CMSG_NXTHDR(&mh, cm))
		if (cm->cmsg_level == SOL_SOCKET && cm->cmsg_type == SCM_RIGHTS)
			memcpy(&fd, CMSG_DATA(cm), sizeof(int));
	name[0] = '\0';
	if ((p = strstr(buf, "FDNAME=")) != NULL)
		snprintf(name, namelen, "%.*s", (int)strcspn(p + 7, "\n"),
		    p + 7);
	if (fd != -1 && strstr(buf, "FDSTORE=1") == NULL) {
		close(fd);
		fd = -1;
	}
	return fd;
}

Test(soak, sockets_go_to_the_fd_store_and_come_back_by_name,
    .fini = soak_down, .timeout = 60)
{
	struct sockaddr_un sun;
	struct timeval tv = { 10, 0 };
	int nsock, native = -1, dgram = -1, fd, hi_n, hi_d, i;
	char num[32], name[64];
	asynclog_t *h;
	size_t off;
	pid_t pid;

	hd_prepare(&d, "");
	soak_conf(SOAK_OUT_FILE, false);
	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", sp("notify"));
	cr_assert_neq(nsock = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0),
	    -1);
	cr_assert_eq(bind(nsock, (struct sockaddr *)&sun, sizeof(sun)), 0);
	cr_assert_eq(setsockopt(nsock, SOL_SOCKET, SO_RCVTIMEO, &tv,
	    sizeof(tv)), 0);
	setenv("NOTIFY_SOCKET", sun.sun_path, 1);
	hd_restart(&d);
	while (native == -1 || dgram == -1) {
		fd = fdstore_take(nsock, name, sizeof(name));
		cr_assert_neq(fd, -2, "no FDSTORE=1 message within 10 s");
		if (fd >= 0 && strcmp(name, "native") == 0 && native == -1)
			native = fd;
		else if (fd >= 0 && strcmp(name, "syslog-dgram") == 0 &&
		    dgram == -1)
			dgram = fd;
		else if (fd >= 0)
			cr_assert_fail("unexpected socket in the fd store: %s",
			    name);
	}
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	unsetenv("NOTIFY_SOCKET");
	cr_assert(access(d.sock, F_OK) == 0, "a stored socket was unlinked");

	/* No daemon runs: the kept sockets still take clients. */
	cr_assert_not_null(h = asynclog_open(d.sock, "stored",
	    ASYNCLOG_BLOCK));
	for (i = 1; i <= 100; i++)
		asynclog_log(h, LOG_USER | LOG_INFO, "soak c=0 s=%d", i);
	cr_assert_eq(run("logger -u %s -t stored 'soak c=1 s=1'",
	    sp("dgram.sock")), 0);

	off = hd_log_size(&d);
	fflush(NULL);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		/* What the service manager does: the stored fds from 3 on,
		 * in LISTEN_FDNAMES order. */
		hi_n = fcntl(native, F_DUPFD, 100);
		hi_d = fcntl(dgram, F_DUPFD, 100);
		if (hi_n == -1 || hi_d == -1 || dup2(hi_n, 3) == -1 ||
		    dup2(hi_d, 4) == -1)
			_exit(127);
		if ((fd = open(d.errlog, O_WRONLY | O_APPEND)) != -1)
			dup2(fd, 2);
		snprintf(num, sizeof(num), "%ld", (long)getpid());
		setenv("LISTEN_PID", num, 1);
		setenv("LISTEN_FDS", "2", 1);
		setenv("LISTEN_FDNAMES", "native:syslog-dgram", 1);
		execl(hd_bin("asynclogd"), "asynclogd", "-c", d.conf,
		    (char *)NULL);
		_exit(127);
	}
	d.pid = pid;
	cr_assert(hd_log_since(&d, off, " ready: socket ", 10000));
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(asynclog_close_dropped(h), 0);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert(!hd_log_mentions(&d, "ignoring socket"));
	atomic_store(&sent[0], 100);
	atomic_store(&sent[1], 1);
	seen_scan(sp("main.log"));
	cr_assert_eq(missing_of(0), 0, "records sent while no daemon ran "
	    "are missing");
	cr_assert_eq(missing_of(1), 0, "the datagram sent while no daemon "
	    "ran is missing");
	close(native);
	close(dgram);
	close(nsock);
}

/* ---- the fault soak ------------------------------------------------------- */

enum soak_fault {
	FAULT_RELOAD,		/* SIGHUP with a valid config, maybe another output */
	FAULT_RELOAD_BROKEN,	/* SIGHUP with a config that does not parse */
	FAULT_DISK,		/* the tmpfs fills, or empties */
	FAULT_KILL_CLIENT,	/* a writer SIGKILLed, often mid-frame */
	FAULT_SIGTERM,		/* stopped and started again */
	FAULT_SIGKILL,		/* killed and started again */
	FAULT_REEXEC,		/* SIGUSR2 */
	SOAK_NFAULTS
};
static const char *const fault_names[] = { "reload", "broken reload",
    "disk", "kill client", "sigterm", "sigkill", "re-exec" };

struct soak_step {
	enum soak_fault	 fault;
	long		 upto[SOAK_MAXC];	/* sent[] at the step's end */
	long long	 counted;	/* drops counted by anyone in the step */
};

static struct soak_step steps[SOAK_MAXSTEPS];
static _Atomic long *victim_done;	/* shared with the writer processes */

/* A number from a /proc file (0 if unreadable). */
static long long
proc_number(const char *path)
{
	char *text = file_read(path, NULL);
	long long v = text != NULL ? strtoll(text, NULL, 10) : 0;

	free(text);
	return v;
}

static unsigned
soak_env(const char *name, unsigned dflt)
{
	const char *s = getenv(name);

	return s != NULL && *s != '\0' ? (unsigned)strtoul(s, NULL, 0) : dflt;
}

/* Random in [lo, hi]. */
static int
rnd(int lo, int hi)
{
	return lo + (int)(random() % (unsigned)(hi - lo + 1));
}

/* A valid reload ends one way or the other (a new output that cannot be
 * opened is refused, and the running one stays: the records say where). */
static void
soak_reloaded(size_t off)
{
	long long deadline = hd_now_ms() + 15000;

	while (hd_now_ms() < deadline) {
		if (hd_log_since(&d, off, "configuration reloaded", 0))
			return;
		if (hd_log_since(&d, off, "reload failed", 0)) {
			cr_log_warn("a valid reload was refused");
			return;
		}
		usleep(5000);
	}
	cr_assert_fail("the reload did not end within 15 s");
}

/* Nothing moves: received stays put for 300 ms and nothing is buffered. */
static void
soak_settle(void)
{
	long long deadline = hd_now_ms() + 30000, last = -1, rec, since = 0;

	while (hd_now_ms() < deadline) {
		rec = hd_stat(&d, "total.received");
		if (rec != last) {
			last = rec;
			since = hd_now_ms();
		} else if (hd_now_ms() - since >= 300 &&
		    hd_stat(&d, "total.buffered") == 0)
			return;
		usleep(20000);
	}
	cr_assert_fail("the daemon did not settle within 30 s");
}

Test(soak, random_faults_lose_nothing_without_a_count,
    .fini = soak_down, .timeout = 7200)
{
	unsigned seconds = soak_env("ASYNCLOG_SOAK_SECONDS", 75);
	unsigned seed = soak_env("ASYNCLOG_SOAK_SEED", (unsigned)time(NULL));
	enum soak_out out = SOAK_OUT_FILE;
	bool full = false, balanced;
	long long end, base = 0, live_prev = 0, d_prev = 0, live, lib_base = 0;
	long long lib_now;
	long long with_count = 0, without = 0, inflight = 0, missing, records = 0;
	long long inflight_max, lost;
	long victims = 0, nsteps = 0, k, s, lo;
	unsigned faults_seen[SOAK_NFAULTS] = { 0 };
	struct cli_job cli;
	struct soak_step *st;
	pthread_t reader;
	size_t off;
	pid_t vpid;
	int c, rc;

	if (seconds > 7000)
		seconds = 7000;	/* the test's .timeout is 7200 */
	/* Under ASan (make SANITIZE=1 test) it runs as well: a 30 s run
	 * there makes about as many steps as here. */
	cr_log_info("soak: seed %u (ASYNCLOG_SOAK_SEED=%u replays it), %u s",
	    seed, seed, seconds);
	printf("soak: seed %u, %u s\n", seed, seconds);
	srandom(seed);
	lib_rate = 1000;
	victim_done = mmap(NULL, sizeof(long) * SOAK_MAXC, PROT_READ |
	    PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	cr_assert_neq(victim_done, MAP_FAILED);

	soak_mount();
	hd_prepare(&d, "");
	cr_assert_eq(mkfifo(sp("slow.fifo"), 0600), 0);
	atomic_store(&fifo_stop, false);
	pthread_create(&reader, NULL, fifo_reader, NULL);
	soak_conf(out, false);
	hd_restart(&d);
	lib_start(d.sock);
	end = hd_now_ms() + (long long)seconds * 1000;

	while (hd_now_ms() < end && nsteps < SOAK_MAXSTEPS) {
		st = &steps[nsteps];
		memset(st, 0, sizeof(*st));
		do
			st->fault = (enum soak_fault)rnd(0, SOAK_NFAULTS - 1);
		while (st->fault == FAULT_DISK && mnt[0] == '\0');
		faults_seen[st->fault]++;

		/* Load runs through the fault: library threads and the CLI. */
		memset(&cli, 0, sizeof(cli));
		cli.n = 100;
		atomic_store(&lib_pause, false);
		pthread_create(&cli.th, NULL, cli_thread, &cli);
		usleep((useconds_t)rnd(100, 400) * 1000);

		off = hd_log_size(&d);
		switch (st->fault) {
		case FAULT_RELOAD:
			out = (enum soak_out)rnd(0, mnt[0] ? SOAK_NOUTS - 1 :
			    SOAK_NOUTS - 2);
			soak_conf(out, false);
			kill(d.pid, SIGHUP);
			soak_reloaded(off);
			break;
		case FAULT_RELOAD_BROKEN:
			soak_conf(out, true);
			kill(d.pid, SIGHUP);
			cr_assert(hd_log_since(&d, off, "reload failed", 15000),
			    "a broken config was not refused");
			soak_conf(out, false);
			break;
		case FAULT_DISK:
			if (!full)
				(void)run("dd if=/dev/zero of=%s/filler bs=64k "
				    "2>/dev/null", mnt);
			else
				cr_assert_eq(run("rm -f %s/filler", mnt), 0);
			full = !full;
			break;
		case FAULT_KILL_CLIENT:
			c = SOAK_VICTIM0 + (int)victims++;
			cr_assert_lt(c, SOAK_MAXC, "too many victims");
			atomic_store(&victim_done[c], 0);
			vpid = victim_start(c, &victim_done[c]);
			usleep((useconds_t)rnd(20, 300) * 1000);
			kill(vpid, SIGKILL);
			waitpid(vpid, NULL, 0);
			atomic_store(&sent[c], atomic_load(&victim_done[c]));
			break;
		case FAULT_SIGTERM:
			rc = hd_signal(&d, SIGTERM, 30000);
			cr_assert_eq(rc, 0, "SIGTERM: exit %d", rc);
			base += final_drops(&d);
			hd_restart(&d);
			break;
		case FAULT_SIGKILL:
			/* What it dropped since the last step is lost with
			 * it; the loss of the step is reported apart. */
			base += live_prev;
			hd_signal(&d, SIGKILL, 10000);
			hd_restart(&d);
			break;
		case FAULT_REEXEC:
			hd_reexec(&d);
			base += final_drops(&d);
			break;
		default:
			break;
		}

		cr_log_info("step %ld: %s; output %s%s", nsteps,
		    fault_names[st->fault], soak_out_names[out],
		    full ? ", tmpfs full" : "");

		/* Datagram clients only once the daemon is up: what the
		 * kernel queues for a dead socket is nobody's to count. */
		st->counted += logger_run(sp("dgram.sock"), 50);
		st->counted += python_run(sp("dgram.sock"), 50);
		usleep((useconds_t)rnd(100, 400) * 1000);

		/* Checkpoint: everything sent so far is written or counted. */
		atomic_store(&cli.stop, true);
		pthread_join(cli.th, NULL);
		st->counted += cli.dropped;
		lib_hold();
		soak_settle();
		live = live_drops(&d, &balanced);
		cr_assert(balanced, "step %ld (%s): counters do not balance",
		    nsteps, fault_names[st->fault]);
		lib_now = (long long)asynclog_dropped(lib);
		/* The daemon's drops over all its lives (base: those that
		 * ended), less what earlier steps took. */
		st->counted += base + live - d_prev + (lib_now - lib_base);
		d_prev = base + live;
		live_prev = live;
		lib_base = lib_now;
		for (c = 0; c < SOAK_MAXC; c++)
			st->upto[c] = atomic_load(&sent[c]);
		nsteps++;
	}

	/* The end: the library's last word, the daemon's, the FIFO's. */
	lib_now = (long long)lib_end();
	steps[nsteps - 1].counted += lib_now - lib_base;
	rc = hd_signal(&d, SIGTERM, 30000);
	cr_assert_eq(rc, 0, "final SIGTERM: exit %d", rc);
	steps[nsteps - 1].counted += base + final_drops(&d) - d_prev;
	atomic_store(&fifo_stop, true);
	pthread_join(reader, NULL);

	seen_scan(sp("main.log"));
	seen_scan(sp("slow.out"));
	if (mnt[0] != '\0') {
		char p[300];

		snprintf(p, sizeof(p), "%s/out.log", mnt);
		seen_scan(p);
	}

	/*
	 * What a SIGKILL can take: the daemon's chunks (buffer.max_memory)
	 * and, for each of the two connections then open (the library's, the
	 * CLI's), what the kernel's socket buffers hold, at the size of the
	 * smallest record frame.
	 */
	inflight_max = (256 * 1024 + 2 * (proc_number("/proc/sys/net/core/"
	    "wmem_default") + proc_number("/proc/sys/net/core/rmem_default"))) /
	    SOAK_MIN_FRAME;

	/* Which step each missing record was sent in. */
	for (k = 0; k < nsteps; k++) {
		missing = 0;
		for (c = 0; c < SOAK_MAXC; c++) {
			lo = k > 0 ? steps[k - 1].upto[c] : 0;
			for (s = lo + 1; s <= steps[k].upto[c]; s++)
				missing += !seen_has(c, s);
			records += steps[k].upto[c] - lo;
		}
		if (steps[k].fault == FAULT_SIGKILL) {
			/* What the step counted may be among the missing;
			 * the rest went down with the daemon or its sockets. */
			lost = missing > steps[k].counted ?
			    missing - steps[k].counted : 0;
			cr_assert_leq(lost, inflight_max, "step %ld: a SIGKILL "
			    "lost %lld records, more than could be in flight "
			    "(%lld)", k, lost, inflight_max);
			inflight += lost;
			with_count += missing - lost;
		}
		else if (missing > steps[k].counted) {
			without += missing - steps[k].counted;
			with_count += steps[k].counted;
			cr_log_error("step %ld (%s): %lld missing, %lld counted",
			    k, fault_names[steps[k].fault], missing,
			    steps[k].counted);
		} else
			with_count += missing;
	}
	printf("soak: seed %u steps=%ld records=%lld lost_with_count=%lld "
	    "lost_without_count=%lld sigkill_inflight_upper_bound=%lld "
	    "(at most %lld per kill) duplicates=%ld (faults: reload %u, broken %u, disk %u, client "
	    "%u, sigterm %u, sigkill %u, re-exec %u)\n", seed, nsteps,
	    records, with_count, without, inflight, inflight_max, dups,
	    faults_seen[FAULT_RELOAD], faults_seen[FAULT_RELOAD_BROKEN],
	    faults_seen[FAULT_DISK], faults_seen[FAULT_KILL_CLIENT],
	    faults_seen[FAULT_SIGTERM], faults_seen[FAULT_SIGKILL],
	    faults_seen[FAULT_REEXEC]);
	fflush(stdout);
	cr_assert_eq(strays, 0, "%ld records nobody sent", strays);
	cr_assert_eq(without, 0, "seed %u: %lld records lost without a count",
	    seed, without);
	munmap(victim_done, sizeof(long) * SOAK_MAXC);
}
