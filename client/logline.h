/*
 * logline.h: the syslog lines util-linux logger(1) writes, byte for byte,
 * for the asynclog command: the header of the local form (what glibc sends
 * to /dev/log), of RFC 3164 and of RFC 5424 with logger's timeQuality and
 * user structured data. Pure apart from reading the clock, the host name
 * and the kernel's NTP state.
 */
#ifndef ASYNCLOG_LOGLINE_H
#define ASYNCLOG_LOGLINE_H

#include <stdbool.h>
#include <stddef.h>

enum logline_format {
	LOGLINE_LOCAL,		/* "<PRI>Mmm dd hh:mm:ss TAG[PID]: " */
	LOGLINE_RFC3164,	/* the same with the host name after the time */
	LOGLINE_RFC5424,	/* "<PRI>1 TIME HOST TAG PID MSGID SD " */
};

struct logline_sd {
	char		*id;
	char		*params;	/* ' k="v"' each; "" none (omitted) */
};

struct logline {
	enum logline_format format;
	const char	*tag;
	long		 pid;		/* 0: none */
	const char	*msgid;		/* NULL: none */
	bool		 notime;	/* --rfc5424=notime (implies notq) */
	bool		 nohost;	/* --rfc5424=nohost */
	bool		 notq;		/* --rfc5424=notq */
	struct logline_sd *sd;		/* --sd-id elements, in order; owned */
	int		 nsd;
	bool		 sd_tq;		/* the user gave a timeQuality element */
};

/*
 * The header for priority into buf (NUL-terminated); its length, or -1
 * with a message in err when logger refuses the line (a tag over 48 bytes
 * in RFC 5424).
 */
int	logline_header(const struct logline *, int priority, char *buf,
	    size_t size, char *err, size_t errlen);

/* --sd-id and --sd-param, checked as logger does; -1 with err. */
int	logline_sd_id(struct logline *, const char *id, char *err,
	    size_t errlen);
int	logline_sd_param(struct logline *, const char *param, char *err,
	    size_t errlen);
void	logline_free(struct logline *);

#endif
