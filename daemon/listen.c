/*
 * listen.c: the daemon's sockets and their tasks.
 *
 * Stream sockets (native, syslog stream) run an accept task that spawns one
 * connection task per client. The syslog datagram socket (/dev/log style)
 * runs a reader task: one message per datagram, stamped with the sender's
 * SCM_CREDENTIALS. Datagram senders (glibc syslog(3)) block in send() when
 * the socket queue is full, so this input never waits for buffer space: a
 * full output drops and counts the record instead.
 *
 * Under systemd socket activation the sockets come from
 * sd_listen_fds_with_names(), named native / syslog-stream / syslog-dgram.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "conn.h"
#include "listen.h"
#include "log.h"
#include "ratelimit.h"
#include "server.h"
#include "stats.h"
#include "syslog.h"

#define LISTEN_ACCEPT_BATCH	64
#define LISTEN_DGRAM_BATCH	256
#define LISTEN_EMFILE_PAUSE_MS	100
#define LISTEN_RL_SLOTS		64	/* datagram senders tracked for ratelimit */

enum listen_kind {
	LISTEN_NATIVE,
	LISTEN_SYSLOG_STREAM,
	LISTEN_SYSLOG_DGRAM,
};

struct listener {
	struct task	 task;
	LIST_ENTRY(listener) entry;
	struct server	*srv;
	enum listen_kind kind;
	int		 fd;
	char		*path;		/* unlinked at stop if we created it */
	char		*dgram;		/* datagram buffer, max_record + 1 */
	size_t		 dgram_cap;
	struct record	 rec;
	uint64_t	 pending;
	struct ratelimit rl[LISTEN_RL_SLOTS];	/* datagrams: per sender pid */
	bool		 rl_pending;	/* some window has drops to report */
};

static struct log_ratelimit listen_rl = LOG_RATELIMIT_INIT(10000, 5);

/*
 * Bind a Unix socket at path. A socket file left by a dead daemon is
 * replaced; one a live daemon still answers on is an error, so two daemons
 * never steal each other's clients.
 */
