/* SPDX-License-Identifier: ISC */
/*
 * top.c: `asynclog --top`, a live view of asynclogd refreshed every second:
 * records per second the inputs receive and drop (by reason), and per
 * output records per second in, written and dropped (by reason), what it
 * buffers, its state and free space.
 *
 * It asks the daemon for its counters in Prometheus' text format (flat
 * lines, labelled, so no JSON parser is needed) over one connection, and
 * shows the differences between two samples. On a terminal it redraws one
 * screen in place with plain ANSI sequences (usable over ssh, no curses)
 * and exits on q or Ctrl-C, restoring the terminal; when stdout is not a
 * terminal it prints a block of plain lines per second instead.
 */
#include <sys/ioctl.h>

#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "statsreq.h"
#include "top.h"
#include "wire.h"

#define TOP_OUTPUTS	64
#define TOP_REASONS	16
#define TOP_NAME	64

struct top_output {
	char	 name[TOP_NAME];
	char	 state[32];
	double	 received, written, buffered, free_bytes;
	double	 dropped[TOP_REASONS];
};

struct top_sample {
	double	 mono;			/* seconds */
	double	 clients, in_received;
	double	 in_dropped[TOP_REASONS];
	struct top_output out[TOP_OUTPUTS];
	unsigned nout;
};

/* Drop reasons by name, in the order the daemon lists them. */
static char top_reasons[TOP_REASONS][32];
static unsigned top_nreasons;

static volatile sig_atomic_t top_stop;
static struct termios top_saved;
static bool top_tty_in, top_tty_out;

static void
top_signal(int sig)
{
	(void)sig;
	top_stop = 1;
}

static int
top_reason(const char *name)
{
	unsigned i;

	for (i = 0; i < top_nreasons; i++)
		if (strcmp(top_reasons[i], name) == 0)
			return (int)i;
	if (top_nreasons == TOP_REASONS)
		return -1;
	snprintf(top_reasons[top_nreasons], sizeof(top_reasons[0]), "%s", name);
	return (int)top_nreasons++;
}

/* The value of label key in the {...} of a sample line, unescaped. */
static bool
top_label(const char *labels, const char *key, char *val, size_t cap)
{
	size_t klen = strlen(key), n = 0;
	const char *p = labels;

	while ((p = strstr(p, key)) != NULL) {
		if ((p == labels || p[-1] == '{' || p[-1] == ',') &&
		    strncmp(p + klen, "=\"", 2) == 0)
			break;
		p++;
	}
	if (p == NULL)
		return false;
	for (p += klen + 2; *p != '\0' && *p != '"'; p++) {
		if (*p == '\\' && p[1] != '\0')
			p++;
		if (n + 1 < cap)
			val[n++] = *p == 'n' && p[-1] == '\\' ? '\n' : *p;
	}
	val[n] = '\0';
	return true;
}

static struct top_output *
top_output(struct top_sample *s, const char *name)
{
	unsigned i;

	for (i = 0; i < s->nout; i++)
		if (strcmp(s->out[i].name, name) == 0)
			return &s->out[i];
	if (s->nout == TOP_OUTPUTS)
		return NULL;
	snprintf(s->out[s->nout].name, TOP_NAME, "%s", name);
	snprintf(s->out[s->nout].state, sizeof(s->out[0].state), "?");
	return &s->out[s->nout++];
}

/* One sample line: NAME{LABELS} VALUE or NAME VALUE. */
static void
top_line(struct top_sample *s, const char *line)
{
	char name[80], out[TOP_NAME], what[32];
	const char *labels = strchr(line, '{'), *sp = strrchr(line, ' ');
	struct top_output *o = NULL;
	size_t nlen;
	double v;
	int r;

	if (sp == NULL)
		return;
	nlen = (size_t)((labels != NULL && labels < sp ? labels : sp) - line);
	if (nlen >= sizeof(name))
		return;
	memcpy(name, line, nlen);
	name[nlen] = '\0';
	v = strtod(sp + 1, NULL);
	if (labels != NULL && top_label(labels, "output", out, sizeof(out)))
		o = top_output(s, out);

	if (strcmp(name, "asynclog_clients") == 0)
		s->clients = v;
	else if (strcmp(name, "asynclog_input_records_total") == 0)
		s->in_received = v;
	else if (strcmp(name, "asynclog_input_dropped_records_total") == 0 &&
	    top_label(labels, "reason", what, sizeof(what)) &&
	    (r = top_reason(what)) >= 0)
		s->in_dropped[r] = v;
	if (o == NULL)
		return;
	if (strcmp(name, "asynclog_records_total") == 0 &&
	    top_label(labels, "outcome", what, sizeof(what))) {
		if (strcmp(what, "received") == 0)
			o->received = v;
		else if (strcmp(what, "written") == 0)
			o->written = v;
	} else if (strcmp(name, "asynclog_records_buffered") == 0)
		o->buffered = v;
	else if (strcmp(name, "asynclog_output_free_bytes") == 0)
		o->free_bytes = v;
	else if (strcmp(name, "asynclog_output_state") == 0 && v == 1 &&
	    top_label(labels, "state", what, sizeof(what)))
		snprintf(o->state, sizeof(o->state), "%s", what);
	else if (strcmp(name, "asynclog_dropped_records_total") == 0 &&
	    top_label(labels, "reason", what, sizeof(what)) &&
	    (r = top_reason(what)) >= 0)
		o->dropped[r] = v;
}

