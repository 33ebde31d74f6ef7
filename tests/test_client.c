/* SPDX-License-Identifier: ISC */
/*
 * test_client.c: libasynclog against a fake daemon.
 *
 * The fake is a thread in the test process serving a Unix socket in a temp
 * dir: it decodes frames with wire_decode(), keeps every RECORD, adds up
 * DROPPED counts and answers SYNC with SYNC_ACK (unless told not to), so the
 * library's promises (exactly once, per-thread order, counted drops,
 * reconnect, flush, close, fork, truncation, no SIGPIPE) are checked without
 * the real asynclogd; it can also stop reading for a while (paused). Tests wait for conditions with a deadline, never a fixed
 * sleep.
 */

#include <stdarg.h>
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "asynclog.h"
#include "wire.h"

#define FAKE_CONNS	16
#define FAKE_BUF	(256 * 1024)
#define FAKE_MAX_FRAME	(WIRE_DEFAULT_MAX_RECORD + 468)

struct fake_record {
	char	*msg;		/* NUL added after msg_len bytes */
	size_t	 len;
	int	 priority;
	char	 tag[WIRE_MAX_TAG + 1];
};

struct fake_conn {
	int		 fd;
	unsigned char	*buf;
	size_t		 len;
	size_t		 total;	/* bytes read on this connection */
	bool		 hello;
};

static struct fake {
	char			 dir[64];
	struct sockaddr_un	 addr;
	int			 lfd;
	pthread_t		 thread;
	bool			 running;
	atomic_bool		 stop;
	atomic_bool		 mute;		/* never answer SYNC */
	atomic_size_t		 close_after;	/* hang up once a connection read this many bytes */
	atomic_bool		 paused;	/* read nothing, as a daemon that hangs */

	pthread_mutex_t		 lock;
	struct fake_record	*recs;
	size_t			 nrecs;
	size_t			 cap;
	uint64_t		 dropped;	/* sum of DROPPED counts */
	size_t			 nconn;		/* connections accepted */
	size_t			 nclosed;	/* connections read to the end */
	size_t			 nbad;		/* protocol errors seen */
	size_t			 nfirst_not_hello;
	char			 hello_name[WIRE_MAX_NAME + 1];
} fk = { .lfd = -1, .lock = PTHREAD_MUTEX_INITIALIZER };

static void
fake_frame(struct fake_conn *c, const struct wire_frame *f)
{
	struct fake_record	*r;
	unsigned char		 ack[16];
	size_t			 n;

	pthread_mutex_lock(&fk.lock);
	if (!c->hello && f->type != WIRE_HELLO)
		fk.nfirst_not_hello++;
	switch (f->type) {
	case WIRE_HELLO:
		c->hello = true;
		memcpy(fk.hello_name, f->u.hello.name, f->u.hello.name_len);
		fk.hello_name[f->u.hello.name_len] = '\0';
		break;
	case WIRE_RECORD:
		if (fk.nrecs == fk.cap) {
			fk.cap = fk.cap ? fk.cap * 2 : 1024;
			fk.recs = realloc(fk.recs, fk.cap * sizeof *fk.recs);
		}
		r = &fk.recs[fk.nrecs++];
		r->len = f->u.record.msg_len;
		r->msg = malloc(r->len + 1);
		memcpy(r->msg, f->u.record.msg, r->len);
		r->msg[r->len] = '\0';
		r->priority = f->u.record.priority;
		memcpy(r->tag, f->u.record.tag, f->u.record.tag_len);
		r->tag[f->u.record.tag_len] = '\0';
		break;
	case WIRE_DROPPED:
		fk.dropped += f->u.dropped.count;
		break;
	case WIRE_SYNC:
		if (atomic_load(&fk.mute))
			break;
		n = wire_encode_sync(ack, sizeof ack, WIRE_SYNC_ACK,
		    f->u.sync_seq);
		if (send(c->fd, ack, n, MSG_NOSIGNAL) != (ssize_t)n)
			fk.nbad++;
		break;
	default:
		fk.nbad++;
		break;
	}
	pthread_mutex_unlock(&fk.lock);
}

static void
fake_hangup(struct fake_conn *c)
{
	close(c->fd);
	free(c->buf);
	c->fd = -1;
	c->buf = NULL;
	pthread_mutex_lock(&fk.lock);
	fk.nclosed++;
	pthread_mutex_unlock(&fk.lock);
}