static int
listen_bind(const char *path, int type, mode_t mode, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	int fd, probe;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if ((probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) != -1) {
		if (connect(probe, (struct sockaddr *)&sun, sizeof(sun)) == 0) {
			close(probe);
			snprintf(err, errlen, "%s: another daemon is listening "
			    "there", path);
			return -1;
		}
		close(probe);
	}
	(void)unlink(path);
	if ((fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1 ||
	    bind(fd, (struct sockaddr *)&sun, sizeof(sun)) == -1 ||
	    chmod(path, mode) == -1 ||
	    (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		if (fd != -1)
			close(fd);
		return -1;
	}
	return fd;
}

static enum task_step
listen_accept_task(struct task *t)
{
	struct listener *l = t->arg;
	int fd, i;

	TASK_BEGIN(t);
	for (;;) {
		TASK_AWAIT_FD(t, l->fd, EV_READ, -1);
		for (i = 0; i < LISTEN_ACCEPT_BATCH; i++) {
			fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
			if (fd == -1)
				break;
			if (l->srv->nconns >= l->srv->conf->max_clients) {
				log_limited(&listen_rl, "too many clients (%u); "
				    "refusing a connection", l->srv->nconns);
				close(fd);
				continue;
			}
			conn_spawn(l->srv, fd, l->kind == LISTEN_NATIVE ?
			    CONN_NATIVE : CONN_SYSLOG_STREAM);
		}
		if (fd == -1 && (errno == EMFILE || errno == ENFILE ||
		    errno == ENOBUFS || errno == ENOMEM)) {
			/* The pending connection stays readable: without a
			 * pause the loop would spin on it. */
			log_limited(&listen_rl, "accept: %s; pausing %d ms",
			    strerror(errno), LISTEN_EMFILE_PAUSE_MS);
			TASK_SLEEP(t, LISTEN_EMFILE_PAUSE_MS);
		}
	}
	TASK_END(t);
}

/* Receive one datagram with its sender's credentials; -1 (EAGAIN) when none. */
static ssize_t
listen_recv_dgram(struct listener *l, struct ucred *cred)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct iovec iov = { l->dgram, l->dgram_cap };
	struct msghdr msg;
	struct cmsghdr *cm;
	ssize_t n;

	memset(&msg, 0, sizeof(msg));
	msg.msg_iov = &iov;
	msg.msg_iovlen = 1;
	msg.msg_control = ctl.buf;
	msg.msg_controllen = sizeof(ctl.buf);
	cred->pid = -1;
	cred->uid = (uid_t)-1;
	cred->gid = (gid_t)-1;
	do
		n = recvmsg(l->fd, &msg, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
	while (n == -1 && errno == EINTR);
	if (n == -1)
		return -1;
	for (cm = CMSG_FIRSTHDR(&msg); cm != NULL; cm = CMSG_NXTHDR(&msg, cm))
		if (cm->cmsg_level == SOL_SOCKET &&
		    cm->cmsg_type == SCM_CREDENTIALS)
			memcpy(cred, CMSG_DATA(cm), sizeof(*cred));
	if (msg.msg_flags & MSG_TRUNC) {
		stats_input_drop(DROP_TOO_LARGE, 1);
		log_limited(&listen_rl, "datagram from pid %ld longer than "
		    "max_record; dropped", (long)cred->pid);
		return 0;
	}
	return n;
}

static void
listen_rl_say(struct listener *l, const struct ratelimit_report *rep)
{
	char who[32];

	if (rep->n == 0)
		return;
	snprintf(who, sizeof(who), "pid %ld", (long)rep->pid);
	server_ratelimit_report(l->srv, rep, who);
}

static void
listen_rl_report(struct listener *l, struct ratelimit *rl)
{
	struct ratelimit_report rep;

	ratelimit_flush(rl, &rep);
	listen_rl_say(l, &rep);
}

/*
 * A datagram sender's window: its slot, or the slot of whoever sent least
 * recently (whose unreported drops are reported first). Datagrams carry no
 * connection, so the kernel's pid is the sender.
 */
static struct ratelimit *
listen_rl_slot(struct listener *l, pid_t pid)
{
	struct ratelimit *rl, *oldest = &l->rl[0];
	int i;

	for (i = 0; i < LISTEN_RL_SLOTS; i++) {
		rl = &l->rl[i];
		if (rl->window_ns != 0 && rl->pid == pid)
			return rl;
		if (rl->window_ns < oldest->window_ns)
			oldest = rl;
	}
	listen_rl_report(l, oldest);
	memset(oldest, 0, sizeof(*oldest));
	oldest->pid = pid;
	return oldest;
}

/* Report every window that ended with drops; is any still pending? */
static bool
listen_rl_sweep(struct listener *l, int64_t now)
{
	const struct config *conf = l->srv->conf;
	bool pending = false;
	int i;

	for (i = 0; i < LISTEN_RL_SLOTS; i++) {
		if (ratelimit_due(&l->rl[i], conf->ratelimit_interval_ms, now))
			listen_rl_report(l, &l->rl[i]);
		pending |= l->rl[i].dropped > 0;
	}
	return pending;
}

static bool
listen_rate_ok(struct listener *l, pid_t pid, int64_t now)
{
	const struct config *conf = l->srv->conf;
	struct ratelimit_report rep;
	bool ok;

	if (conf->ratelimit_burst == 0)
		return true;
	ok = ratelimit_check(listen_rl_slot(l, pid), conf->ratelimit_interval_ms,
	    conf->ratelimit_burst, now, &rep);
	listen_rl_say(l, &rep);
	if (!ok)
		stats_input_drop(DROP_RATE_LIMITED, 1);
	return ok;
}

static enum task_step
listen_dgram_task(struct task *t)
{
	struct listener *l = t->arg;
	struct ucred cred;
	int64_t now;
	ssize_t n;
	int i;

	TASK_BEGIN(t);
	for (;;) {
		/* With rate-limit drops still to report, wake up to report
		 * them even if this input goes quiet. */
		TASK_AWAIT_FD(t, l->fd, EV_READ, l->rl_pending ?
		    (int)l->srv->conf->ratelimit_interval_ms : -1);
		now = log_now_ns();
		for (i = 0; i < LISTEN_DGRAM_BATCH; i++) {
			if ((n = listen_recv_dgram(l, &cred)) == -1)
				break;
			if (n == 0 || !listen_rate_ok(l, cred.pid, now))
				continue;
			memset(&l->rec, 0, sizeof(l->rec));
			syslog_parse(l->dgram, n, now, &l->rec);
			l->rec.time_ns = now;
			l->rec.pid = cred.pid;
			l->rec.uid = cred.uid;
			l->rec.gid = cred.gid;
			if (l->rec.claimed_pid == cred.pid)
				l->rec.claimed_pid = 0;
			l->pending = server_route(l->srv, &l->rec);
			server_deliver_or_drop(l->srv, &l->rec, &l->pending);
		}
		if (n == -1 && errno != EAGAIN)
			log_limited(&listen_rl, "recvmsg: %s", strerror(errno));
		l->rl_pending = l->srv->conf->ratelimit_burst > 0 &&
		    listen_rl_sweep(l, now);
	}
	TASK_END(t);
}

static void
listen_cleanup(struct task *t)
{
	struct listener *l = t->arg;
	int i;

	for (i = 0; i < LISTEN_RL_SLOTS; i++)
		listen_rl_report(l, &l->rl[i]);	/* nothing goes unsaid */
	LIST_REMOVE(l, entry);
	close(l->fd);
	if (l->path != NULL)
		(void)unlink(l->path);
	free(l->path);
	free(l->dgram);
	free(l);
}

static int
listen_add(struct server *srv, enum listen_kind kind, int fd, const char *path,
    char *err, size_t errlen)
{
	struct listener *l;
	int on = 1;

	if ((l = calloc(1, sizeof(*l))) == NULL)
		goto oom;
	l->srv = srv;
	l->kind = kind;
	l->fd = fd;
	if (path != NULL && (l->path = strdup(path)) == NULL)
		goto oom;
	if (kind == LISTEN_SYSLOG_DGRAM) {
		l->dgram_cap = srv->conf->max_record + 1;
		if ((l->dgram = malloc(l->dgram_cap)) == NULL)
			goto oom;
		if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &on, sizeof(on)) == -1) {
			snprintf(err, errlen, "SO_PASSCRED: %s", strerror(errno));
			goto fail;
		}
	}
	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		goto fail;
	}
	if (task_spawn(srv->base, &l->task, kind == LISTEN_SYSLOG_DGRAM ?
	    "dgram" : "listener", kind == LISTEN_SYSLOG_DGRAM ?
	    listen_dgram_task : listen_accept_task, listen_cleanup, l) == -1)
		goto oom;
	LIST_INSERT_HEAD(&srv->listeners, l, entry);
	return 0;
