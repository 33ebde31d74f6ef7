/*
 * listen.c: the daemon's sockets: bind them (or take them from systemd),
 * and accept. Stream sockets (native, syslog stream) run an accept task
 * that spawns one connection task per client (conn.c); the syslog datagram
 * socket (/dev/log style) is handed to the datagram input (dgram.c).
 *
 * Under systemd socket activation the sockets come from
 * sd_listen_fds_with_names(), named native / syslog-stream / syslog-dgram.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <event2/event.h>
#include <systemd/sd-daemon.h>

#include "clock.h"
#include "conn.h"
#include "dgram.h"
#include "listen.h"
#include "log.h"
#include "route.h"
#include "task.h"

#define LISTEN_ACCEPT_BATCH	64
#define LISTEN_EMFILE_PAUSE_MS	100

enum listen_kind {
	LISTEN_NATIVE,
	LISTEN_SYSLOG_STREAM,
	LISTEN_SYSLOG_DGRAM,
};

struct listener {
	struct task	 task;		/* accept task (stream sockets) */
	LIST_ENTRY(listener) entry;
	struct listen_set *set;
	enum listen_kind kind;
	int		 fd;
	struct dgram	*dgram;		/* datagram socket: its input */
	char		*path;		/* unlinked at stop if we created it */
};

struct listen_set {
	struct event_base *base;
	struct route	*route;
	struct conn_set	*conns;
	LIST_HEAD(, listener) list;
};

static struct log_ratelimit listen_rl = LOG_RATELIMIT_INIT(10000, 5);

/*
 * Does a live daemon answer at the socket path? Then it is not ours to
 * replace: two daemons must never steal each other's clients.
 */
static bool
listen_in_use(const struct sockaddr_un *sun, int type)
{
	int probe;
	bool live;

	if ((probe = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return false;
	live = connect(probe, (const struct sockaddr *)sun, sizeof(*sun)) == 0;
	close(probe);
	return live;
}

/*
 * Bind a Unix socket at path with exactly mode. Only a socket file left by
 * a dead daemon is replaced; anything else there (a file, a symlink, a
 * directory) is an error, so a typo in the config never deletes a file.
 * The mode comes from the umask in force during bind(2), not from a chmod
 * of the path afterwards, which would follow a symlink swapped in there.
 * (bind itself never follows one: it fails when the name exists.) Outputs
 * create their files with an explicit fchmod, so the brief umask change
 * cannot affect them.
 */
static int
listen_bind(const char *path, int type, mode_t mode, char *err, size_t errlen)
{
	struct sockaddr_un sun;
	struct stat st;
	mode_t old;
	int fd, rc;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	if (strlen(path) >= sizeof(sun.sun_path)) {
		snprintf(err, errlen, "socket path too long: %s", path);
		return -1;
	}
	strcpy(sun.sun_path, path);
	if (lstat(path, &st) == 0) {
		if (!S_ISSOCK(st.st_mode)) {
			snprintf(err, errlen, "%s: exists and is not a socket "
			    "(%s); not replacing it", path, S_ISLNK(st.st_mode) ?
			    "a symbolic link" : S_ISDIR(st.st_mode) ?
			    "a directory" : "a file");
			return -1;
		}
		if (listen_in_use(&sun, type)) {
			snprintf(err, errlen, "%s: another daemon is listening "
			    "there", path);
			return -1;
		}
		if (unlink(path) == -1 && errno != ENOENT) {
			snprintf(err, errlen, "%s: cannot remove the stale "
			    "socket: %s", path, strerror(errno));
			return -1;
		}
	} else if (errno != ENOENT) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if ((fd = socket(AF_UNIX, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)) == -1) {
		snprintf(err, errlen, "socket: %s", strerror(errno));
		return -1;
	}
	old = umask(~mode & 0777);
	rc = bind(fd, (struct sockaddr *)&sun, sizeof(sun));
	umask(old);
	if (rc == -1 || (type == SOCK_STREAM && listen(fd, SOMAXCONN) == -1)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
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
			conn_spawn(l->set->conns, fd, l->kind == LISTEN_NATIVE ?
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

static void
listen_close(struct listener *l)
{
	LIST_REMOVE(l, entry);
	if (l->dgram != NULL)
		dgram_free(l->dgram);	/* closes the socket */
	else
		close(l->fd);
	if (l->path != NULL)
		(void)unlink(l->path);
	free(l->path);
	free(l);
}

static void
listen_cleanup(struct task *t)
{
	listen_close(t->arg);
}

static int
listen_add(struct listen_set *set, enum listen_kind kind, int fd,
    const char *path, char *err, size_t errlen)
{
	struct listener *l;

	if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) == -1) {
		snprintf(err, errlen, "fcntl: %s", strerror(errno));
		close(fd);
		return -1;
	}
	if ((l = calloc(1, sizeof(*l))) == NULL ||
	    (path != NULL && (l->path = strdup(path)) == NULL)) {
		if (l != NULL)
			free(l);
		snprintf(err, errlen, "out of memory");
		close(fd);
		return -1;
	}
	l->set = set;
	l->kind = kind;
	l->fd = fd;
	LIST_INSERT_HEAD(&set->list, l, entry);
	if (kind == LISTEN_SYSLOG_DGRAM) {
		if ((l->dgram = dgram_new(set->base, set->route, fd, err,
		    errlen)) == NULL) {
			l->fd = -1;
			goto fail;
		}
		return 0;
	}
	if (task_spawn(set->base, &l->task, "listener", listen_accept_task,
	    listen_cleanup, l) == -1) {
		snprintf(err, errlen, "out of memory");
		close(fd);
		goto fail;
	}
	return 0;
fail:
	LIST_REMOVE(l, entry);
	free(l->path);
	free(l);
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

struct listen_set *
listen_start(struct event_base *base, const struct config *conf,
    struct route *route, struct conn_set *conns, char *err, size_t errlen)
{
	const char *paths[3];
	int types[3] = { SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM };
	int given[3], fd, k;
	struct listen_set *set;

	if ((set = calloc(1, sizeof(*set))) == NULL) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	set->base = base;
	set->route = route;
	set->conns = conns;
	LIST_INIT(&set->list);
	paths[LISTEN_NATIVE] = conf->socket;
	paths[LISTEN_SYSLOG_STREAM] = conf->syslog_stream;
	paths[LISTEN_SYSLOG_DGRAM] = conf->syslog_dgram;
	listen_from_systemd(given);
	for (k = 0; k < 3; k++) {
		if (given[k] != -1) {
			if (listen_add(set, k, given[k], NULL, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (paths[k] == NULL || paths[k][0] == '\0')
			continue;
		fd = listen_bind(paths[k], types[k], conf->socket_mode, err,
		    errlen);
		if (fd == -1 || listen_add(set, k, fd, paths[k], err,
		    errlen) == -1)
			goto fail;
	}
	return set;
fail:
	listen_stop(set);
	return NULL;
}

void
listen_stop(struct listen_set *set)
{
	struct listener *l;

	if (set == NULL)
		return;
	while ((l = LIST_FIRST(&set->list)) != NULL) {
		if (l->dgram == NULL && task_alive(&l->task))
			task_cancel(&l->task);	/* its cleanup closes it */
		else
			listen_close(l);
	}
	free(set);
}
