/*
 * cli.c: the asynclog command, a drop-in for util-linux logger(1).
 *
 * One record per command line (arguments joined by spaces, grouped and cut
 * at --size as logger does) or per input line (stdin or -f FILE). Where it
 * goes:
 *   - by default, asynclogd's native socket through libasynclog: the daemon
 *     confirms every record and the exit status says whether it took them;
 *   - -u PATH: a syslog datagram socket (/dev/log) gets logger's datagrams;
 *     a stream socket gets logger's newline-terminated (or octet-counted)
 *     lines, unless the kernel says asynclogd listens there as its native
 *     socket (peer.c): native frames never reach a syslog listener;
 *   - -n HOST: a remote syslog server over UDP or TCP, without the daemon.
 * The bytes of a syslog line are logger's (logline.c), and -s prints exactly
 * the line sent (for the native socket: the line logger would send).
 *
 * Exit status: as logger, 0 done and 1 anything else (usage errors too); on
 * top of logger, 1 when asynclogd did not confirm the records or a send
 * failed.
 */

/* <syslog.h> then also defines facilitynames[] and prioritynames[]. */
#define SYSLOG_NAMES

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <netdb.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>

#include "asynclog.h"
#include "logline.h"
#include "peer.h"
#include "wire.h"

#define MAX_SIZE	WIRE_DEFAULT_MAX_RECORD	/* the library never sends more */
#define FLUSH_MS	5000		/* how long to wait for the daemon's answer */
#define WAIT_MS		60000		/* --wait: for the writes too (an fsync) */
#define FLUSH_EVERY	(128 * 1024)	/* confirm every so many bytes: see cli_send */
#define STATS_MAX	(1024 * 1024)	/* largest STATS_REPLY we read */
#define HEAD_MAX	8192		/* longest syslog header (with --sd-param) */
#define DEFAULT_PORT	"514"
#define SYSTEMD_WAIT_MS	2000		/* for a service systemd is starting */

enum {
	OPT_ID = CHAR_MAX + 1,
	OPT_PRIO_PREFIX,
	OPT_STATS,
	OPT_JSON,
	OPT_PROMETHEUS,
	OPT_RFC3164,
	OPT_RFC5424,
	OPT_OCTET_COUNT,
	OPT_SOCKET_ERRORS,
	OPT_NO_ACT,
	OPT_MSGID,
	OPT_SD_ID,
	OPT_SD_PARAM,
	OPT_JOURNALD,
	OPT_NATIVE,
	OPT_WAIT,
};

enum cli_type { TYPE_ANY, TYPE_DGRAM, TYPE_STREAM };	/* -d, -T */

struct cli {
	const char	*path;		/* Unix socket: -u, else the native one */
	bool		 path_given;	/* -u */
	const char	*server;	/* -n */
	const char	*port;		/* -P */
	enum cli_type	 type;
	bool		 native_forced;	/* --native */
	asynclog_t	*h;		/* the native socket, or NULL */
	int		 fd;		/* a syslog socket, or -1 */
	bool		 stream;	/* fd is a stream: lines end in '\n' */
	struct logline	 line;		/* header settings */
	bool		 format_given;	/* --rfc3164 or --rfc5424 */
	int		 priority;	/* -p, default user.notice */
	size_t		 size;		/* -S */
	bool		 size_given;
	bool		 skip_empty;	/* -e */
	bool		 prio_prefix;	/* --prio-prefix */
	bool		 echo;		/* -s */
	bool		 no_act;	/* --no-act */
	bool		 octet;		/* --octet-count */
	int		 socket_errors;	/* 1 on (the default), 0 off */
	uint64_t	 failed;	/* records the library or socket refused */
	size_t		 unconfirmed;	/* bytes logged since the last flush */
	char		*ident;		/* --journald's SYSLOG_IDENTIFIER */
	bool		 wait;		/* --wait: exit once written */
	struct asynclog_sync_info info;	/* the daemon's word, last flush */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: asynclog [options] [message ...]\n"
"\n"
"Send a record to the local asynclogd (or to the -u socket, or to a remote\n"
"syslog server with -n): the message from the arguments, or else one record\n"
"per line of standard input (or of -f FILE).\n"
"\n"
"  -t, --tag TAG          tag every record with TAG (default: user name)\n"
"  -p, --priority PRI     facility.level or level (default user.notice)\n"
"  -i                     put asynclog's pid in syslog lines\n"
"      --id[=ID]          the same, or the given ID\n"
"  -s, --stderr           also print each line, as sent, to standard error\n"
"  -f, --file FILE        log each line of FILE\n"
"  -e, --skip-empty       do not log empty lines\n"
"      --prio-prefix      a line may start with <PRI> giving its priority\n"
"  -S, --size SIZE        longest message in bytes (default and maximum %d)\n"
"  -u, --socket PATH      a Unix socket: asynclogd's native one (the default:\n"
"                         $ASYNCLOG_SOCKET, then %s)\n"
"                         or any syslog socket, datagram or stream\n"
"      --native           the -u stream socket is asynclogd's native one\n"
"  -n, --server HOST      send to a remote syslog server instead\n"
"  -P, --port PORT        its port (default 514)\n"
"  -T, --tcp              stream only (syslog over TCP or a stream socket)\n"
"  -d, --udp              datagrams only\n"
"      --octet-count      RFC 6587 octet counting\n"
"      --rfc3164, --rfc5424[=notime,notq,nohost]\n"
"                         the syslog format (default: /dev/log's for sockets,\n"
"                         RFC 5424 for -n)\n"
"      --msgid MSGID      RFC 5424 MSGID\n"
"      --sd-id ID, --sd-param NAME=\"VALUE\"\n"
"                         RFC 5424 structured data\n"
"      --journald[=FILE]  KEY=VALUE lines make one record\n"
"      --socket-errors[=on|off|auto]\n"
"                         off: an unreachable socket is not an error\n"
"      --no-act           do everything but send (with -s: only print)\n"
"      --wait             exit 0 only once the records are written\n"
"      --stats            print asynclogd's counters and exit\n"
"      --json             with --stats: as JSON\n"
"      --prometheus       with --stats: in Prometheus' text format\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Exit status: 0 every record was sent (and, on asynclogd's native socket,\n"
"confirmed), 1 otherwise or on a usage error.\n",
	    MAX_SIZE, ASYNCLOG_DEFAULT_SOCKET);
}