oom:
	snprintf(err, errlen, "out of memory");
fail:
	if (l != NULL) {
		free(l->path);
		free(l->dgram);
	}
	free(l);
	close(fd);
	return -1;
}

/* Sockets passed by systemd, by FileDescriptorName; -1 where none. */
static void
listen_from_systemd(int fds[3])
{
	char **names = NULL;
	int n, i, fd, type;
	socklen_t len = sizeof(type);

	fds[0] = fds[1] = fds[2] = -1;
	if ((n = sd_listen_fds_with_names(1, &names)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if (strcmp(names[i], "syslog-dgram") == 0)
			fds[LISTEN_SYSLOG_DGRAM] = fd;
		else if (strcmp(names[i], "syslog-stream") == 0)
			fds[LISTEN_SYSLOG_STREAM] = fd;
		else if (strcmp(names[i], "native") == 0)
			fds[LISTEN_NATIVE] = fd;
		else if (n == 1 && getsockopt(fd, SOL_SOCKET, SO_TYPE, &type,
		    &len) == 0 && type == SOCK_STREAM)
			fds[LISTEN_NATIVE] = fd;	/* a single unnamed socket */
		else {
			log_warn("ignoring socket %s passed by systemd", names[i]);
			close(fd);
		}
		free(names[i]);
	}
	free(names);
}

int
listen_start(struct server *srv, char *err, size_t errlen)
{
	const char *paths[3];
	int types[3] = { SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM };
	int given[3], fd, k;

	paths[LISTEN_NATIVE] = srv->conf->socket;
	paths[LISTEN_SYSLOG_STREAM] = srv->conf->syslog_stream;
	paths[LISTEN_SYSLOG_DGRAM] = srv->conf->syslog_dgram;
	listen_from_systemd(given);
	for (k = 0; k < 3; k++) {
		if (given[k] != -1) {
			if (listen_add(srv, k, given[k], NULL, err, errlen) == -1)
				return -1;
			continue;
		}
		if (paths[k] == NULL || paths[k][0] == '\0')
			continue;
		fd = listen_bind(paths[k], types[k], srv->conf->socket_mode,
		    err, errlen);
		if (fd == -1 || listen_add(srv, k, fd, paths[k], err,
		    errlen) == -1)
			return -1;
	}
	return 0;
}

void
listen_stop(struct server *srv)
{
	while (!LIST_EMPTY(&srv->listeners))
		task_cancel(&LIST_FIRST(&srv->listeners)->task);
}