/* Read what is there; false when the connection is over. */
static bool
fake_read(struct fake_conn *c)
{
	struct wire_frame	 f;
	const char		*err;
	ssize_t			 n, used;
	size_t			 limit, off = 0;

	n = read(c->fd, c->buf + c->len, FAKE_BUF - c->len);
	if (n <= 0)
		return n == -1 && errno == EINTR;
	c->len += (size_t)n;
	c->total += (size_t)n;
	while ((used = wire_decode(c->buf + off, c->len - off, FAKE_MAX_FRAME,
	    &f, &err)) > 0) {
		fake_frame(c, &f);
		off += (size_t)used;
	}
	/* One move per read, not per frame: the sanitizer builds feel it. */
	memmove(c->buf, c->buf + off, c->len - off);
	c->len -= off;
	if (used == -1) {
		pthread_mutex_lock(&fk.lock);
		fk.nbad++;
		pthread_mutex_unlock(&fk.lock);
		return false;
	}
	limit = atomic_load(&fk.close_after);
	if (limit != 0 && c->total >= limit) {
		atomic_store(&fk.close_after, 0);
		return false;
	}
	return true;
}

static void *
fake_main(void *arg)
{
	struct fake_conn	 conns[FAKE_CONNS];
	struct pollfd		 pfd[FAKE_CONNS + 1];
	int			 i, fd;

	(void)arg;
	for (i = 0; i < FAKE_CONNS; i++)
		conns[i].fd = -1;
	while (!atomic_load(&fk.stop)) {
		pfd[0].fd = fk.lfd;
		pfd[0].events = POLLIN;
		for (i = 0; i < FAKE_CONNS; i++) {
			/* poll() ignores a negative fd: paused reads nothing. */
			pfd[i + 1].fd = atomic_load(&fk.paused) ? -1 :
			    conns[i].fd;
			pfd[i + 1].events = POLLIN;
		}
		if (poll(pfd, FAKE_CONNS + 1, 20) <= 0)
			continue;
		if ((pfd[0].revents & POLLIN) &&
		    (fd = accept(fk.lfd, NULL, NULL)) != -1) {
			for (i = 0; i < FAKE_CONNS && conns[i].fd != -1; i++)
				;
			if (i == FAKE_CONNS)
				close(fd);
			else {
				conns[i].fd = fd;
				conns[i].buf = malloc(FAKE_BUF);
				conns[i].len = conns[i].total = 0;
				conns[i].hello = false;
				pthread_mutex_lock(&fk.lock);
				fk.nconn++;
				pthread_mutex_unlock(&fk.lock);
			}
		}
		for (i = 0; i < FAKE_CONNS; i++) {
			if (conns[i].fd != -1 && pfd[i + 1].fd == conns[i].fd &&
			    (pfd[i + 1].revents & (POLLIN | POLLHUP | POLLERR)) &&
			    !fake_read(&conns[i]))
				fake_hangup(&conns[i]);
		}
	}
	for (i = 0; i < FAKE_CONNS; i++) {
		if (conns[i].fd != -1)
			fake_hangup(&conns[i]);
	}
	return NULL;
}

/* The socket path, made once per test; the fake may come and go on it. */
static const char *
fake_path(void)
{
	if (fk.dir[0] == '\0') {
		strcpy(fk.dir, "/tmp/asynclog-test.XXXXXX");
		cr_assert_not_null(mkdtemp(fk.dir));
		fk.addr.sun_family = AF_UNIX;
		snprintf(fk.addr.sun_path, sizeof fk.addr.sun_path, "%s/sock",
		    fk.dir);
	}
	return fk.addr.sun_path;
}

static void
fake_start(void)
{
	fake_path();
	fk.lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	cr_assert_neq(fk.lfd, -1);
	cr_assert_eq(bind(fk.lfd, (struct sockaddr *)&fk.addr, sizeof fk.addr),
	    0, "bind: %s", strerror(errno));
	cr_assert_eq(listen(fk.lfd, 16), 0);
	atomic_store(&fk.stop, false);
	cr_assert_eq(pthread_create(&fk.thread, NULL, fake_main, NULL), 0);
	fk.running = true;
}

