/* SPDX-License-Identifier: ISC */
/*
 * match.h: syslog.conf-style selectors that decide which records an output
 * takes. Compiled once at config time into a facility x severity bitmap, so
 * routing a record is one array lookup.
 *
 * Grammar (documented in asynclogd.conf(5)): selectors separated by ';',
 * each FACILITIES.SEVERITY where FACILITIES is '*' or a ','-list of names
 * (kern user mail daemon auth syslog lpr news uucp cron authpriv ftp, then
 * ntp security console solaris-cron for 12-15, local0..local7 for 16-23)
 * and SEVERITY is '*', 'none', a name (emerg alert crit err
 * warning notice info debug, plus the aliases panic error warn) meaning "this
 * or more severe", '=NAME' meaning exactly that one, '!NAME' meaning "less
 * severe than NAME only" (removes NAME and everything more severe), '!=NAME'
 * removes exactly NAME ('!*' removes everything, like 'none'). Later
 * selectors refine earlier ones, as in syslog.conf:
 * "*.info;mail.none;auth,authpriv.*". Blanks around names are ignored.
 */
#ifndef ASYNCLOG_MATCH_H
#define ASYNCLOG_MATCH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MATCH_NFACILITIES	24

struct match {
	uint8_t		 severities[MATCH_NFACILITIES];	/* bit s: severity s taken */
};

/*
 * Returns 0, or -1 with a message in err ("unknown facility 'mial'"); out is
 * written only on success.
 */
int	match_compile(const char *selector, struct match *out, char *err,
	    size_t errlen);
bool	match_record(const struct match *, int facility, int severity);

/* Name <-> number for facilities and severities; -1 when unknown. */
int	match_facility(const char *name, size_t len);
int	match_severity(const char *name, size_t len);
const char *match_facility_name(int facility);
const char *match_severity_name(int severity);

#endif
