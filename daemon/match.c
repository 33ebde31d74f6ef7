/* SPDX-License-Identifier: ISC */
/*
 * match.c: compile syslog.conf-style selectors ("*.info;mail.none") into a
 * facility x severity bitmap, and answer "does this output take this record".
 *
 * Pure: no I/O, no allocation, no global state that changes after start-up.
 * Compiled once at config time (config.c); match_record() runs on the loop
 * thread for every record and every output, so it is one array lookup.
 */
#include <stdio.h>
#include <string.h>

#include "match.h"

#define MATCH_NSEVERITIES	8
#define MATCH_ALL		0xff	/* every severity of a facility */

/*
 * Facility numbers are the syslog(3) codes divided by 8, so a record's
 * facility from the wire or an RFC 3164 PRI indexes these tables directly.
 * 12-15 have no portable name; we accept the names Linux and the BSDs use.
 */
static const char *match_facilities[MATCH_NFACILITIES] = {
	"kern", "user", "mail", "daemon", "auth", "syslog", "lpr", "news",
	"uucp", "cron", "authpriv", "ftp", "ntp", "security", "console",
	"solaris-cron", "local0", "local1", "local2", "local3", "local4",
	"local5", "local6", "local7",
};

static const char *match_severities[MATCH_NSEVERITIES] = {
	"emerg", "alert", "crit", "err", "warning", "notice", "info", "debug",
};

/* Old spellings syslog.conf(5) still accepts; never printed back. */
static const struct {
	const char	*name;
	int		 severity;
} match_severity_aliases[] = {
	{ "panic", 0 },
	{ "error", 3 },
	{ "warn", 4 },
};

static bool
match_eq(const char *name, const char *s, size_t len)
{
	return (strlen(name) == len && memcmp(name, s, len) == 0);
}

int
match_facility(const char *name, size_t len)
{
	int	i;

	for (i = 0; i < MATCH_NFACILITIES; i++) {
		if (match_eq(match_facilities[i], name, len))
			return (i);
	}
	return (-1);
}

int
match_severity(const char *name, size_t len)
{
	size_t	i;

	for (i = 0; i < MATCH_NSEVERITIES; i++) {
		if (match_eq(match_severities[i], name, len))
			return ((int)i);
	}
	for (i = 0; i < sizeof match_severity_aliases /
	    sizeof match_severity_aliases[0]; i++) {
		if (match_eq(match_severity_aliases[i].name, name, len))
			return (match_severity_aliases[i].severity);
	}
	return (-1);
}

const char *
match_facility_name(int facility)
{
	if (facility < 0 || facility >= MATCH_NFACILITIES)
		return (NULL);
	return (match_facilities[facility]);
}

const char *
match_severity_name(int severity)
{
	if (severity < 0 || severity >= MATCH_NSEVERITIES)
		return (NULL);
	return (match_severities[severity]);
}

bool
match_record(const struct match *m, int facility, int severity)
{
	if (facility < 0 || facility >= MATCH_NFACILITIES ||
	    severity < 0 || severity >= MATCH_NSEVERITIES)
		return (false);
	return ((m->severities[facility] & (1U << severity)) != 0);
}

/* Trim blanks on both ends of [*s, *s + *len). */
static void
match_trim(const char **s, size_t *len)
{
	while (*len > 0 && (**s == ' ' || **s == '\t')) {
		(*s)++;
		(*len)--;
	}
	while (*len > 0 && ((*s)[*len - 1] == ' ' || (*s)[*len - 1] == '\t'))
		(*len)--;
}

/*
 * One SEVERITY part -> which bits it names and whether it sets or clears
 * them. "none" and "!*" clear everything; '!' clears instead of setting.
 */
static int
match_parse_severity(const char *s, size_t len, uint8_t *bits, bool *clear,
    char *err, size_t errlen)
{
	bool	exact = false;
	int	sev;

	*clear = false;
	if (len > 0 && s[0] == '!') {
		*clear = true;
		s++;
		len--;
	}
	if (len > 0 && s[0] == '=') {
		exact = true;
		s++;
		len--;
	}
	if (len == 0) {
		snprintf(err, errlen, "missing severity");
		return (-1);
	}
	if (!exact && match_eq("*", s, len)) {
		*bits = MATCH_ALL;
		return (0);
	}
	if (!exact && !*clear && match_eq("none", s, len)) {
		*bits = MATCH_ALL;
		*clear = true;
		return (0);
	}
	if ((sev = match_severity(s, len)) == -1) {
		snprintf(err, errlen, "unknown severity '%.*s'", (int)len, s);
		return (-1);
	}
	if (exact)
		*bits = 1U << sev;
	else
		*bits = (uint8_t)((2U << sev) - 1);	/* and more severe */
	return (0);
}

/* One FACILITIES.SEVERITY selector, applied on top of what is in out. */
static int
match_apply(const char *s, size_t len, struct match *out, char *err,
    size_t errlen)
{
	const char	*dot, *fac, *end, *comma;
	size_t		 flen;
	uint8_t		 bits;
	bool		 clear;
	int		 f;
	struct match	 which;		/* facilities this selector names */

	if ((dot = memchr(s, '.', len)) == NULL) {
		snprintf(err, errlen, "missing '.' in '%.*s'", (int)len, s);
		return (-1);
	}
	end = s + len;
	if (match_parse_severity(dot + 1, (size_t)(end - dot - 1), &bits,
	    &clear, err, errlen) == -1)
		return (-1);

	/* Check every facility name before changing anything. */
	memset(&which, 0, sizeof which);
	for (fac = s; fac <= dot; fac = comma + 1) {
		if ((comma = memchr(fac, ',', (size_t)(dot - fac))) == NULL)
			comma = dot;
		flen = (size_t)(comma - fac);
		match_trim(&fac, &flen);
		if (flen == 0) {
			snprintf(err, errlen, "missing facility in '%.*s'",
			    (int)len, s);
			return (-1);
		}
		if (match_eq("*", fac, flen)) {
			memset(&which, 1, sizeof which);
			continue;
		}
		if ((f = match_facility(fac, flen)) == -1) {
			snprintf(err, errlen, "unknown facility '%.*s'",
			    (int)flen, fac);
			return (-1);
		}
		which.severities[f] = 1;
	}

	for (f = 0; f < MATCH_NFACILITIES; f++) {
		if (!which.severities[f])
			continue;
		if (clear)
			out->severities[f] &= (uint8_t)~bits;
		else
			out->severities[f] |= bits;
	}
	return (0);
}

/*
 * Selectors apply left to right, each refining the result so far, as in
 * syslog.conf. out is only written when the whole selector is valid.
 */
int
match_compile(const char *selector, struct match *out, char *err,
    size_t errlen)
{
	struct match	 m;
	const char	*s, *semi;
	size_t		 len;

	memset(&m, 0, sizeof m);
	s = selector;
	for (;;) {
		if ((semi = strchr(s, ';')) == NULL)
			semi = s + strlen(s);
		len = (size_t)(semi - s);
		match_trim(&s, &len);
		if (len == 0) {
			snprintf(err, errlen, "empty selector");
			return (-1);
		}
		if (match_apply(s, len, &m, err, errlen) == -1)
			return (-1);
		if (*semi == '\0')
			break;
		s = semi + 1;
	}
	*out = m;
	return (0);
}
