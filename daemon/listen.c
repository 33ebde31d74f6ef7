/* SPDX-License-Identifier: ISC */
/*
 * listen.c: the daemon's sockets: bind them (or take them from systemd),
 * and accept. Stream sockets (native, syslog stream) run an accept task
 * that spawns one connection task per client (conn.c); the syslog datagram
 * sockets (/dev/log style, and journald's forwarding socket, which carries
 * the same messages with the original sender's credentials) are handed to
 * the datagram input (dgram.c).
 *
 * Under systemd socket activation the sockets come from
 * sd_listen_fds_with_names(), named native / syslog-stream / syslog-dgram /
 * journal.
 * The same names and variables carry them across a restart: from the
 * service manager's fd store (listen_fds, notify.c), or through our own
 * re-exec on SIGUSR2 (listen_keep, listen_exec), so a client connecting
 * during a restart waits in the kernel's backlog instead of failing.
 *
 * The network inputs (listen.tcp, tls, udp, relp; netin.h) are listeners
 * too: TCP, TLS and RELP peers are accepted here with their address and
 * handed to conn_spawn_peer, UDP sockets to the datagram input. Systemd may
 * pass them (names tcp, tls, udp, relp, or network for all:
 * netin_kind_of), and our own re-exec passes them on by the same names.
 * They are not kept in the service manager's fd store: a socket unit
 * keeps its own.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
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
#include "netaddr.h"
#include "netin.h"
#include "route.h"
#include "task.h"
#include "wire.h"
#include "tls.h"

#define LISTEN_ACCEPT_BATCH	64
/* Set across our own re-exec: the sockets passed are ours to unlink. */
#define LISTEN_REEXEC_ENV	"ASYNCLOGD_REEXEC"
#define LISTEN_EMFILE_PAUSE_MS	100

enum listen_kind {
	LISTEN_NATIVE,
	LISTEN_SYSLOG_STREAM,
	LISTEN_SYSLOG_DGRAM,
	LISTEN_JOURNAL,		/* journald's ForwardToSyslog socket */
	LISTEN_NET,		/* a network input: see listener.net */
};



struct listener {
	struct task	 task;		/* accept task (stream sockets) */
	LIST_ENTRY(listener) entry;
	struct listen_set *set;
	enum listen_kind kind;
	int		 fd;
	struct dgram	*dgram;		/* datagram socket: its input */
	char		*path;		/* unlinked at stop if we created it */
	enum config_netin_kind net;	/* kind LISTEN_NET: tcp, tls, udp */
};

const char *const listen_names[LISTEN_NKINDS] = {
	"native", "syslog-stream", "syslog-dgram", "journal"
};

struct listen_set {
	struct event_base *base;
	struct route	*route;
	struct conn_set	*conns;
	LIST_HEAD(, listener) list;
	struct tls_creds *tls;		/* listen.tls_server, if any tls;
					 * owned by the connection set */
	enum config_client_certs client_certs;
};

/* A socket systemd passed for a network input. */
struct listen_given {
	int		 fd;
	enum config_netin_kind kind;
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

/* Accept one client on l: -1 (errno) when none is waiting. A network
 * peer goes with its address, and its TLS session's settings under tls. */
static int
listen_accept_one(struct listener *l)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	struct conn_peer peer;
	char addr[NETADDR_MAX];
	int fd;

	if (l->kind != LISTEN_NET) {
		if ((fd = accept4(l->fd, NULL, NULL, SOCK_NONBLOCK |
		    SOCK_CLOEXEC)) == -1)
			return -1;
		conn_spawn(l->set->conns, fd, l->kind == LISTEN_NATIVE ?
		    CONN_NATIVE : CONN_SYSLOG_STREAM);
		return 0;
	}
	if ((fd = accept4(l->fd, (struct sockaddr *)&ss, &len, SOCK_NONBLOCK |
	    SOCK_CLOEXEC)) == -1)
		return -1;
	peer.port = netaddr_string(&ss, addr, sizeof(addr));
	peer.addr = addr;
	peer.tls = l->net == CONFIG_NETIN_TLS ? l->set->tls : NULL;
	peer.relp = l->net == CONFIG_NETIN_RELP;
	peer.client_certs = l->set->client_certs;
	conn_spawn_peer(l->set->conns, fd, &peer);
	return 0;
}