static double
top_mono(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

/* Fetch and parse one sample; -1 with *why on failure. */
static int
top_sample(int fd, struct top_sample *s, const char **why)
{
	char *text, *line, *nl;

	if ((text = statsreq_get(fd, WIRE_STATS_PROMETHEUS, why)) == NULL)
		return -1;
	memset(s, 0, sizeof(*s));
	s->mono = top_mono();
	for (line = text; *line != '\0'; line = nl + 1) {
		if ((nl = strchr(line, '\n')) == NULL)
			nl = line + strlen(line) - 1;
		else
			*nl = '\0';
		if (*line != '#' && *line != '\0')
			top_line(s, line);
	}
	free(text);
	return 0;
}

/* "12.3G": bytes for people; "-" when unknown. */
static const char *
top_bytes(double v, char *buf, size_t cap)
{
	static const char units[] = "BKMGTP";
	int u = 0;

	if (v < 0)
		return "-";
	while (v >= 1024 && u < 5) {
		v /= 1024;
		u++;
	}
	snprintf(buf, cap, u == 0 ? "%.0f%c" : "%.1f%c", v, units[u]);
	return buf;
}

/* "too_large=2.0 overflow=1.5" of the reasons that moved, or "0". */
static void
top_drops(const double *now, const double *then, double dt, char *buf,
    size_t cap)
{
	size_t len = 0;
	unsigned r;
	int n;

	buf[0] = '\0';
	for (r = 0; r < top_nreasons && len < cap; r++) {
		if (now[r] <= then[r])
			continue;
		n = snprintf(buf + len, cap - len, "%s%s=%.1f", len ? " " : "",
		    top_reasons[r], (now[r] - then[r]) / dt);
		if (n > 0)
			len += (size_t)n;
	}
	if (len == 0)
		snprintf(buf, cap, "0");
}

/* Print one line, cut to the terminal's width on a terminal. */
static void __attribute__((format(printf, 2, 3)))
top_printf(int width, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if (top_tty_out && width > 0 && n > width)
		line[width] = '\0';
	fputs(line, stdout);
	fputs(top_tty_out ? "\033[K\n" : "\n", stdout);
}

static void
top_show(const char *path, const struct top_sample *now,
    const struct top_sample *then)
{
	const struct top_output *o, *p;
	struct winsize ws;
	char stamp[32], drops[256], fb[32];
	double dt = then != NULL ? now->mono - then->mono : 0;
	time_t t = time(NULL);
	int width = 0;
	unsigned i, j;

	if (top_tty_out && ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0)
		width = ws.ws_col;
	strftime(stamp, sizeof(stamp), "%H:%M:%S", localtime(&t));
	if (dt <= 0)
		dt = 1;
	if (top_tty_out) {
		fputs("\033[H", stdout);
		top_printf(width, "asynclogd at %s  %s  clients %.0f%s", path,
		    stamp, now->clients, top_tty_in ? "  (q quits)" : "");
		top_printf(width, "%s", "");
		top_printf(width, "%-16s %10s  %s", "INPUTS", "rec/s",
		    "dropped/s");
	}
	if (then != NULL)
		top_drops(now->in_dropped, then->in_dropped, dt, drops,
		    sizeof(drops));
	else
		snprintf(drops, sizeof(drops), "-");
	if (top_tty_out)
		top_printf(width, "%-16s %10.1f  %s", "all",
		    then != NULL ? (now->in_received - then->in_received) / dt :
		    0, drops);
	else
		top_printf(0, "%s inputs rec/s=%.1f dropped/s=%s clients=%.0f",
		    stamp, then != NULL ? (now->in_received -
		    then->in_received) / dt : 0, drops, now->clients);
	if (top_tty_out) {
		top_printf(width, "%s", "");
		top_printf(width, "%-16s %-11s %10s %10s %9s %8s  %s", "OUTPUT",
		    "STATE", "in/s", "written/s", "buffered", "free",
		    "dropped/s");
	}
	for (i = 0; i < now->nout; i++) {
		o = &now->out[i];
		p = NULL;
		for (j = 0; then != NULL && j < then->nout; j++)
			if (strcmp(then->out[j].name, o->name) == 0)
				p = &then->out[j];
		if (p != NULL)
			top_drops(o->dropped, p->dropped, dt, drops,
			    sizeof(drops));
		else
			snprintf(drops, sizeof(drops), "-");
		if (top_tty_out)
			top_printf(width, "%-16s %-11s %10.1f %10.1f %9.0f %8s  %s",
			    o->name, o->state, p != NULL ? (o->received -
			    p->received) / dt : 0, p != NULL ? (o->written -
			    p->written) / dt : 0, o->buffered,
			    top_bytes(o->free_bytes, fb, sizeof(fb)), drops);
		else
			top_printf(0, "%s output %s state=%s in/s=%.1f "
			    "written/s=%.1f buffered=%.0f free=%s dropped/s=%s",
			    stamp, o->name, o->state, p != NULL ? (o->received -
			    p->received) / dt : 0, p != NULL ? (o->written -
			    p->written) / dt : 0, o->buffered,
			    top_bytes(o->free_bytes, fb, sizeof(fb)), drops);
	}
	if (top_tty_out)
		fputs("\033[J", stdout);
	/* A reader that went away (`asynclog --top | head`) ends the view
	 * like q does, so the terminal is restored. */
	if (fflush(stdout) == EOF)
		top_stop = 1;
}

static void
top_restore(void)
{
	if (top_tty_out)
		fputs("\033[?25h\033[?1049l", stdout);
	fflush(stdout);
	if (top_tty_in)
		(void)tcsetattr(STDIN_FILENO, TCSAFLUSH, &top_saved);
}

/* Terminal modes: keys without Enter or echo, Ctrl-C still a signal;
 * the alternate screen, cursor hidden. */
static void
top_setup(void)
{
	struct sigaction sa;
	struct termios raw;

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = top_signal;	/* no SA_RESTART: poll returns */
	sigaction(SIGINT, &sa, NULL);
	sigaction(SIGTERM, &sa, NULL);
	sigaction(SIGHUP, &sa, NULL);
	sa.sa_handler = SIG_IGN;	/* a closed pipe is fflush's error */
	sigaction(SIGPIPE, &sa, NULL);
	top_tty_out = isatty(STDOUT_FILENO);
	if (isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &top_saved) == 0) {
		raw = top_saved;
		raw.c_lflag &= ~(ICANON | ECHO);
		raw.c_cc[VMIN] = 1;
		raw.c_cc[VTIME] = 0;
		top_tty_in = tcsetattr(STDIN_FILENO, TCSANOW, &raw) == 0;
	}
	if (top_tty_out)
		fputs("\033[?1049h\033[?25l\033[H\033[J", stdout);
}

