/*
 * cli.c: the asynclog command, a logger(1) work-alike that talks only to the
 * local asynclogd through libasynclog.
 *
 * One record per command line (arguments joined by spaces) or per input line
 * (stdin or -f FILE). Unlike logger, nothing is lost quietly: the daemon is
 * reached first and an unreachable one fails at once, a record longer than
 * --size is cut with a warning on stderr, and the exit status says whether
 * every record was accepted (the final asynclog_flush()). Remote sending
 * (-n, -P, -T, -d) is refused: that is the daemon's job, not this command's.
 *
 * -u may also name a syslog datagram socket (/dev/log, asynclogd's
 * listen.syslog_dgram, any syslogd's): as logger does, records then go there
 * as RFC 3164 datagrams (RFC 5424 with --rfc5424), so scripts that say
 * `logger -u /dev/log` keep working with asynclog in its place.
 *
 * Exit status: 0 all records accepted, 1 runtime failure (daemon unreachable,
 * records not confirmed or dropped, unreadable file), 2 usage error.
 */

/* <syslog.h> then also defines facilitynames[] and prioritynames[]. */
#define SYSLOG_NAMES

#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/un.h>

#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <poll.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "asynclog.h"
#include "wire.h"

#define MAX_SIZE	WIRE_DEFAULT_MAX_RECORD	/* the library never sends more */
#define FLUSH_MS	5000		/* how long to wait for the daemon's answer */
#define FLUSH_EVERY	(128 * 1024)	/* confirm every so many bytes: see cli_record */
#define STATS_MAX	(1024 * 1024)	/* largest STATS_REPLY we read */

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
	OPT_WAIT,
};

struct cli {
	const char	*path;		/* socket */
	asynclog_t	*h;		/* native socket; NULL with dgram or no_act */
	int		 dgram;		/* -u named a syslog datagram socket, else -1 */
	const char	*tag;
	long		 id;		/* -i / --id=ID: pid put in datagrams; 0 none */
	int		 priority;	/* -p, default user.notice */
	size_t		 size;		/* -S */
	bool		 skip_empty;	/* -e */
	bool		 prio_prefix;	/* --prio-prefix */
	bool		 echo;		/* -s */
	bool		 no_act;	/* --no-act */
	bool		 wait;		/* --wait: exit once written */
	bool		 rfc5424;	/* --rfc5424: datagrams in RFC 5424 */
	const char	*msgid;		/* --msgid, RFC 5424 datagrams only */
	char		 host[256];	/* for RFC 5424 datagrams */
	uint64_t	 failed;	/* records the library or socket refused */
	size_t		 unconfirmed;	/* bytes logged since the last flush */
	struct asynclog_sync_info info;	/* the daemon's word, last flush */
};