static void __attribute__((format(printf, 1, 0)))
cli_vwarn(const char *fmt, va_list ap)
{
	fputs("asynclog: ", stderr);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void __attribute__((format(printf, 1, 2)))
cli_warn(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cli_vwarn(fmt, ap);
	va_end(ap);
}

/* As logger's errx(EXIT_FAILURE, ...): usage errors too exit 1. */
static void __attribute__((noreturn, format(printf, 1, 2)))
cli_die(const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	cli_vwarn(fmt, ap);
	va_end(ap);
	exit(1);
}

/*
 * A name from table (<syslog.h>'s facilitynames or prioritynames, the names
 * logger(1) accepts), or a number that is one of its values; -1 if neither.
 * Values above max are the tables' internal entries ("mark", "none"), which
 * make no valid PRI: refused as unknown.
 */
static int
cli_decode(const char *s, const CODE *table, int max)
{
	const CODE	*c;
	char		*end;
	long		 n;

	if (*s == '\0')
		return -1;
	if (isdigit((unsigned char)*s)) {
		errno = 0;
		n = strtol(s, &end, 10);
		if (errno != 0 || *end != '\0')
			return -1;
		for (c = table; c->c_name != NULL; c++) {
			if (c->c_val <= max && c->c_val == n)
				return (int)n;
		}
		return -1;
	}
	for (c = table; c->c_name != NULL; c++) {
		if (c->c_val <= max && strcasecmp(s, c->c_name) == 0)
			return c->c_val;
	}
	return -1;
}

/*
 * As logger(1): "facility.level" or "level" (facility user), names or their
 * <syslog.h> values; so "-p 8" is no level. kern is the kernel's: user.
 */
static int
cli_priority(const char *arg)
{
	char	*copy, *dot;
	int	 fac = LOG_USER, lev;

	if ((copy = strdup(arg)) == NULL)
		cli_die("%s", strerror(errno));
	if ((dot = strchr(copy, '.')) != NULL) {
		*dot = '\0';
		if ((fac = cli_decode(copy, facilitynames, LOG_LOCAL7)) == -1)
			cli_die("unknown facility name: %s", copy);
		dot++;
	} else
		dot = copy;
	if ((lev = cli_decode(dot, prioritynames, LOG_DEBUG)) == -1)
		cli_die("unknown priority name: %s", dot);
	free(copy);
	if (fac == LOG_KERN)
		fac = LOG_USER;
	return fac | lev;
}

/* logger's sizes: a number, K/M/G with iB (1024) or B (1000) or alone. */
static size_t
cli_size(const char *arg)
{
	static const char	 units[] = "KMGT";
	const char		*u;
	char			*end;
	unsigned long long	 n, base = 1024;
	int			 i;

	errno = 0;
	n = strtoull(arg, &end, 10);
	if (errno == ERANGE)
		cli_die("failed to parse message size: '%s': %s", arg,
		    strerror(errno));
	if (end == arg || *arg == '-' || *arg == '+')
		goto bad;
	if (*end != '\0') {
		if ((u = strchr(units, toupper((unsigned char)*end))) == NULL)
			goto bad;
		if (strcasecmp(end + 1, "B") == 0)
			base = 1000;
		else if (end[1] != '\0' && strcasecmp(end + 1, "iB") != 0)
			goto bad;
		for (i = 0; i <= u - units; i++)
			n *= base;
	}
	if (n == 0)
		goto bad;
	if (n > MAX_SIZE) {
		/* The one limit logger does not have: asynclogd's. */
		cli_warn("--size %s is above the record limit; using %d", arg,
		    MAX_SIZE);
		n = MAX_SIZE;
	}
	return (size_t)n;
bad:	/* logger's words, strerror included */
	cli_die("failed to parse message size: '%s': %s", arg,
	    strerror(EINVAL));
}

/* --id=ID as logger's strtoul_or_err takes it (a leading space is fine). */
static long
cli_id(const char *arg)
{
	char		*end;
	unsigned long	 n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (*arg == '\0' || errno != 0 || end == arg || *end != '\0' ||
	    strchr(arg, '-') != NULL || n == 0 || n > INT_MAX)
		cli_die("failed to parse id: '%s'", arg);
	return (long)n;
}

static void
cli_rfc5424_flags(struct cli *c, char *arg)
{
	char	*tok, *save = NULL;

	for (tok = strtok_r(arg, ",", &save); tok != NULL;
	    tok = strtok_r(NULL, ",", &save)) {
		if (strcmp(tok, "notime") == 0) {
			c->line.notime = true;
			c->line.notq = true;
		} else if (strcmp(tok, "notq") == 0)
			c->line.notq = true;
		else if (strcmp(tok, "nohost") == 0)
			c->line.nohost = true;
		else
			cli_warn("ignoring unknown option argument: %s", tok);
	}
}

/* logger's default tag: who is logged in on the terminal, or who we are. */
static const char *
cli_default_tag(void)
{
	struct passwd	*pw;
	const char	*name;

	if ((name = getlogin()) != NULL && *name != '\0')
		return name;
	if ((pw = getpwuid(geteuid())) != NULL)
		return pw->pw_name;
	return "<someone>";
}

/* A Unix socket address for path; -1 with ENAMETOOLONG when it won't fit. */
static int
cli_sockaddr(const char *path, struct sockaddr_un *sun)
{
	memset(sun, 0, sizeof *sun);
	sun->sun_family = AF_UNIX;
	if (strlen(path) >= sizeof sun->sun_path) {
		errno = ENAMETOOLONG;
		return -1;
	}
	strcpy(sun->sun_path, path);
	return 0;
}

/* A socket of type connected to the Unix socket path; -1 with errno. */
static int
cli_unix(const char *path, int type)
{
	struct sockaddr_un	sun;
	int			fd, error;

	if (cli_sockaddr(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, type | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

static void __attribute__((noreturn))
cli_unreachable(const char *path, const char *why)
{
	cli_die("cannot reach asynclogd at %s: %s", path, why);
}

static int
cli_send_all(int fd, const unsigned char *p, size_t len)
{
	ssize_t	n;

	while (len > 0) {
		if ((n = send(fd, p, len, MSG_NOSIGNAL)) == -1) {
			if (errno == EINTR)
				continue;
			return -1;
		}
		p += n;
		len -= (size_t)n;
	}
	return 0;
}

/* --stats: HELLO, STATS, print the one STATS_REPLY. */
static int
cli_stats(const char *path, uint8_t format)
{
	struct wire_frame	 f;
	struct pollfd		 pfd;
	unsigned char		 out[512], *in;
	const char		*err;
	size_t			 len, have = 0;
	ssize_t			 n, used;
	int			 fd;

	if ((fd = cli_unix(path, SOCK_STREAM)) == -1 && errno == EPROTOTYPE)
		cli_die("%s is a datagram socket (syslog, as /dev/log), not "
		    "asynclogd's native socket: it has no counters to show",
		    path);
	if (fd == -1)
		cli_unreachable(path, strerror(errno));
	if (peer_kind(fd, path) == PEER_SYSLOG)
		cli_die("%s is a syslog stream socket, not asynclogd's native "
		    "socket: it has no counters to show", path);
	len = wire_encode_hello(out, sizeof out, 0, "asynclog", 8);
	len += wire_encode_stats(out + len, sizeof out - len, format);
	if (cli_send_all(fd, out, len) == -1)
		cli_unreachable(path, strerror(errno));

	if ((in = malloc(STATS_MAX)) == NULL)
		cli_die("%s", strerror(errno));
	for (;;) {
		used = wire_decode(in, have, STATS_MAX, &f, &err);
		if (used > 0 && f.type == WIRE_STATS_REPLY)
			break;
		if (used > 0) {		/* not ours to care about */
			memmove(in, in + used, have - (size_t)used);
			have -= (size_t)used;
			continue;
		}
		if (used == -1)
			cli_die("bad reply from asynclogd at %s: %s", path, err);
		pfd.fd = fd;
		pfd.events = POLLIN;
		if ((n = poll(&pfd, 1, FLUSH_MS)) == 0)
			cli_unreachable(path, "no answer to the stats request");
		if (n == -1 && errno == EINTR)
			continue;
		if (n == -1 || (n = read(fd, in + have, STATS_MAX - have)) == -1) {
			if (errno == EINTR)
				continue;
			cli_unreachable(path, strerror(errno));
		}
		if (n == 0)
			cli_unreachable(path, "connection closed before the "
			    "stats reply (is it asynclogd's native socket?)");
		have += (size_t)n;
	}
	close(fd);
	len = f.u.stats_reply.len;
	if (fwrite(f.u.stats_reply.text, 1, len, stdout) != len ||
	    ((len == 0 || f.u.stats_reply.text[len - 1] != '\n') &&
	    putchar('\n') == EOF) || fflush(stdout) == EOF)
		cli_die("stdout: %s", strerror(errno));
	free(in);
	return 0;
}

/* -n: a socket connected to HOST:PORT, UDP first unless -T (as logger). */
static int
cli_inet(struct cli *c)
{
	struct addrinfo	 hints, *res;
	int		 fd = -1, i, rc;

	for (i = 0; i < 2 && fd == -1; i++) {
		memset(&hints, 0, sizeof hints);
		hints.ai_family = AF_UNSPEC;
		if (i == 0 && c->type != TYPE_STREAM)
			hints.ai_socktype = SOCK_DGRAM;
		else if (i == 1 && c->type != TYPE_DGRAM)
			hints.ai_socktype = SOCK_STREAM;
		else
			continue;
		if ((rc = getaddrinfo(c->server, c->port, &hints, &res)) != 0)
			cli_die("failed to resolve name %s port %s: %s",
			    c->server, c->port, gai_strerror(rc));
		if ((fd = socket(res->ai_family, res->ai_socktype |
		    SOCK_CLOEXEC, res->ai_protocol)) != -1 &&
		    connect(fd, res->ai_addr, res->ai_addrlen) == -1) {
			close(fd);
			fd = -1;
		}
		c->stream = hints.ai_socktype == SOCK_STREAM;
		freeaddrinfo(res);
	}
	if (fd == -1)
		cli_die("failed to connect to %s port %s", c->server, c->port);
	return fd;
}

/* Is path the socket file that the native default names? */
static bool
cli_is_default(const char *path)
{
	const char	*def = getenv("ASYNCLOG_SOCKET");
	struct stat	 a, b;

	if (def == NULL || *def == '\0')
		def = ASYNCLOG_DEFAULT_SOCKET;
	return stat(path, &a) == 0 && stat(def, &b) == 0 &&
	    a.st_dev == b.st_dev && a.st_ino == b.st_ino;
}

/*
 * -u PATH: a datagram first, then a stream (as logger; -d and -T allow one
 * only). A stream speaks syslog unless asynclogd listens there as its native
 * socket (peer.c). A socket systemd holds is asked about again, for up to
 * SYSTEMD_WAIT_MS, while the service it started takes it; when the kernel
 * cannot say, the native default's file is native and anything else syslog. Returns false with errno if neither
 * connects; c->h or c->fd is set otherwise.
 */
static bool
cli_connect_unix(struct cli *c, int flags)
{
	enum peer_kind	kind;
	int		fd, waited;

	if (c->type != TYPE_STREAM && !c->native_forced &&
	    (fd = cli_unix(c->path, SOCK_DGRAM)) != -1) {
		c->fd = fd;
		return true;
	}
	if (c->type == TYPE_DGRAM && !c->native_forced)
		return false;
	if ((fd = cli_unix(c->path, SOCK_STREAM)) == -1)
		return false;
	if (c->native_forced)
		kind = PEER_NATIVE;
	else if (c->type == TYPE_STREAM)
		kind = PEER_SYSLOG;
	else
		kind = peer_kind(fd, c->path);
	/* Our connection made systemd start the service: once it has taken
	 * the socket (asynclogd listens again), the kernel names it. */
	for (waited = 0; kind == PEER_SYSTEMD && waited < SYSTEMD_WAIT_MS;
	    waited += 10) {
		close(fd);
		usleep(10 * 1000);
		if ((fd = cli_unix(c->path, SOCK_STREAM)) == -1)
			return false;
		kind = peer_kind(fd, c->path);
	}
	if (kind == PEER_SYSTEMD || kind == PEER_UNKNOWN)
		kind = cli_is_default(c->path) ? PEER_NATIVE : PEER_SYSLOG;
	if (kind == PEER_SYSLOG) {
		c->fd = fd;
		c->stream = true;
		return true;
	}
	close(fd);	/* reached: the library connects on its own */
	if ((c->h = asynclog_open(c->path, c->line.tag, flags)) == NULL)
		cli_die("%s", strerror(errno));
	return true;
}

static void
cli_connect(struct cli *c)
{
	int	error;

	if (c->server != NULL) {
		c->fd = cli_inet(c);
		return;
	}
	if (c->path_given || c->native_forced) {
		if (cli_connect_unix(c, ASYNCLOG_BLOCK))
			return;
	} else if ((c->fd = cli_unix(c->path, SOCK_STREAM)) != -1) {
		/* The native default: fail fast, the library connects
		 * later. */
		close(c->fd);
		c->fd = -1;
		if ((c->h = asynclog_open(c->path, c->line.tag,
		    ASYNCLOG_BLOCK)) == NULL)
			cli_die("%s", strerror(errno));
		return;
	}
	error = errno;
	if (c->socket_errors)
		cli_die("socket %s: %s", c->path, strerror(error));
}

/* Confirm what the daemon took so far; exit 1 if it does not say. */
static void
cli_flush(struct cli *c, int flags)
{
	char	why[128];

	if (asynclog_sync(c->h, flags, (flags & ASYNCLOG_SYNC_WRITTEN) ?
	    WAIT_MS : FLUSH_MS, &c->info) == 0) {
		c->unconfirmed = 0;
		return;
	}
	if (errno == ENOTSUP || errno == EIO) {
		fprintf(stderr, "asynclog: --wait: %s\n", errno == ENOTSUP ?
		    "asynclogd speaks protocol version 1 and cannot confirm "
		    "writes" : "asynclogd cannot confirm the records were "
		    "written (an output dropped records or is not writing)");
		exit(1);
	}
	snprintf(why, sizeof why, "records not confirmed (%s)",
	    strerror(errno));
	cli_unreachable(c->path, why);
}

/* What the daemon dropped of our records, by reason. */
static void
cli_daemon_dropped(const struct asynclog_sync_info *info)
{
	const struct {
		const char	*name;
		uint64_t	 n;
	} why[] = {
		{ "too_large", info->too_large },
		{ "rate_limited", info->rate_limited },
		{ "malformed", info->malformed },
		{ "overflow", info->overflow },
	};
	const char *sep = "";
	size_t i;

	fprintf(stderr, "asynclog: asynclogd dropped %ju of %ju records (",
	    (uintmax_t)info->dropped, (uintmax_t)info->received);
	for (i = 0; i < sizeof why / sizeof why[0]; i++) {
		if (why[i].n == 0)
			continue;
		fprintf(stderr, "%s%s %ju", sep, why[i].name, (uintmax_t)why[i].n);
		sep = ", ";
	}
	fprintf(stderr, ")\n");
}


/*
 * --id=ID as root, to a local socket: logger has the kernel vouch for ID as
 * the sender (SCM_CREDENTIALS), which it does for a pid that exists.
 */
static void
cli_credentials(const struct cli *c, struct msghdr *m, void *buf,
    size_t size)
{
	struct cmsghdr	*cm;
	struct ucred	 cred;

	if (c->line.pid == 0 || c->server != NULL ||
	    c->line.pid == (long)getpid() || geteuid() != 0 ||
	    kill((pid_t)c->line.pid, 0) != 0 || size < CMSG_SPACE(sizeof cred))
		return;
	m->msg_control = buf;
	m->msg_controllen = CMSG_SPACE(sizeof cred);
	cm = CMSG_FIRSTHDR(m);
	cm->cmsg_len = CMSG_LEN(sizeof cred);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cred.pid = (pid_t)c->line.pid;
	cred.uid = getuid();
	cred.gid = getgid();
	memcpy(CMSG_DATA(cm), &cred, sizeof cred);
}

/* One syslog line on c->fd, retried once on a new connection as logger
 * does (the daemon may have restarted). */
static void
cli_sendmsg(struct cli *c, struct iovec *iov, int n)
{
	union {
		struct cmsghdr	cm;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct msghdr	m;
	ssize_t		sent;
	size_t		total = 0;
	int		i, try;

	for (i = 0; i < n; i++)
		total += iov[i].iov_len;
	for (try = 0; try < 2; try++) {
		if (c->fd == -1)
			cli_connect(c);
		if (c->fd == -1)
			return;		/* --socket-errors=off */
		memset(&m, 0, sizeof m);
		m.msg_iov = iov;
		m.msg_iovlen = (size_t)n;
		cli_credentials(c, &m, &ctl, sizeof ctl);
		do
			sent = sendmsg(c->fd, &m, MSG_NOSIGNAL);
		while (sent == -1 && errno == EINTR);
		/* A stream takes a line this short whole or not at all
		 * (a blocking socket); a short send is an error all the same. */
		if (sent >= 0 && (size_t)sent == total)
			return;
		close(c->fd);
		c->fd = -1;
	}
	cli_warn("send message failed: %s", sent == -1 ? strerror(errno) :
	    "short write");
	c->failed++;
}

/*
 * Send one message: the syslog line (and with -s print it, as logger
 * writes it to stderr), or a native record. Native records are confirmed
 * every FLUSH_EVERY bytes, less than the library's per-thread buffer, so an
 * ASYNCLOG_BLOCK write never waits for a daemon that died: the flush notices
 * within FLUSH_MS and we exit 1.
 */
static void
cli_send(struct cli *c, int priority, const char *msg, size_t len)
{
	char		head[HEAD_MAX], err[256], count[32];
	struct iovec	iov[4];
	int		hl, n = 0;

	if ((hl = logline_header(&c->line, priority, head, sizeof head, err,
	    sizeof err)) == -1)
		cli_die("%s", err);
	if (c->octet) {
		iov[n].iov_base = count;
		iov[n++].iov_len = (size_t)snprintf(count, sizeof count,
		    "%zu ", (size_t)hl + len);
	}
	iov[n].iov_base = head;
	iov[n++].iov_len = (size_t)hl;
	iov[n].iov_base = (void *)msg;
	iov[n++].iov_len = len;
	if (c->h != NULL) {
		if (asynclog_write(c->h, priority, msg, len) == -1)
			c->failed++;
		c->unconfirmed += len + 64;
		if (c->unconfirmed >= FLUSH_EVERY)
			cli_flush(c, 0);
	} else if (!c->no_act) {
		if (c->stream && !c->octet) {
			iov[n].iov_base = "\n";
			iov[n++].iov_len = 1;
		}
		cli_sendmsg(c, iov, n);
	}
	if (c->echo) {
		/* logger's test, to the byte: unless the last piece starts
		 * with a newline, one is added for the terminal. */
		if (iov[n - 1].iov_len == 0 ||
		    *(char *)iov[n - 1].iov_base != '\n') {
			iov[n].iov_base = "\n";
			iov[n++].iov_len = 1;
		}
		(void)writev(STDERR_FILENO, iov, n);	/* as logger */
	}
}

/*
 * The message arguments, as logger groups them: joined by spaces into
 * messages of at most --size bytes, an argument longer than that cut.
 */
static void
cli_args(struct cli *c, int argc, char **argv)
{
	char	*buf;
	size_t	 len, used = 0;
	int	 i;

	if ((buf = malloc(c->size + 1)) == NULL)
		cli_die("%s", strerror(errno));
	for (i = 0; i < argc; i++) {
		len = strlen(argv[i]);
		if (used > 0 && used + 1 + len > c->size) {
			cli_send(c, c->priority, buf, used);
			used = 0;
		}
		if (len > c->size) {
			if (!c->size_given)	/* a limit nobody asked for */
				cli_warn("message of %zu bytes cut to %zu "
				    "(the record limit)", len, c->size);
			cli_send(c, c->priority, argv[i], c->size);
			continue;
		}
		if (used > 0)
			buf[used++] = ' ';
		memcpy(buf + used, argv[i], len);
		used += len;
	}
	if (used > 0)
		cli_send(c, c->priority, buf, used);
	free(buf);
}

/*
 * Lines of f, as logger reads them: a line longer than --size goes as
 * several messages (nothing is cut), and with --prio-prefix a line may start
 * with "<PRI>", 0..191, without a facility meaning -p's. What is not a valid
 * prefix stays in the text.
 */
static void
cli_lines(struct cli *c, FILE *f)
{
	char	*buf;
	size_t	 i;
	int	 ch, pri, p;

	if ((buf = malloc(c->size + 8)) == NULL)
		cli_die("%s", strerror(errno));
	ch = getc(f);
	while (ch != EOF) {
		i = 0;
		pri = c->priority;
		if (c->prio_prefix && ch == '<') {
			p = 0;
			buf[i++] = (char)ch;
			while (isdigit(ch = getc(f)) && p <= 191) {
				buf[i++] = (char)ch;
				p = p * 10 + ch - '0';
			}
			if (ch != EOF && ch != '\n')
				buf[i++] = (char)ch;
			if (ch == '>' && p <= 191) {
				i = 0;
				if ((p & LOG_FACMASK) == 0)
					p |= c->priority & LOG_FACMASK;
				pri = p;
			}
			if (ch != EOF && ch != '\n')
				ch = getc(f);
		}
		while (ch != EOF && ch != '\n' && i < c->size) {
			buf[i++] = (char)ch;
			ch = getc(f);
		}
		if (i > 0 || !c->skip_empty)
			cli_send(c, pri, buf, i);
		if (ch == '\n')
			ch = getc(f);
	}
	if (ferror(f))
		cli_die("read error: %s", strerror(errno));
	free(buf);
}

/*
 * --journald: KEY=VALUE lines up to an empty one, as logger reads them.
 * asynclogd is not the journal: MESSAGE (several join with newlines) is the
 * record, PRIORITY, SYSLOG_FACILITY and SYSLOG_IDENTIFIER set its priority
 * and tag, and the other fields are printed with -s only.
 */
static void
cli_journald(struct cli *c, FILE *f)
{
	char	*line = NULL, *msg = NULL, *p;
	size_t	 cap = 0, mlen = 0, len;
	ssize_t	 n;
	int	 pri = c->priority, v;
	bool	 other = false;

	while ((n = getline(&line, &cap, f)) > 0) {
		len = (size_t)n;
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			len--;
		if (len == 0)
			break;
		line[len] = '\0';
		if (c->echo)
			fprintf(stderr, "%s\n", line);
		if (strncmp(line, "MESSAGE=", 8) == 0) {
			if ((p = realloc(msg, mlen + len)) == NULL)
				cli_die("%s", strerror(errno));
			msg = p;
			if (mlen > 0)
				msg[mlen++] = '\n';
			memcpy(msg + mlen, line + 8, len - 8);
			mlen += len - 8;
		} else if (strncmp(line, "PRIORITY=", 9) == 0 &&
		    (v = cli_decode(line + 9, prioritynames, LOG_DEBUG)) != -1)
			pri = (pri & LOG_FACMASK) | v;
		else if (strncmp(line, "SYSLOG_FACILITY=", 16) == 0 &&
		    (v = atoi(line + 16)) >= 1 && v <= 23)
			pri = (v << 3) | (pri & LOG_PRIMASK);
		else if (strncmp(line, "SYSLOG_IDENTIFIER=", 18) == 0 &&
		    (p = strdup(line + 18)) != NULL) {
			free(c->ident);
			c->line.tag = c->ident = p;
		}
		else
			other = true;
	}
	free(line);
	if (other && !c->no_act)
		cli_warn("--journald: only MESSAGE, PRIORITY, SYSLOG_FACILITY "
		    "and SYSLOG_IDENTIFIER are sent; the other fields are "
		    "left out");
	if (!c->no_act && msg != NULL) {
		c->echo = false;	/* printed above, as logger does */
		cli_connect(c);
		cli_send(c, pri, msg, mlen);
	}
	free(msg);
}

int
main(int argc, char **argv)
{
	static const struct option longopts[] = {
		{ "tag",	 required_argument, NULL, 't' },
		{ "priority",	 required_argument, NULL, 'p' },
		{ "id",		 optional_argument, NULL, OPT_ID },
		{ "stderr",	 no_argument,	    NULL, 's' },
		{ "file",	 required_argument, NULL, 'f' },
		{ "skip-empty",	 no_argument,	    NULL, 'e' },
		{ "prio-prefix", no_argument,	    NULL, OPT_PRIO_PREFIX },
		{ "size",	 required_argument, NULL, 'S' },
		{ "socket",	 required_argument, NULL, 'u' },
		{ "native",	 no_argument,	    NULL, OPT_NATIVE },
		{ "stats",	 no_argument,	    NULL, OPT_STATS },
		{ "json",	 no_argument,	    NULL, OPT_JSON },
		{ "prometheus",	 no_argument,	    NULL, OPT_PROMETHEUS },
		{ "rfc3164",	 no_argument,	    NULL, OPT_RFC3164 },
		{ "rfc5424",	 optional_argument, NULL, OPT_RFC5424 },
		{ "octet-count", no_argument,	    NULL, OPT_OCTET_COUNT },
		{ "socket-errors", optional_argument, NULL, OPT_SOCKET_ERRORS },
		{ "no-act",	 no_argument,	    NULL, OPT_NO_ACT },
		{ "wait",	 no_argument,	    NULL, OPT_WAIT },
		{ "msgid",	 required_argument, NULL, OPT_MSGID },
		{ "sd-id",	 required_argument, NULL, OPT_SD_ID },
		{ "sd-param",	 required_argument, NULL, OPT_SD_PARAM },
		{ "journald",	 optional_argument, NULL, OPT_JOURNALD },
		{ "server",	 required_argument, NULL, 'n' },
		{ "port",	 required_argument, NULL, 'P' },
		{ "tcp",	 no_argument,	    NULL, 'T' },
		{ "udp",	 no_argument,	    NULL, 'd' },
		{ "help",	 no_argument,	    NULL, 'h' },
		{ "version",	 no_argument,	    NULL, 'V' },
		{ NULL,		 0,		    NULL, 0 }
	};
	struct cli	 c;
	const char	*file = NULL, *journal = NULL;
	char		 err[256];
	bool		 stats = false, journald = false;
	uint8_t		 format = WIRE_STATS_TEXT;
	FILE		*in = stdin;
	int		 ch;

	memset(&c, 0, sizeof c);
	c.fd = -1;
	c.priority = LOG_USER | LOG_NOTICE;
	c.size = MAX_SIZE;
	c.socket_errors = 1;
	c.port = DEFAULT_PORT;
	while ((ch = getopt_long(argc, argv, "t:p:isf:eS:u:n:P:TdhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't':
			c.line.tag = optarg;
			break;
		case 'p':
			c.priority = cli_priority(optarg);
			break;
		case 'i':
			c.line.pid = (long)getpid();
			break;
		case OPT_ID:
			c.line.pid = optarg == NULL ? (long)getpid() :
			    cli_id(optarg);
			break;
		case 's':
			c.echo = true;
			break;
		case 'f':	/* opened at once, as logger does */
			file = optarg;
			if ((in = fopen(file, "r")) == NULL)
				cli_die("file %s: %s", file, strerror(errno));
			break;
		case 'e':
			c.skip_empty = true;
			break;
		case OPT_PRIO_PREFIX:
			c.prio_prefix = true;
			break;
		case 'S':
			c.size = cli_size(optarg);
			c.size_given = true;
			break;
		case 'u':
			c.path = optarg;
			c.path_given = true;
			break;
		case OPT_NATIVE:
			c.native_forced = true;
			break;
		case OPT_STATS:
			stats = true;
			break;
		case OPT_JSON:
			format = WIRE_STATS_JSON;
			break;
		case OPT_PROMETHEUS:
			format = WIRE_STATS_PROMETHEUS;
			break;
		case OPT_RFC3164:
			c.line.format = LOGLINE_RFC3164;
			c.format_given = true;
			break;
		case OPT_RFC5424:
			c.line.format = LOGLINE_RFC5424;
			c.format_given = true;
			if (optarg != NULL)
				cli_rfc5424_flags(&c, optarg);
			break;
		case OPT_OCTET_COUNT:
			c.octet = true;
			break;
		case OPT_SOCKET_ERRORS:
			if (optarg == NULL || strcmp(optarg, "on") == 0 ||
			    strcmp(optarg, "auto") == 0)
				c.socket_errors = 1;
			else if (strcmp(optarg, "off") == 0)
				c.socket_errors = 0;
			else {
				cli_warn("invalid argument: %s: using "
				    "automatic errors", optarg);
				c.socket_errors = 1;
			}
			break;
		case OPT_WAIT:
			c.wait = true;
			break;
		case OPT_NO_ACT:
			c.no_act = true;
			break;
		case OPT_MSGID:
			if (strchr(optarg, ' ') != NULL)
				cli_die("--msgid cannot contain space");
			c.line.msgid = optarg;
			break;
		case OPT_SD_ID:
			if (logline_sd_id(&c.line, optarg, err, sizeof err) ==
			    -1)
				cli_die("%s", err);
			break;
		case OPT_SD_PARAM:
			if (logline_sd_param(&c.line, optarg, err,
			    sizeof err) == -1)
				cli_die("%s", err);
			break;
		case OPT_JOURNALD:
			journald = true;
			journal = optarg;
			break;
		case 'n':
			c.server = optarg;
			break;
		case 'P':
			c.port = optarg;
			break;
		case 'T':
			c.type = TYPE_STREAM;
			break;
		case 'd':
			c.type = TYPE_DGRAM;
			break;
		case 'h':
			usage(stdout);
			return 0;
		case 'V':
			printf("asynclog %s\n", ASYNCLOG_VERSION);
			return 0;
		default:
			fputs("Try 'asynclog --help' for more information.\n",
			    stderr);
			return 1;
		}
	}
	argc -= optind;
	argv += optind;

	if (format != WIRE_STATS_TEXT && !stats)
		cli_die("--json and --prometheus only go with --stats");
	if (file != NULL && argc > 0)	/* logger logs the message */
		cli_warn("--file and a message are mutually exclusive; the "
		    "file is ignored");
	if (stats && (argc > 0 || file != NULL))
		cli_die("--stats takes no message");
	if (c.path == NULL && ((c.path = getenv("ASYNCLOG_SOCKET")) == NULL ||
	    *c.path == '\0'))
		c.path = ASYNCLOG_DEFAULT_SOCKET;
	if (stats)
		return cli_stats(c.path, format);
	if (c.line.tag == NULL)
		c.line.tag = cli_default_tag();
	if (!c.format_given && c.server != NULL)
		c.line.format = LOGLINE_RFC5424;	/* logger's remote default */

	if (journald) {
		if (journal != NULL && (in = fopen(journal, "r")) == NULL)
			cli_die("cannot open %s: %s", journal,
			    strerror(errno));
		cli_journald(&c, in);
	} else {
		if (!c.no_act)
			cli_connect(&c);
		if (c.h != NULL && c.line.pid != 0 &&
		    c.line.pid != (long)getpid())
			cli_warn("--id=%ld ignored: asynclogd records the "
			    "sender's real pid", c.line.pid);
		if (c.h != NULL && (c.line.msgid != NULL || c.line.nsd > 0))
			cli_warn("--msgid, --sd-id and --sd-param are ignored "
			    "on asynclogd's native socket");
		if (argc > 0)
			cli_args(&c, argc, argv);
		else
			cli_lines(&c, in);
	}
	if (in != stdin)
		fclose(in);

	if (c.h != NULL) {
		cli_flush(&c, c.wait ? ASYNCLOG_SYNC_WRITTEN : 0);
		/* Refused calls are counted there too, with frames lost in
		 * transit. */
		if (asynclog_dropped(c.h) > c.failed)
			c.failed = asynclog_dropped(c.h);
		asynclog_close(c.h);
		/* A version 2 daemon says what it dropped; a version 1 one
		 * leaves info zero. */
		if (c.info.dropped > 0) {
			cli_daemon_dropped(&c.info);
			c.failed += c.info.dropped;
		}
	}
	if (c.fd != -1) {
		close(c.fd);
		if (c.wait) {
			cli_warn("--wait: a syslog socket cannot confirm writes");
			return 1;
		}
	}
	logline_free(&c.line);
	free(c.ident);
	if (c.failed > 0) {
		cli_warn("%ju records were dropped", (uintmax_t)c.failed);
		return 1;
	}
	return 0;
}