static void
fake_stop(void)
{
	if (!fk.running)
		return;
	atomic_store(&fk.stop, true);
	pthread_join(fk.thread, NULL);
	close(fk.lfd);
	unlink(fk.addr.sun_path);
	fk.lfd = -1;
	fk.running = false;
}

static void
fake_fini(void)
{
	size_t	i;

	fake_stop();
	if (fk.dir[0] != '\0')
		rmdir(fk.dir);
	for (i = 0; i < fk.nrecs; i++)
		free(fk.recs[i].msg);
	free(fk.recs);
}

static size_t
fake_nrecs(void)
{
	size_t	n;

	pthread_mutex_lock(&fk.lock);
	n = fk.nrecs;
	pthread_mutex_unlock(&fk.lock);
	return n;
}

/* Every connection accepted so far has been read to its end. */
static bool
fake_all_closed(void)
{
	bool	done;

	pthread_mutex_lock(&fk.lock);
	done = fk.nclosed == fk.nconn;
	pthread_mutex_unlock(&fk.lock);
	return done;
}

static bool
fake_has(const char *msg)
{
	size_t	i;
	bool	found = false;

	pthread_mutex_lock(&fk.lock);
	for (i = 0; i < fk.nrecs && !found; i++)
		found = strcmp(fk.recs[i].msg, msg) == 0;
	pthread_mutex_unlock(&fk.lock);
	return found;
}

static int64_t
now_ms(void)
{
	struct timespec	ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Poll a condition until it holds or ms pass. */
#define WAIT_FOR(cond, ms) __extension__ ({				\
	int64_t	_end = now_ms() + (ms);					\
	bool	_ok;							\
	while (!(_ok = (cond)) && now_ms() < _end)			\
		usleep(2000);						\
	_ok;								\
})

static void
client_init(void)
{
	fake_path();
}

TestSuite(client, .init = client_init, .fini = fake_fini, .timeout = 60);

struct producer {
	asynclog_t	*h;
	int		 id;
	int		 n;
};

static void *
producer_main(void *arg)
{
	struct producer	*p = arg;
	int		 i;

	for (i = 0; i < p->n; i++)
		cr_assert_eq(asynclog_log(p->h, LOG_INFO, "t%d %d", p->id, i), 0);
	return NULL;
}

/* Every thread's records arrive once each, in the order it logged them. */
static void
check_per_thread_order(int nthreads, int per_thread)
{
	int	*next = calloc((size_t)nthreads, sizeof *next);
	size_t	 i;
	int	 t, seq;

	pthread_mutex_lock(&fk.lock);
	cr_assert_eq(fk.nrecs, (size_t)nthreads * per_thread);
	for (i = 0; i < fk.nrecs; i++) {
		cr_assert_eq(sscanf(fk.recs[i].msg, "t%d %d", &t, &seq), 2);
		cr_assert(t >= 0 && t < nthreads);
		cr_assert_eq(seq, next[t], "thread %d: got %d, want %d", t,
		    seq, next[t]);
		next[t]++;
	}
	pthread_mutex_unlock(&fk.lock);
	free(next);
}

static void
run_producers(asynclog_t *h, int nthreads, int per_thread)
{
	struct producer	*p = calloc((size_t)nthreads, sizeof *p);
	pthread_t	*th = calloc((size_t)nthreads, sizeof *th);
	int		 i;

	for (i = 0; i < nthreads; i++) {
		p[i].h = h;
		p[i].id = i;
		p[i].n = per_thread;
		cr_assert_eq(pthread_create(&th[i], NULL, producer_main, &p[i]),
		    0);
	}
	for (i = 0; i < nthreads; i++)
		pthread_join(th[i], NULL);
	free(p);
	free(th);
}

Test(client, records_from_four_threads_arrive_exactly_once_and_in_order)
{
	asynclog_t	*h;

	fake_start();
	h = asynclog_open(fake_path(), "four", ASYNCLOG_BLOCK);
	cr_assert_not_null(h);
	run_producers(h, 4, 10000);
	cr_assert_eq(asynclog_flush(h, 10000), 0, "flush: %s", strerror(errno));
	cr_assert_eq(asynclog_dropped(h), 0);
	check_per_thread_order(4, 10000);
	cr_assert_eq(fk.nbad, 0);
	cr_assert_eq(fk.nfirst_not_hello, 0);
	cr_assert_str_eq(fk.hello_name, "four");
	asynclog_close(h);
}