static void
usage(FILE *f)
{
	fprintf(f,
"usage: asynclog [options] [message ...]\n"
"\n"
"Send a record to the local asynclogd: the message from the arguments, or\n"
"else one record per line of standard input (or of -f FILE).\n"
"\n"
"  -t, --tag TAG          tag every record with TAG (default: user name)\n"
"  -p, --priority PRI     facility.level, a level, or a number\n"
"                         (default user.notice)\n"
"  -i                     accepted for logger(1) compatibility: the daemon\n"
"                         always records the sender's pid\n"
"      --id[=ID]          the same; an explicit ID is claimed in datagrams\n"
"                         and ignored, with a warning, on the native socket\n"
"  -s, --stderr           also write each record to standard error\n"
"  -f, --file FILE        log each line of FILE ('-' is standard input)\n"
"  -e, --skip-empty       do not log empty lines\n"
"      --prio-prefix      a line may start with <PRI> giving its priority\n"
"  -S, --size SIZE        longest message in bytes (K and M suffixes allowed;\n"
"                         default and maximum %d); longer ones are cut and a\n"
"                         warning is printed\n"
"  -u, --socket PATH      asynclogd's native socket (default: $ASYNCLOG_SOCKET,\n"
"                         then %s), or a syslog datagram\n"
"                         socket such as /dev/log\n"
"      --rfc3164, --rfc5424[=SNIP]\n"
"                         the syslog format of datagrams (default RFC 3164);\n"
"                         the native protocol needs neither\n"
"      --msgid MSGID      RFC 5424 MSGID of datagrams\n"
"      --sd-id ID, --sd-param NAME=\"VALUE\"\n"
"                         an RFC 5424 structured-data element (and its\n"
"                         parameters) in datagrams sent with --rfc5424\n"
"      --journald[=FILE]  refused: asynclog writes to asynclogd, not journald\n"
"      --octet-count, --socket-errors[=on|off|auto]\n"
"                         accepted for logger(1) compatibility; errors are\n"
"                         always reported\n"
"      --no-act           do everything but send (with -s: only print)\n"
"      --wait             exit 0 only once the records are written\n"
"      --stats            print asynclogd's counters and exit\n"
"      --json             with --stats: as JSON\n"
"      --prometheus       with --stats: in Prometheus' text format\n"
"  -n, --server, -P, --port, -T, --tcp, -d, --udp\n"
"                         not supported: asynclog only talks to the local\n"
"                         asynclogd; forwarding is asynclogd's job\n"
"  -h, --help             show this help and exit\n"
"  -V, --version          show the version and exit\n"
"\n"
"Exit status: 0 every record was accepted by asynclogd, 1 it was not (or the\n"
"daemon is unreachable), 2 usage error.\n",
	    MAX_SIZE, ASYNCLOG_DEFAULT_SOCKET);
}