/* Wait up to ms for a key; true when it says quit. */
static bool
top_key(int ms)
{
	struct pollfd pfd = { STDIN_FILENO, POLLIN, 0 };
	char c;

	if (!top_tty_in) {
		poll(NULL, 0, ms);
		return false;
	}
	if (poll(&pfd, 1, ms) <= 0)
		return false;
	if (read(STDIN_FILENO, &c, 1) != 1)
		return false;
	return c == 'q' || c == 'Q' || c == 3;
}

int
top_run(const char *path)
{
	struct top_sample *s;
	const char *why = NULL;
	double next;
	int fd, cur = 0, ms, rc = 0;
	bool have = false;

	if ((fd = statsreq_open(path, &why)) == -1) {
		fprintf(stderr, "asynclog: cannot reach asynclogd at %s: %s\n",
		    path, why);
		return 1;
	}
	if ((s = calloc(2, sizeof(*s))) == NULL) {
		perror("asynclog");
		close(fd);
		return 1;
	}
	top_setup();
	while (!top_stop) {
		if (top_sample(fd, &s[cur], &why) == -1) {
			rc = 1;
			break;
		}
		top_show(path, &s[cur], have ? &s[!cur] : NULL);
		have = true;
		cur = !cur;
		next = s[!cur].mono + 1;
		while (!top_stop && (ms = (int)((next - top_mono()) * 1000)) > 0)
			if (top_key(ms))
				top_stop = 1;
	}
	top_restore();
	if (rc != 0)
		fprintf(stderr, "asynclog: asynclogd at %s: %s\n", path, why);
	free(s);
	close(fd);
	return rc;
}