Test(client, more_threads_than_rings_share_the_overflow_ring_and_lose_nothing)
{
	asynclog_t	*h;

	fake_start();
	h = asynclog_open(fake_path(), "many", ASYNCLOG_BLOCK);
	cr_assert_not_null(h);
	run_producers(h, 100, 500);
	cr_assert_eq(asynclog_flush(h, 10000), 0, "flush: %s", strerror(errno));
	check_per_thread_order(100, 500);
	asynclog_close(h);
}

Test(client, exited_threads_leave_their_ring_to_new_threads)
{
	asynclog_t	*h;
	int		 round;

	fake_start();
	h = asynclog_open(fake_path(), "churn", ASYNCLOG_BLOCK);
	cr_assert_not_null(h);
	/* 40 rounds x 8 threads: far more threads than rings, none in overflow. */
	for (round = 0; round < 40; round++)
		run_producers(h, 8, 50);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	cr_assert_eq(fake_nrecs(), 40 * 8 * 50);
	asynclog_close(h);
}

/* Log n records with no daemon listening; return how many were refused. */
static uint64_t
log_without_daemon(asynclog_t *h, int n)
{
	uint64_t	refused = 0;
	int		i;

	for (i = 0; i < n; i++) {
		if (asynclog_log(h, LOG_INFO, "record %06d %0100d", i, 0) == -1)
			refused++;
	}
	return refused;
}

Test(client, a_full_buffer_drops_and_counts_what_did_not_fit)
{
	asynclog_t	*h;
	uint64_t	 refused;

	h = asynclog_open(fake_path(), "full", 0);
	cr_assert_not_null(h);
	refused = log_without_daemon(h, 20000);
	cr_assert_gt(refused, 0);
	cr_assert_lt(refused, 20000);
	cr_assert_eq(asynclog_dropped(h), refused);

	fake_start();
	cr_assert_eq(asynclog_flush(h, 5000), 0, "flush: %s", strerror(errno));
	cr_assert_eq(fake_nrecs(), 20000 - refused);
	cr_assert_eq(asynclog_dropped(h), 20000 - fake_nrecs());
	asynclog_close(h);
}

Test(client, the_dropped_frame_reports_the_count_once_the_daemon_appears)
{
	asynclog_t	*h;
	uint64_t	 refused;

	h = asynclog_open(fake_path(), "full", 0);
	cr_assert_not_null(h);
	refused = log_without_daemon(h, 20000);
	cr_assert_gt(refused, 0);

	fake_start();
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	pthread_mutex_lock(&fk.lock);
	cr_assert_eq(fk.dropped, refused);
	pthread_mutex_unlock(&fk.lock);

	/* Reported once: a second flush adds nothing. */
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	pthread_mutex_lock(&fk.lock);
	cr_assert_eq(fk.dropped, refused);
	pthread_mutex_unlock(&fk.lock);
	asynclog_close(h);
}

Test(client, reconnects_after_the_daemon_closes_the_connection_and_restarts)
{
	asynclog_t	*h;
	int		 i;

	fake_start();
	h = asynclog_open(fake_path(), "re", 0);
	cr_assert_not_null(h);
	for (i = 0; i < 100; i++)
		cr_assert_eq(asynclog_log(h, LOG_INFO, "before %d", i), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);

	fake_stop();
	for (i = 0; i < 100; i++)
		cr_assert_eq(asynclog_log(h, LOG_INFO, "while down %d", i), 0);
	fake_start();
	cr_assert_eq(asynclog_flush(h, 5000), 0, "flush: %s", strerror(errno));
	cr_assert_eq(fake_nrecs(), 200);
	cr_assert(fake_has("while down 99"));
	cr_assert_eq(fk.nconn, 2);
	cr_assert_eq(fk.nfirst_not_hello, 0);
	cr_assert_eq(asynclog_dropped(h), 0);
	asynclog_close(h);
}

Test(client, flush_returns_0_once_the_daemon_acks_the_sync)
{
	asynclog_t	*h;

	fake_start();
	h = asynclog_open(fake_path(), NULL, 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "one"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	/* Accepted means already there when flush returns. */
	cr_assert(fake_has("one"));
	cr_assert_eq(asynclog_flush(h, -1), 0);
	asynclog_close(h);
}

Test(client, flush_times_out_when_the_daemon_never_answers)
{
	asynclog_t	*h;

	atomic_store(&fk.mute, true);
	fake_start();
	h = asynclog_open(fake_path(), NULL, 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "one"), 0);
	cr_assert(WAIT_FOR(fake_has("one"), 5000));
	cr_assert_eq(asynclog_flush(h, 200), -1);
	cr_assert_eq(errno, ETIMEDOUT);
	asynclog_close(h);
}

