/*
 * logline.c: syslog headers as util-linux logger(1) 2.38 writes them, so
 * that `asynclog` in place of `logger` sends (and prints with -s) the same
 * bytes. The rules are logger's, written anew here; tests/test_logger.c
 * runs util-linux's own logger tests against both programs.
 */
#include <sys/timex.h>

#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>

#include "logline.h"

static const char *const logline_months[] = {
	"Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct",
	"Nov", "Dec"
};

static int __attribute__((format(printf, 3, 4)))
logline_err(char *err, size_t errlen, const char *fmt, ...)
{
	va_list	ap;

	va_start(ap, fmt);
	vsnprintf(err, errlen, fmt, ap);
	va_end(ap);
	return -1;
}

/* RFC 3164's "Mmm dd hh:mm:ss", the day padded with a space. */
static void
logline_time3164(const struct tm *tm, char *buf, size_t size)
{
	snprintf(buf, size, "%s %2d %2.2d:%2.2d:%2.2d",
	    logline_months[tm->tm_mon], tm->tm_mday, tm->tm_hour, tm->tm_min,
	    tm->tm_sec);
}

/* RFC 3339 with microseconds and the zone as +hh:mm. */
static void
logline_time5424(const struct timeval *tv, const struct tm *tm, char *buf,
    size_t size)
{
	char	date[32], zone[8];

	strftime(date, sizeof date, "%Y-%m-%dT%H:%M:%S", tm);
	strftime(zone, sizeof zone, "%z", tm);
	snprintf(buf, size, "%s.%06ld%.3s:%s", date, (long)tv->tv_usec, zone,
	    zone + 3);
}

/* logger's timeQuality element: synchronised when the kernel says so. */
static void
logline_tq(char *buf, size_t size)
{
	struct ntptimeval	ntv;

	if (ntp_gettime(&ntv) == TIME_OK)
		snprintf(buf, size, "[timeQuality tzKnown=\"1\" isSynced=\"1\" "
		    "syncAccuracy=\"%ld\"]", (long)ntv.maxerror);
	else
		snprintf(buf, size, "[timeQuality tzKnown=\"1\" "
		    "isSynced=\"0\"]");
}

static int
logline_5424(const struct logline *l, int priority, char *buf, size_t size,
    char *err, size_t errlen)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 stamp[64] = "-", host[256] = "-", pid[24] = "-";
	char		 tq[128] = "";
	size_t		 len, used;
	int		 i, n;
	bool		 sd = false;

	if (!l->notime) {
		gettimeofday(&tv, NULL);
		localtime_r(&tv.tv_sec, &tm);
		logline_time5424(&tv, &tm, stamp, sizeof stamp);
	}
	if (!l->nohost && gethostname(host, sizeof host) == -1)
		strcpy(host, "-");
	host[sizeof host - 1] = '\0';
	if (strlen(l->tag) > 48)
		return logline_err(err, errlen, "tag '%s' is too long",
		    l->tag);
	if (l->pid != 0)
		snprintf(pid, sizeof pid, "%ld", l->pid);
	if (!l->notime && !l->notq && !l->sd_tq) {
		logline_tq(tq, sizeof tq);
		sd = true;
	}
	n = snprintf(buf, size, "<%d>1 %s %s %s %s %s %s", priority, stamp,
	    host, l->tag, pid, l->msgid != NULL ? l->msgid : "-", tq);
	if (n < 0 || (size_t)n >= size)
		return logline_err(err, errlen, "header too long");
	used = (size_t)n;
	for (i = 0; i < l->nsd; i++) {
		if (*l->sd[i].params == '\0')
			continue;	/* logger leaves out empty elements */
		len = strlen(l->sd[i].id) + strlen(l->sd[i].params) + 2;
		if (used + len + 2 > size)
			return logline_err(err, errlen, "header too long");
		used += (size_t)snprintf(buf + used, size - used, "[%s%s]",
		    l->sd[i].id, l->sd[i].params);
		sd = true;
	}
	if (used + 3 > size)
		return logline_err(err, errlen, "header too long");
	if (!sd)
		buf[used++] = '-';
	buf[used++] = ' ';
	buf[used] = '\0';
	return (int)used;
}