static enum task_step
listen_accept_task(struct task *t)
{
	struct listener *l = t->arg;
	int fd, i;

	TASK_BEGIN(t);
	for (;;) {
		TASK_AWAIT_FD(t, l->fd, EV_READ, -1);
		for (i = 0; i < LISTEN_ACCEPT_BATCH; i++)
			if ((fd = listen_accept_one(l)) == -1)
				break;
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
	else if (l->fd != -1)
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

/*
 * The kernel's cap on listen backlogs (net.core.somaxconn), which the
 * syslog stream sockets' backlog must stay below; 0 if not known.
 */
static long
listen_somaxconn(void)
{
	char buf[32];
	ssize_t n;
	int fd;

	if ((fd = open("/proc/sys/net/core/somaxconn", O_RDONLY |
	    O_CLOEXEC)) == -1)
		return 0;
	do
		n = read(fd, buf, sizeof(buf) - 1);
	while (n == -1 && errno == EINTR);
	(void)close(fd);	/* read-only procfs */
	if (n <= 0)
		return 0;
	buf[n] = '\0';
	return strtol(buf, NULL, 10);
}

static int
listen_add(struct listen_set *set, enum listen_kind kind,
    enum config_netin_kind net, int fd, const char *path, char *err,
    size_t errlen)
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
	l->net = net;
	l->fd = fd;
	LIST_INSERT_HEAD(&set->list, l, entry);
	/*
	 * listen() again, also on a socket systemd made: the kernel then
	 * names this process to connecting clients (SO_PEERCRED), and the
	 * backlog says which protocol the socket speaks, so `asynclog -u`
	 * never sends native frames to a syslog socket (client/peer.c).
	 */
	if (kind != LISTEN_SYSLOG_DGRAM && kind != LISTEN_JOURNAL &&
	    !(kind == LISTEN_NET && net == CONFIG_NETIN_UDP) &&
	    listen(fd, kind == LISTEN_SYSLOG_STREAM ?
	    wire_syslog_stream_backlog(listen_somaxconn()) : SOMAXCONN) == -1) {
		snprintf(err, errlen, "listen: %s", strerror(errno));
		close(fd);
		goto fail;
	}
	if (kind == LISTEN_SYSLOG_DGRAM || kind == LISTEN_JOURNAL ||
	    (kind == LISTEN_NET && net == CONFIG_NETIN_UDP)) {
		if ((l->dgram = dgram_new(set->base, set->route,
		    conn_set_drops(set->conns), fd, kind == LISTEN_NET, err,
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

/* Is fd bound to path? (A socket passed across our own re-exec is.) */
static bool
listen_bound_to(int fd, const char *path)
{
	struct sockaddr_un sun;
	socklen_t len = sizeof(sun);

	if (path == NULL || path[0] == '\0' ||
	    getsockname(fd, (struct sockaddr *)&sun, &len) == -1 ||
	    sun.sun_family != AF_UNIX || len <= offsetof(struct sockaddr_un,
	    sun_path))
		return false;
	return strncmp(sun.sun_path, path, sizeof(sun.sun_path)) == 0;
}

/*
 * Sockets passed by systemd (socket units and the fd store) or by our own
 * re-exec, by FileDescriptorName; -1 where none. A name passed twice (a
 * socket unit's socket that is also in the fd store) is one socket: the
 * extra descriptor is closed. Those named tcp, tls or udp go to net.
 */
static void
listen_from_systemd(const struct config *conf, int fds[LISTEN_NKINDS],
    struct listen_given *net, size_t *nnet)
{
	char **names = NULL;
	int n, i, k, fd, type;
	socklen_t len = sizeof(type);

	for (k = 0; k < LISTEN_NKINDS; k++)
		fds[k] = -1;
	*nnet = 0;
	if ((n = sd_listen_fds_with_names(1, &names)) <= 0)
		return;
	for (i = 0; i < n; i++) {
		fd = SD_LISTEN_FDS_START + i;
		if ((k = netin_kind_of(fd, names[i], conf)) != -1 &&
		    *nnet < LISTEN_MAX_NET) {
			net[(*nnet)++] = (struct listen_given){ fd, k };
			free(names[i]);
			continue;
		}
		for (k = 0; k < LISTEN_NKINDS; k++)
			if (strcmp(names[i], listen_names[k]) == 0)
				break;
		if (k == LISTEN_NKINDS && n == 1 && getsockopt(fd, SOL_SOCKET,
		    SO_TYPE, &type, &len) == 0 && type == SOCK_STREAM)
			k = LISTEN_NATIVE;	/* a single unnamed socket */
		if (k < LISTEN_NKINDS && fds[k] == -1)
			fds[k] = fd;
		else {
			log_warn("ignoring socket %s passed by systemd%s",
			    names[i], k < LISTEN_NKINDS ? " (a second one of "
			    "that name)" : "");
			close(fd);
		}
		free(names[i]);
	}
	free(names);
}

/*
 * The network inputs: the sockets systemd passed (each standing for the
 * configured address it is bound to, if any), then a socket bound for
 * every configured address left. TLS credentials are loaded once, here,
 * for every tls socket. On failure the passed sockets not yet taken are
 * closed.
 */
static int
listen_start_net(struct listen_set *set, const struct config *conf,
    struct listen_given *net, size_t nnet, bool reexec, char *err,
    size_t errlen)
{
	int passed[LISTEN_MAX_NET], fd;
	bool tls = false;
	size_t i, j;

	for (i = 0; i < nnet; i++)
		tls |= net[i].kind == CONFIG_NETIN_TLS;
	for (i = 0; i < conf->nnetin; i++)
		tls |= conf->netin[i].kind == CONFIG_NETIN_TLS;
	if (tls && conf->tls_cert_file == NULL) {
		snprintf(err, errlen, "%s: a tls socket was passed but "
		    "listen.tls_server is not set", conf->file);
		goto fail;
	}
	/* Sessions use the credentials as long as their connections live,
	 * past the listeners (the drain): the connection set keeps them. */
	if (tls && (set->tls = tls_server_creds_load(conf, err,
	    errlen)) == NULL)
		goto fail;
	if (set->tls != NULL)
		conn_set_hold_tls(set->conns, set->tls);
	set->client_certs = conf->tls_client_certs;
	for (i = 0; i < nnet; i++)
		passed[i] = net[i].fd;
	for (i = 0; i < nnet; i++) {
		fd = net[i].fd;
		net[i].fd = -1;
		/* Ours before the re-exec, and no longer configured. */
		for (j = 0; reexec && j < conf->nnetin; j++)
			if (conf->netin[j].kind == net[i].kind &&
			    netin_bound_to(fd, &conf->netin[j]))
				break;
		if (reexec && j == conf->nnetin) {
			log_info("listen.%s: a socket no longer configured is "
			    "closed", netin_kind_name(net[i].kind));
			close(fd);
			passed[i] = -1;
			continue;
		}
		if (listen_add(set, LISTEN_NET, net[i].kind, fd, NULL, err,
		    errlen) == -1)
			goto fail;
	}
	for (j = 0; j < conf->nnetin; j++) {
		for (i = 0; i < nnet; i++)
			if (net[i].kind == conf->netin[j].kind &&
			    netin_bound_to(passed[i], &conf->netin[j]))
				break;
		if (i < nnet)
			continue;
		if ((fd = netin_bind(&conf->netin[j], conf->file, err,
		    errlen)) == -1 || listen_add(set, LISTEN_NET,
		    conf->netin[j].kind, fd, NULL, err, errlen) == -1)
			return -1;
	}
	return 0;
fail:
	for (i = 0; i < nnet; i++)
		if (net[i].fd != -1)
			close(net[i].fd);
	return -1;
}

struct listen_set *
listen_start(struct event_base *base, const struct config *conf,
    struct route *route, struct conn_set *conns, char *err, size_t errlen)
{
	const char *paths[LISTEN_NKINDS];
	int types[LISTEN_NKINDS] = { SOCK_STREAM, SOCK_STREAM, SOCK_DGRAM,
	    SOCK_DGRAM };
	int given[LISTEN_NKINDS], fd, k;
	struct listen_given net[LISTEN_MAX_NET];
	size_t nnet;
	struct listen_set *set;
	bool reexec;

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
	paths[LISTEN_JOURNAL] = conf->journal;
	reexec = getenv(LISTEN_REEXEC_ENV) != NULL;
	(void)unsetenv(LISTEN_REEXEC_ENV);
	listen_from_systemd(conf, given, net, &nnet);
	if (listen_start_net(set, conf, net, nnet, reexec, err, errlen) == -1)
		goto fail;
	for (k = 0; k < LISTEN_NKINDS; k++) {
		if (given[k] != -1) {
			/* Systemd's sockets are systemd's to unlink; those
			 * of the image before the re-exec are ours. */
			if (listen_add(set, k, 0, given[k], reexec &&
			    listen_bound_to(given[k], paths[k]) ? paths[k] :
			    NULL, err, errlen) == -1)
				goto fail;
			continue;
		}
		if (paths[k] == NULL || paths[k][0] == '\0')
			continue;
		fd = listen_bind(paths[k], types[k], conf->socket_mode, err,
		    errlen);
		if (fd == -1 || listen_add(set, k, 0, fd, paths[k], err,
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

void
listen_fds(const struct listen_set *set, int fds[LISTEN_NKINDS])
{
	const struct listener *l;
	int k;

	for (k = 0; k < LISTEN_NKINDS; k++)
		fds[k] = -1;
	LIST_FOREACH(l, &set->list, entry)
		if (l->kind < LISTEN_NKINDS)
			fds[l->kind] = l->fd;
}

void
listen_persist(struct listen_set *set)
{
	struct listener *l;

	LIST_FOREACH(l, &set->list, entry) {
		free(l->path);
		l->path = NULL;
	}
}

void
listen_keep(struct listen_set *set, struct listen_kept *kept)
{
	struct listener *l;
	int fd;

	kept->n = 0;
	if (set == NULL)
		return;
	/* A copy of each descriptor outlives the listener: the accept task
	 * and the datagram input close their own as usual. The Unix ones
	 * first, in kind order. */
	for (int k = 0; k <= LISTEN_NET; k++)
		LIST_FOREACH(l, &set->list, entry) {
			if ((int)l->kind != k)
				continue;
			if ((fd = fcntl(l->fd, F_DUPFD_CLOEXEC, 0)) == -1) {
				log_warn("cannot keep the %s socket for the "
				    "re-exec: %s", l->kind == LISTEN_NET ?
				    netin_kind_name(l->net) :
				    listen_names[l->kind], strerror(errno));
				continue;
			}
			kept->fds[kept->n] = fd;
			kept->names[kept->n++] = l->kind == LISTEN_NET ?
			    netin_kind_name(l->net) : listen_names[l->kind];
		}
	listen_persist(set);
	listen_stop(set);
}

static char listen_exe[PATH_MAX];	/* our binary's path (listen_note_exe) */

void
listen_block_signals(bool block)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	sigaddset(&set, SIGUSR1);
	sigaddset(&set, SIGUSR2);
	(void)sigprocmask(block ? SIG_BLOCK : SIG_UNBLOCK, &set, NULL);
}

/* Above every descriptor the new image is given. */
#define LISTEN_EXEC_SPARE_FD	(SD_LISTEN_FDS_START + LISTEN_NKINDS + \
	LISTEN_MAX_NET)

int
listen_exec(struct listen_kept *kept, char *const argv[])
{
	char names[(LISTEN_NKINDS + LISTEN_MAX_NET) * 16] = "", num[32];
	int high[LISTEN_NKINDS + LISTEN_MAX_NET], n = 0, i;

	/* Two steps, so moving one socket to 3 cannot close another. */
	for (i = 0; i < kept->n; i++) {
		if ((high[n] = fcntl(kept->fds[i], F_DUPFD_CLOEXEC,
		    LISTEN_EXEC_SPARE_FD)) == -1)
			return -1;
		(void)close(kept->fds[i]);
		kept->fds[i] = -1;
		if (n > 0)
			strcat(names, ":");
		strcat(names, kept->names[i]);
		n++;
	}
	for (i = 0; i < n; i++) {
		/* dup2 leaves FD_CLOEXEC clear on the copy: it crosses exec. */
		if (dup2(high[i], SD_LISTEN_FDS_START + i) == -1)
			return -1;
		(void)close(high[i]);
	}
	snprintf(num, sizeof(num), "%d", n);
	if (setenv("LISTEN_FDS", num, 1) == -1 ||
	    setenv("LISTEN_FDNAMES", names, 1) == -1 ||
	    setenv(LISTEN_REEXEC_ENV, "1", 1) == -1)
		return -1;
	/* The pid stays ours across exec. */
	snprintf(num, sizeof(num), "%ld", (long)getpid());
	if (setenv("LISTEN_PID", num, 1) == -1)
		return -1;
	(void)unsetenv("LISTEN_PIDFDID");
	/* Signals that come between exec and the new image's handlers
	 * would kill it (exec resets them to their default): blocked, they
	 * wait for it (main unblocks them once it watches them). */
	listen_block_signals(true);
	/* The file at the path we were started from, so an upgraded binary
	 * installed there is the one that runs (and ps shows our name);
	 * the image we run now if that path is gone. */
	if (listen_exe[0] != '\0')
		execv(listen_exe, argv);
	execv("/proc/self/exe", argv);
	listen_block_signals(false);
	return -1;
}

void
listen_note_exe(void)
{
	ssize_t n = readlink("/proc/self/exe", listen_exe,
	    sizeof(listen_exe) - 1);
	static const char deleted[] = " (deleted)";
	size_t dl = sizeof(deleted) - 1;

	listen_exe[n > 0 ? n : 0] = '\0';
	if (n > (ssize_t)dl && strcmp(listen_exe + n - dl, deleted) == 0)
		listen_exe[n - dl] = '\0';
}