Test(client, flush_fails_with_enotconn_when_there_is_no_daemon)
{
	asynclog_t	*h;

	h = asynclog_open(fake_path(), NULL, 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "one"), 0);
	cr_assert_eq(asynclog_flush(h, 100), -1);
	cr_assert_eq(errno, ENOTCONN);
	asynclog_close(h);
}

/*
 * The fork tests run in the plain build only. The ASan runtime of this
 * toolchain has no fork handlers for its allocator: a child forked while
 * another thread is inside malloc can hang in its first malloc (about 1 run
 * in 20 here). The TSan runtime (gcc 12) checks nothing in a child of a
 * threaded process, and keeps the parent's threads registered there, so the
 * child's new sender thread can get the id of one of them and the runtime
 * dies ("dup thread with used id").
 */
#define SKIP_FORK_UNDER_SANITIZERS() do {				\
	const char *_san = getenv("ASYNCLOG_SANITIZE");			\
									\
	if (_san != NULL && *_san != '\0')				\
		cr_skip_test("fork from a threaded process is not "	\
		    "supported by the %s runtime; covered by the plain "	\
		    "build", strcmp(_san, "thread") == 0 ? "TSan" :	\
		    "ASan");						\
} while (0)

/* waitpid() with a deadline: a child that hangs is killed and fails. */
static int
wait_child(pid_t pid, int ms)
{
	int64_t	end = now_ms() + ms;
	int	status;
	pid_t	r;

	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ms() < end)
		usleep(2000);
	if (r == pid)
		return WIFEXITED(status) ? WEXITSTATUS(status) : 128;
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	return -1;
}