static void __attribute__((noreturn, format(printf, 1, 2)))
usage_error(const char *fmt, ...)
{
	va_list	ap;

	fputs("asynclog: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputs("\nTry 'asynclog --help' for more information.\n", stderr);
	exit(2);
}

/*
 * A name from table (<syslog.h>'s facilitynames or prioritynames, the names
 * logger(1) accepts), or a number that is one of its values; -1 if neither.
 * Values above max are the tables' internal entries ("mark", "none"), which
 * are no real facility or level: refused as unknown.
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
 * As logger(1): "facility.level" or "level" (facility user); numbers are
 * <syslog.h> values. Also a bare number 0..191 is a whole PRI, as in <PRI>.
 * kern is refused to user space by logger, so it becomes user here too.
 */
static int
cli_priority(const char *arg)
{
	char	*copy, *dot, *end;
	int	 fac = LOG_USER, lev;
	long	 n;

	errno = 0;
	n = strtol(arg, &end, 10);
	if (*arg != '\0' && *end == '\0' && errno == 0) {
		if (n < 0 || n > WIRE_MAX_PRIORITY)
			usage_error("priority %s is out of range 0..%d", arg,
			    WIRE_MAX_PRIORITY);
		fac = (int)n & LOG_FACMASK;
		if (fac == LOG_KERN)
			fac = LOG_USER;
		return fac | ((int)n & LOG_PRIMASK);
	}

	if ((copy = strdup(arg)) == NULL) {
		perror("asynclog");
		exit(1);
	}
	if ((dot = strchr(copy, '.')) != NULL) {
		*dot = '\0';
		if ((fac = cli_decode(copy, facilitynames, LOG_LOCAL7)) == -1)
			usage_error("unknown facility name: %s", copy);
		dot++;
	} else
		dot = copy;
	if ((lev = cli_decode(dot, prioritynames, LOG_DEBUG)) == -1)
		usage_error("unknown priority name: %s", dot);
	free(copy);
	if (fac == LOG_KERN)
		fac = LOG_USER;
	return fac | lev;
}

static size_t
cli_size(const char *arg)
{
	char		*end;
	unsigned long	 n;

	errno = 0;
	n = strtoul(arg, &end, 10);
	if (errno != 0 || end == arg || *arg == '-')
		usage_error("invalid size: %s", arg);
	if (strcasecmp(end, "k") == 0 || strcasecmp(end, "kib") == 0)
		n *= 1024;
	else if (strcasecmp(end, "m") == 0 || strcasecmp(end, "mib") == 0)
		n *= 1024 * 1024;
	else if (*end != '\0')
		usage_error("invalid size: %s", arg);
	if (n == 0)
		usage_error("invalid size: %s", arg);
	if (n > MAX_SIZE) {
		fprintf(stderr, "asynclog: --size %s is above the record limit; "
		    "using %d\n", arg, MAX_SIZE);
		n = MAX_SIZE;
	}
	return n;
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
	return "asynclog";
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

/* Connect to the daemon's socket, blocking; -1 with errno on failure. */
static int
cli_connect(const char *path)
{
	struct sockaddr_un	sun;
	int			fd, error;

	if (cli_sockaddr(path, &sun) == -1)
		return -1;
	if ((fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0)) == -1)
		return -1;
	if (connect(fd, (struct sockaddr *)&sun, sizeof sun) == -1) {
		error = errno;
		close(fd);
		errno = error;
		return -1;
	}
	return fd;
}

/* connect(2) a datagram socket to a Unix socket path; -1 with errno. */
static int
cli_dgram_connect(int fd, const char *path)
{
	struct sockaddr_un	sun;

	if (cli_sockaddr(path, &sun) == -1)
		return -1;
	return connect(fd, (struct sockaddr *)&sun, sizeof sun);
}

static void __attribute__((noreturn))
cli_unreachable(const char *path, const char *why)
{
	fprintf(stderr, "asynclog: cannot reach asynclogd at %s: %s\n", path,
	    why);
	exit(1);
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

	if ((fd = cli_connect(path)) == -1)
		cli_unreachable(path, strerror(errno));
	len = wire_encode_hello(out, sizeof out, 0, "asynclog", 8);
	len += wire_encode_stats(out + len, sizeof out - len, format);
	if (cli_send_all(fd, out, len) == -1)
		cli_unreachable(path, strerror(errno));

	if ((in = malloc(STATS_MAX)) == NULL) {
		perror("asynclog");
		exit(1);
	}
	for (;;) {
		used = wire_decode(in, have, STATS_MAX, &f, &err);
		if (used > 0 && f.type == WIRE_STATS_REPLY)
			break;
		if (used > 0) {		/* not ours to care about */
			memmove(in, in + used, have - (size_t)used);
			have -= (size_t)used;
			continue;
		}
		if (used == -1) {
			fprintf(stderr, "asynclog: bad reply from asynclogd at "
			    "%s: %s\n", path, err);
			exit(1);
		}
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
			    "stats reply");
		have += (size_t)n;
	}
	close(fd);
	len = f.u.stats_reply.len;
	if (fwrite(f.u.stats_reply.text, 1, len, stdout) != len ||
	    ((len == 0 || f.u.stats_reply.text[len - 1] != '\n') &&
	    putchar('\n') == EOF) || fflush(stdout) == EOF) {
		perror("asynclog: stdout");
		exit(1);
	}
	free(in);
	return 0;
}