int
logline_header(const struct logline *l, int priority, char *buf,
    size_t size, char *err, size_t errlen)
{
	struct timeval	 tv;
	struct tm	 tm;
	char		 stamp[32], host[256], pid[24] = "", *dot;
	int		 n;

	if (l->format == LOGLINE_RFC5424)
		return logline_5424(l, priority, buf, size, err, errlen);
	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	logline_time3164(&tm, stamp, sizeof stamp);
	if (l->pid != 0)
		snprintf(pid, sizeof pid, "[%ld]", l->pid);
	if (l->format == LOGLINE_LOCAL)
		n = snprintf(buf, size, "<%d>%s %s%s: ", priority, stamp,
		    l->tag, pid);
	else {
		if (gethostname(host, sizeof host) == -1)
			strcpy(host, "-");
		host[sizeof host - 1] = '\0';
		if ((dot = strchr(host, '.')) != NULL)
			*dot = '\0';
		n = snprintf(buf, size, "<%d>%.15s %s %.200s%s: ", priority,
		    stamp, host, l->tag, pid);
	}
	if (n < 0 || (size_t)n >= size)
		return logline_err(err, errlen, "header too long");
	return n;
}

/* RFC 5424 SD-ID: one of the IANA names, or NAME@ENTERPRISE-NUMBER. */
static bool
logline_sd_id_ok(const char *id)
{
	const char	*at = strchr(id, '@'), *p;
	bool		 digit = false;

	if (at == NULL)
		return strcmp(id, "timeQuality") == 0 ||
		    strcmp(id, "origin") == 0 || strcmp(id, "meta") == 0;
	if (at == id || at[1] == '\0')
		return false;
	for (p = at + 1; *p != '\0'; p++) {	/* digits, dot-separated */
		if (isdigit((unsigned char)*p))
			digit = true;
		else if (*p == '.' && digit && p[1] != '\0')
			digit = false;
		else
			return false;
	}
	for (p = id; p < at; p++) {
		if (*p == '[' || *p == '=' || *p == '"' || *p == '@' ||
		    isblank((unsigned char)*p) || iscntrl((unsigned char)*p))
			return false;
	}
	return true;
}

/* NAME="VALUE": in VALUE, '"' and ']' only escaped, '\' only before
 * one of [ ] " \ ; nothing after the closing quote. */
static bool
logline_sd_param_ok(const char *s)
{
	const char	*eq = strchr(s, '='), *p;

	if (eq == NULL || eq == s || eq[1] != '"')
		return false;
	for (p = eq + 2; *p != '\0'; p++) {
		if (*p == '\\') {
			if (strchr("[]\"\\", p[1]) == NULL || p[1] == '\0')
				return false;
			p++;
		} else if (*p == ']')
			return false;
		else if (*p == '"')
			return p[1] == '\0';
	}
	return false;
}

int
logline_sd_id(struct logline *l, const char *id, char *err, size_t errlen)
{
	struct logline_sd	*sd;
	int			 i;

	if (!logline_sd_id_ok(id))
		return logline_err(err, errlen, "invalid structured data ID: "
		    "'%s'", id);
	for (i = 0; i < l->nsd; i++)
		if (strcmp(l->sd[i].id, id) == 0)
			return logline_err(err, errlen, "structured data ID "
			    "'%s' is not unique", id);
	if ((sd = realloc(l->sd, (l->nsd + 1) * sizeof *sd)) == NULL)
		return logline_err(err, errlen, "out of memory");
	l->sd = sd;
	sd += l->nsd;
	if ((sd->id = strdup(id)) == NULL || (sd->params = strdup("")) ==
	    NULL) {
		free(sd->id);
		return logline_err(err, errlen, "out of memory");
	}
	l->nsd++;
	if (strcmp(id, "timeQuality") == 0)
		l->sd_tq = true;	/* the user's replaces logger's */
	return 0;
}

int
logline_sd_param(struct logline *l, const char *param, char *err,
    size_t errlen)
{
	struct logline_sd	*sd;
	char			*p;
	size_t			 len;

	if (!logline_sd_param_ok(param))
		return logline_err(err, errlen, "invalid structured data "
		    "parameter: '%s'", param);
	if (l->nsd == 0)
		return logline_err(err, errlen, "--sd-id was not specified "
		    "for --sd-param %s", param);
	sd = &l->sd[l->nsd - 1];
	len = strlen(sd->params);
	if ((p = realloc(sd->params, len + strlen(param) + 2)) == NULL)
		return logline_err(err, errlen, "out of memory");
	p[len] = ' ';
	strcpy(p + len + 1, param);
	sd->params = p;
	return 0;
}

void
logline_free(struct logline *l)
{
	int	i;

	for (i = 0; i < l->nsd; i++) {
		free(l->sd[i].id);
		free(l->sd[i].params);
	}
	free(l->sd);
	l->sd = NULL;
	l->nsd = 0;
}