Test(client, a_forked_child_logs_through_the_inherited_handle)
{
	asynclog_t	*h;
	pid_t		 pid;
	int		 status;

	SKIP_FORK_UNDER_SANITIZERS();
	fake_start();
	h = asynclog_open(fake_path(), "fork", 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "parent before"), 0);
	/* Unsent bytes at fork time must not be sent twice (once by the child). */
	cr_assert_eq(asynclog_log(h, LOG_INFO, "parent pending"), 0);

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0) {
		if (asynclog_log(h, LOG_INFO, "from child") != 0 ||
		    asynclog_flush(h, 5000) != 0)
			_exit(1);
		asynclog_close(h);
		_exit(0);
	}
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0);

	cr_assert_eq(asynclog_log(h, LOG_INFO, "parent after"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert(fake_has("from child"));
	cr_assert(fake_has("parent after"));
	cr_assert_eq(fake_nrecs(), 4);
	cr_assert_geq(fk.nconn, 2);
	asynclog_close(h);
}

/* Check msg is `len` bytes of 'x' cut to 64 KiB with the documented marker. */
static void
check_truncated(const struct fake_record *r, size_t len)
{
	const char	*m;
	size_t		 n, mlen, i;

	cr_assert_eq(r->len, WIRE_DEFAULT_MAX_RECORD);
	m = strstr(r->msg, "...[truncated ");
	cr_assert_not_null(m);
	cr_assert_eq(sscanf(m, "...[truncated %zu bytes]", &n), 1);
	mlen = strlen(m);
	cr_assert_eq(m + mlen, r->msg + r->len, "marker must end the message");
	cr_assert_eq(m[mlen - 1], ']');
	cr_assert_eq(n, len - (r->len - mlen), "N is the bytes left out");
	for (i = 0; i < r->len - mlen; i++)
		cr_assert_eq(r->msg[i], 'x');
}

Test(client, a_100_kib_message_is_cut_to_64_kib_ending_with_a_marker)
{
	asynclog_t	*h;
	size_t		 big = 100 * 1024;
	char		*msg = malloc(big + 1);

	memset(msg, 'x', big);
	msg[big] = '\0';
	fake_start();
	h = asynclog_open(fake_path(), NULL, 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "%s", msg), 0);
	cr_assert_eq(asynclog_write(h, LOG_INFO, msg, big), 0);
	/* Exactly the limit is not cut. */
	cr_assert_eq(asynclog_write(h, LOG_INFO, msg,
	    WIRE_DEFAULT_MAX_RECORD), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert_eq(fake_nrecs(), 3);
	check_truncated(&fk.recs[0], big);
	check_truncated(&fk.recs[1], big);
	cr_assert_eq(fk.recs[2].len, WIRE_DEFAULT_MAX_RECORD);
	cr_assert_null(strstr(fk.recs[2].msg, "truncated"));
	cr_assert_eq(asynclog_dropped(h), 0);
	asynclog_close(h);
	free(msg);
}

Test(client, sigpipe_does_not_kill_the_process_when_the_daemon_dies_mid_write)
{
	asynclog_t	*h;
	int		 i;

	signal(SIGPIPE, SIG_DFL);
	atomic_store(&fk.close_after, 64 * 1024);
	fake_start();
	h = asynclog_open(fake_path(), "pipe", ASYNCLOG_BLOCK);
	cr_assert_not_null(h);
	/* Big records: the hang-up almost surely cuts one mid-frame. */
	for (i = 0; i < 1000; i++)
		asynclog_log(h, LOG_INFO, "record %d %016000d", i, 0);
	cr_assert_eq(asynclog_flush(h, 10000), 0, "flush: %s", strerror(errno));
	/*
	 * Still alive, and back on a new connection that starts with HELLO and
	 * holds only whole frames: the rest of a cut frame is never sent.
	 */
	cr_assert_geq(fk.nconn, 2);
	cr_assert_eq(fk.nbad, 0);
	cr_assert_eq(fk.nfirst_not_hello, 0);
	asynclog_close(h);
}

Test(client, a_priority_without_facility_is_sent_as_user)
{
	asynclog_t	*h;

	fake_start();
	h = asynclog_open(fake_path(), "prio", 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_ERR, "err"), 0);
	cr_assert_eq(asynclog_log(h, LOG_LOCAL0 | LOG_INFO, "local0"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert_eq(fake_nrecs(), 2);
	cr_assert_eq(fk.recs[0].priority, LOG_USER | LOG_ERR);
	cr_assert_eq(fk.recs[1].priority, LOG_LOCAL0 | LOG_INFO);
	cr_assert_str_eq(fk.recs[0].tag, "prio");
	asynclog_close(h);
}

Test(client, the_handle_facility_applies_to_priorities_without_one)
{
	asynclog_t	*h;

	fake_start();
	h = asynclog_open(fake_path(), "fac", 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_set_facility(h, LOG_LOCAL3), LOG_USER);
	cr_assert_eq(asynclog_set_facility(h, 7), -1, "not a facility");
	cr_assert_eq(asynclog_log(h, LOG_WARNING, "default"), 0);
	cr_assert_eq(asynclog_log(h, LOG_MAIL | LOG_INFO, "own"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert_eq(fake_nrecs(), 2);
	cr_assert_eq(fk.recs[0].priority, LOG_LOCAL3 | LOG_WARNING);
	cr_assert_eq(fk.recs[1].priority, LOG_MAIL | LOG_INFO);
	asynclog_close(h);
}

Test(client, masked_severities_are_neither_sent_nor_counted)
{
	asynclog_t	*h;

	fake_start();
	h = asynclog_open(fake_path(), "mask", 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_set_logmask(h, LOG_UPTO(LOG_INFO)),
	    LOG_UPTO(LOG_DEBUG));
	cr_assert_eq(asynclog_set_logmask(h, 0), LOG_UPTO(LOG_INFO));
	cr_assert_eq(asynclog_log(h, LOG_DEBUG, "hidden %d", 1), 0);
	cr_assert_eq(asynclog_write(h, LOG_DEBUG, "hidden", 6), 0);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "shown"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert_eq(fake_nrecs(), 1);
	cr_assert(fake_has("shown"));
	cr_assert_eq(asynclog_close_dropped(h), 0);
}

/* A wrapper of the kind applications write around a logging call. */
static int __attribute__((format(printf, 3, 4)))
app_log(asynclog_t *h, int priority, const char *fmt, ...)
{
	va_list	ap;
	int	rv;

	va_start(ap, fmt);
	rv = asynclog_vlog(h, priority, fmt, ap);
	va_end(ap);
	return rv;
}

Test(client, vlog_serves_wrappers_short_and_long)
{
	static char	 big[4000];
	asynclog_t	*h;

	memset(big, 'b', sizeof(big) - 1);
	fake_start();
	h = asynclog_open(fake_path(), "vlog", 0);
	cr_assert_not_null(h);
	cr_assert_eq(app_log(h, LOG_INFO, "request %d took %d ms", 7, 42), 0);
	cr_assert_eq(app_log(h, LOG_INFO, "big %s end", big), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert(fake_has("request 7 took 42 ms"));
	cr_assert_eq(fake_nrecs(), 2);
	cr_assert_eq(fk.recs[1].len, strlen("big  end") + sizeof(big) - 1);
	asynclog_close(h);
}

Test(client, a_null_tag_is_the_program_name)
{
	asynclog_t	*h;

	fake_start();
	h = asynclog_open(fake_path(), NULL, 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "hi"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert_eq(fake_nrecs(), 1);
	cr_assert_str_eq(fk.recs[0].tag, program_invocation_short_name);
	asynclog_close(h);
}

/* The highest descriptor open in this process (below 1024). */
static int
highest_fd(void)
{
	int	fd;

	for (fd = 1023; fd > 2; fd--) {
		if (fcntl(fd, F_GETFD) != -1)
			break;
	}
	return fd;
}

#define CHILD_FILE_TEXT	"the child's own line\n"

/*
 * A child that daemonizes the usual way: closes every descriptor above
 * stderr, then opens its own files, which get the same numbers again (the
 * library's socket and eventfd among them). Its files must stay its own while
 * it logs. Returns the child's exit status: 0, or which step failed.
 */
static int
daemonized_child(asynclog_t *h, int top)
{
	char	 path[128], buf[2 * sizeof CHILD_FILE_TEXT];
	size_t	 len = sizeof CHILD_FILE_TEXT - 1;
	int	 fds[1024], n = 0, fd, i;

	for (fd = 3; fd <= top; fd++)
		close(fd);
	do {
		snprintf(path, sizeof path, "%s/file%d", fk.dir, n);
		fd = open(path, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
		if (fd == -1)
			return 10;
		fds[n++] = fd;
	} while (fd < top);
	for (i = 0; i < n; i++) {
		if (write(fds[i], CHILD_FILE_TEXT, len) != (ssize_t)len)
			return 11;
	}
	if (asynclog_log(h, LOG_INFO, "daemonized child") != 0)
		return 12;
	if (asynclog_flush(h, 5000) != 0)
		return 13;
	for (i = 0; i < n; i++) {
		if (write(fds[i], CHILD_FILE_TEXT, len) != (ssize_t)len)
			return 14;
		if (pread(fds[i], buf, sizeof buf, 0) != (ssize_t)(2 * len) ||
		    memcmp(buf, CHILD_FILE_TEXT CHILD_FILE_TEXT, 2 * len) != 0)
			return 15;
	}
	if (asynclog_close_dropped(h) != 0)
		return 16;
	for (i = 0; i < n; i++) {
		if (close(fds[i]) != 0)
			return 17;	/* the library closed it behind our back */
	}
	return 0;
}

Test(client, a_daemonized_child_keeps_its_own_files_and_its_records_arrive)
{
	asynclog_t	*h;
	char		 path[128];
	pid_t		 pid;
	int		 top, i, status;

	SKIP_FORK_UNDER_SANITIZERS();
	fake_start();
	h = asynclog_open(fake_path(), "daemon", 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "parent"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);	/* connected: a socket and an eventfd */
	top = highest_fd();

	pid = fork();
	cr_assert_neq(pid, -1);
	if (pid == 0)
		_exit(daemonized_child(h, top));
	status = wait_child(pid, 20000);
	for (i = 0; i <= top; i++) {
		snprintf(path, sizeof path, "%s/file%d", fk.dir, i);
		unlink(path);
	}
	cr_assert_eq(status, 0, "the daemonized child failed at step %d", status);
	cr_assert(fake_has("daemonized child"));

	/* The parent's connection is untouched. */
	cr_assert_eq(asynclog_log(h, LOG_INFO, "parent after"), 0);
	cr_assert_eq(asynclog_flush(h, 5000), 0);
	cr_assert_eq(fake_nrecs(), 3);
	cr_assert_eq(asynclog_close_dropped(h), 0);
}

struct busy {
	asynclog_t	*h;
	int		 id;
	atomic_bool	*stop;
};

/* Log in bursts until told to stop, so a fork often finds us mid-call. */
static void *
busy_main(void *arg)
{
	struct busy	*b = arg;
	int		 i = 0, k;

	while (!atomic_load(b->stop)) {
		for (k = 0; k < 50; k++)
			asynclog_log(b->h, LOG_INFO, "busy %d %d", b->id, i++);
		usleep(1000);
	}
	return NULL;
}

Test(client, children_forked_while_threads_log_can_log_and_flush)
{
	asynclog_t	*h;
	struct busy	 b[4];
	pthread_t	 th[4];
	atomic_bool	 stop = false;
	char		 msg[32];
	pid_t		 pid;
	int		 i, k, status;

	SKIP_FORK_UNDER_SANITIZERS();
	fake_start();
	h = asynclog_open(fake_path(), "busy", 0);
	cr_assert_not_null(h);
	for (i = 0; i < 4; i++) {
		b[i] = (struct busy){ .h = h, .id = i, .stop = &stop };
		cr_assert_eq(pthread_create(&th[i], NULL, busy_main, &b[i]), 0);
	}
	/* No assertion before the threads are joined: they use this frame. */
	for (k = 0, status = 0; k < 20 && status == 0; k++) {
		if ((pid = fork()) == -1) {
			status = -2;
			break;
		}
		if (pid == 0) {
			status = asynclog_log(h, LOG_INFO, "child %d", k) != 0 ?
			    1 : asynclog_flush(h, 5000) != 0 ? 2 :
			    asynclog_close_dropped(h) != 0 ? 3 : 0;
			_exit(status);
		}
		status = wait_child(pid, 10000);
	}
	atomic_store(&stop, true);
	for (i = 0; i < 4; i++)
		pthread_join(th[i], NULL);
	cr_assert_eq(status, 0, "child %d: %s %d", k - 1, status == -1 ?
	    "hung, killed" : "fork or a step failed:", status);
	cr_assert_eq(asynclog_flush(h, 10000), 0);
	for (k = 0; k < 20; k++) {
		snprintf(msg, sizeof msg, "child %d", k);
		cr_assert(fake_has(msg), "%s did not arrive", msg);
	}
	asynclog_close(h);
}

Test(client, close_counts_every_record_a_stalled_daemon_never_got)
{
	asynclog_t	*h;
	uint64_t	 dropped;
	size_t		 got;
	int		 i, n = 60;

	fake_start();
	h = asynclog_open(fake_path(), "stall", 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_flush(h, 5000), 0);	/* connected */
	atomic_store(&fk.paused, true);
	/* 60 x 16 KB: more than the ring and the socket buffer together hold. */
	for (i = 0; i < n; i++)
		asynclog_log(h, LOG_INFO, "record %d %016000d", i, 0);
	dropped = asynclog_close_dropped(h);
	atomic_store(&fk.paused, false);
	cr_assert(WAIT_FOR(fake_all_closed(), 5000));

	got = fake_nrecs();
	cr_assert_gt(dropped, 0);
	cr_assert_eq(got + dropped, (uint64_t)n,
	    "received %zu + dropped %ju != %d logged", got, (uintmax_t)dropped,
	    n);
	pthread_mutex_lock(&fk.lock);
	cr_assert_leq(fk.dropped, dropped);
	cr_assert_eq(fk.nbad, 0);
	pthread_mutex_unlock(&fk.lock);
}

Test(client, close_without_a_daemon_counts_what_it_could_not_send)
{
	asynclog_t	*h;

	h = asynclog_open(fake_path(), NULL, 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "lost 1"), 0);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "lost 2"), 0);
	cr_assert_eq(asynclog_close_dropped(h), 2);
}

Test(client, close_without_a_daemon_returns_within_a_second)
{
	asynclog_t	*h;
	int64_t		 t0;

	h = asynclog_open(fake_path(), NULL, 0);
	cr_assert_not_null(h);
	cr_assert_eq(asynclog_log(h, LOG_INFO, "lost"), 0);
	t0 = now_ms();
	asynclog_close(h);
	cr_assert_lt(now_ms() - t0, 1500);
}