static void
cli_flush(struct cli *c, int flags)
{
	char	why[128];

	if (asynclog_sync(c->h, flags, FLUSH_MS, &c->info) == 0) {
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

/* -s without the library (datagrams, --no-act): as the library writes it. */
static void
cli_echo(const struct cli *c, const char *msg, size_t len)
{
	fprintf(stderr, "%s[%ld]: %.*s\n", c->tag, (long)getpid(), (int)len,
	    msg);
}

/*
 * A record for a syslog datagram socket, as logger(1) writes it:
 * "<PRI>Mmm dd hh:mm:ss TAG[ID]: MSG" (RFC 3164 as glibc sends it to
 * /dev/log, no hostname), or "<PRI>1 TIME HOST TAG ID MSGID - MSG".
 */
static void
cli_dgram_send(struct cli *c, int priority, const char *msg, size_t len)
{
	char		 head[512], stamp[64], zone[8], pid[24] = "";
	struct timespec	 ts;
	struct tm	 tm;
	struct iovec	 iov[2];
	ssize_t		 n;
	int		 hl;

	clock_gettime(CLOCK_REALTIME, &ts);
	localtime_r(&ts.tv_sec, &tm);
	if (c->rfc5424) {
		strftime(stamp, sizeof stamp, "%Y-%m-%dT%H:%M:%S", &tm);
		strftime(zone, sizeof zone, "%z", &tm);
		if (c->id != 0)
			snprintf(pid, sizeof pid, "%ld", c->id);
		hl = snprintf(head, sizeof head, "<%d>1 %s.%06ld%.3s:%s %s %s "
		    "%s %s - ", priority, stamp, ts.tv_nsec / 1000, zone,
		    zone + 3, c->host[0] != '\0' ? c->host : "-",
		    *c->tag != '\0' ? c->tag : "-", c->id != 0 ? pid : "-",
		    c->msgid != NULL ? c->msgid : "-");
	} else {
		strftime(stamp, sizeof stamp, "%b %e %H:%M:%S", &tm);
		if (c->id != 0)
			snprintf(pid, sizeof pid, "[%ld]", c->id);
		hl = snprintf(head, sizeof head, "<%d>%s %s%s: ", priority,
		    stamp, c->tag, pid);
	}
	if (hl < 0 || (size_t)hl >= sizeof head)
		hl = (int)strlen(head);
	iov[0].iov_base = head;
	iov[0].iov_len = (size_t)hl;
	iov[1].iov_base = (void *)msg;
	iov[1].iov_len = len;
	do
		n = writev(c->dgram, iov, 2);
	while (n == -1 && errno == EINTR);
	if (n == -1) {
		fprintf(stderr, "asynclog: %s: %s\n", c->path, strerror(errno));
		c->failed++;
	}
	if (c->echo)
		cli_echo(c, msg, len);
}

/*
 * Send one record. Records are confirmed every FLUSH_EVERY bytes, less than
 * the library's per-thread buffer, so an ASYNCLOG_BLOCK write never waits for
 * a daemon that died: the flush notices within FLUSH_MS and we exit 1.
 */
static void
cli_record(struct cli *c, int priority, const char *msg, size_t len,
    const char *where)
{
	if (len > c->size) {
		fprintf(stderr, "asynclog: %smessage of %zu bytes truncated to "
		    "%zu bytes (--size)\n", where, len, c->size);
		len = c->size;
	}
	if (c->no_act) {
		if (c->echo)
			cli_echo(c, msg, len);
		return;
	}
	if (c->dgram != -1) {
		cli_dgram_send(c, priority, msg, len);
		return;
	}
	if (asynclog_write(c->h, priority, msg, len) == -1)
		c->failed++;
	c->unconfirmed += len + 64;
	if (c->unconfirmed >= FLUSH_EVERY)
		cli_flush(c, 0);
}

/* --prio-prefix: "<PRI>" at the start of a line; no facility means -p's. */
static int
cli_line_priority(const struct cli *c, char **line, size_t *len)
{
	char	*p = *line;
	int	 pri = 0;
	size_t	 i;

	if (!c->prio_prefix || *len < 3 || p[0] != '<')
		return c->priority;
	for (i = 1; i < *len && i < 5 && isdigit((unsigned char)p[i]); i++)
		pri = pri * 10 + (p[i] - '0');
	if (i == 1 || i >= *len || p[i] != '>' || pri > WIRE_MAX_PRIORITY)
		return c->priority;
	if ((pri & LOG_FACMASK) == 0)
		pri |= c->priority & LOG_FACMASK;
	*line += i + 1;
	*len -= i + 1;
	return pri;
}

static void
cli_lines(struct cli *c, FILE *f, const char *name)
{
	char		*line = NULL, *msg, where[64];
	size_t		 cap = 0, len;
	ssize_t		 n;
	unsigned long	 lineno = 0;
	int		 pri;

	while ((n = getline(&line, &cap, f)) != -1) {
		lineno++;
		len = (size_t)n;
		if (len > 0 && line[len - 1] == '\n')
			len--;
		msg = line;
		pri = cli_line_priority(c, &msg, &len);
		if (len == 0 && c->skip_empty)
			continue;
		snprintf(where, sizeof where, "line %lu: ", lineno);
		cli_record(c, pri, msg, len, where);
	}
	if (ferror(f)) {
		fprintf(stderr, "asynclog: %s: %s\n", name, strerror(errno));
		exit(1);
	}
	free(line);
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
	const char	*tag = NULL, *file = NULL, *remote = NULL;
	char		*msg, *end;
	bool		 stats = false, sd = false;
	uint8_t		 format = WIRE_STATS_TEXT;
	size_t		 len, n;
	FILE		*in = NULL;
	int		 ch, fd, i, flags = ASYNCLOG_BLOCK;

	memset(&c, 0, sizeof c);
	c.dgram = -1;
	c.priority = LOG_USER | LOG_NOTICE;
	c.size = MAX_SIZE;
	while ((ch = getopt_long(argc, argv, "t:p:isf:eS:u:n:P:TdhV", longopts,
	    NULL)) != -1) {
		switch (ch) {
		case 't':
			tag = optarg;
			break;
		case 'p':
			c.priority = cli_priority(optarg);
			break;
		case 'i':
			c.id = (long)getpid();
			break;
		case OPT_ID:
			c.id = (long)getpid();
			if (optarg == NULL)
				break;
			errno = 0;
			c.id = strtol(optarg, &end, 10);
			if (errno != 0 || *optarg == '\0' || *end != '\0' ||
			    c.id <= 0 || c.id > INT_MAX)
				usage_error("invalid --id: %s", optarg);
			break;
		case 's':
			flags |= ASYNCLOG_STDERR;
			c.echo = true;
			break;
		case 'f':
			file = optarg;
			break;
		case 'e':
			c.skip_empty = true;
			break;
		case OPT_PRIO_PREFIX:
			c.prio_prefix = true;
			break;
		case 'S':
			c.size = cli_size(optarg);
			break;
		case 'u':
			c.path = optarg;
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
			c.rfc5424 = false;
			break;
		case OPT_RFC5424:	/* the snip list only shortens headers */
			c.rfc5424 = true;
			break;
		case OPT_OCTET_COUNT:	/* framing of streams we do not use */
			break;
		case OPT_SOCKET_ERRORS:
			if (optarg != NULL && strcmp(optarg, "on") != 0 &&
			    strcmp(optarg, "off") != 0 &&
			    strcmp(optarg, "auto") != 0)
				usage_error("invalid --socket-errors: %s "
				    "(on, off or auto)", optarg);
			break;
		case OPT_WAIT:
			c.wait = true;
			break;
		case OPT_NO_ACT:
			c.no_act = true;
			break;
		case OPT_MSGID:
			if (strchr(optarg, ' ') != NULL)
				usage_error("--msgid: spaces are not allowed");
			c.msgid = optarg;
			break;
		case OPT_SD_ID:
		case OPT_SD_PARAM:
			sd = true;
			break;
		case OPT_JOURNALD:
			usage_error("--journald: asynclog writes to asynclogd, "
			    "not to the systemd journal");
		case 'n':
			remote = "-n/--server";
			break;
		case 'P':
			remote = "-P/--port";
			break;
		case 'T':
			remote = "-T/--tcp";
			break;
		case 'd':
			remote = "-d/--udp";
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
			return 2;
		}
	}
	argc -= optind;
	argv += optind;

	if (remote != NULL)
		usage_error("%s: asynclog does not send to remote hosts yet; "
		    "it only talks to the local asynclogd. Forward from the "
		    "daemon instead (a forwarding output: type = \"forward\" "
		    "in asynclogd.conf), or use logger(1) for remote hosts",
		    remote);
	if (format != WIRE_STATS_TEXT && !stats)
		usage_error("--json and --prometheus only go with --stats");
	if (file != NULL && argc > 0) {
		/* logger(1) logs the file and says so. */
		fprintf(stderr, "asynclog: --file and a message are mutually "
		    "exclusive; the message is ignored\n");
		argc = 0;
	}
	if (stats && (argc > 0 || file != NULL))
		usage_error("--stats takes no message");

	if (c.path == NULL && ((c.path = getenv("ASYNCLOG_SOCKET")) == NULL ||
	    *c.path == '\0'))
		c.path = ASYNCLOG_DEFAULT_SOCKET;
	if (stats)
		return cli_stats(c.path, format);

	if (file != NULL && strcmp(file, "-") != 0 &&
	    (in = fopen(file, "r")) == NULL) {
		fprintf(stderr, "asynclog: %s: %s\n", file, strerror(errno));
		return 1;
	}

	if (tag == NULL)
		tag = cli_default_tag();
	c.tag = tag;
	if (c.no_act)
		;
	else if ((fd = cli_connect(c.path)) != -1)
		close(fd);	/* fail fast: the library connects later */
	else if (errno == EPROTOTYPE) {
		/* Not a stream socket: a syslog datagram one, /dev/log. */
		if ((c.dgram = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC,
		    0)) == -1 || cli_dgram_connect(c.dgram, c.path) == -1)
			cli_unreachable(c.path, strerror(errno));
		if (c.rfc5424 && gethostname(c.host, sizeof c.host - 1) == -1)
			c.host[0] = '\0';
	} else
		cli_unreachable(c.path, strerror(errno));
	if (c.dgram == -1 && c.id != 0 && c.id != (long)getpid())
		fprintf(stderr, "asynclog: --id=%ld ignored: asynclogd records "
		    "the sender's real pid\n", c.id);
	if (c.dgram == -1 && (c.msgid != NULL || sd))
		fprintf(stderr, "asynclog: --msgid, --sd-id and --sd-param are "
		    "ignored on asynclogd's native socket\n");
	else if (sd)
		fprintf(stderr, "asynclog: --sd-id and --sd-param are not "
		    "supported; structured data ignored\n");

	if (!c.no_act && c.dgram == -1 &&
	    (c.h = asynclog_open(c.path, tag, flags)) == NULL) {
		perror("asynclog");
		return 1;
	}

	if (argc > 0) {
		for (len = 0, i = 0; i < argc; i++)
			len += strlen(argv[i]) + 1;
		if ((msg = malloc(len)) == NULL) {
			perror("asynclog");
			return 1;
		}
		for (n = 0, i = 0; i < argc; i++) {
			if (i > 0)
				msg[n++] = ' ';
			memcpy(msg + n, argv[i], strlen(argv[i]));
			n += strlen(argv[i]);
		}
		cli_record(&c, c.priority, msg, n, "");
		free(msg);
	} else if (in != NULL) {
		cli_lines(&c, in, file);
		fclose(in);
	} else
		cli_lines(&c, stdin, "stdin");

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
	if (c.dgram != -1) {
		close(c.dgram);
		if (c.wait) {
			fprintf(stderr, "asynclog: --wait: a datagram socket "
			    "cannot confirm writes\n");
			return 1;
		}
	}
	if (c.failed > 0) {
		fprintf(stderr, "asynclog: %ju records were dropped\n",
		    (uintmax_t)c.failed);
		return 1;
	}
	return 0;
}
