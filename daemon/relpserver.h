/* SPDX-License-Identifier: ISC */
/*
 * relpserver.h: RELP frames (the Reliable Event Logging Protocol that rsyslog's
 * omrelp speaks), the server's side: cut a frame out of a stream and write
 * the responses. Pure functions, no I/O, no allocation; conn.c runs the
 * session (open, syslog, close) and answers a syslog frame only once its
 * record is written (barrier.h).
 *
 *   FRAME = TXNR SP COMMAND SP DATALEN [SP DATA] LF
 *
 * TXNR and DATALEN are decimal (at most 9 digits), COMMAND 1 to 32 letters.
 * A response is a frame with command "rsp" and the transaction's TXNR,
 * its data a status code and text ("200 OK").
 */
#ifndef ASYNCLOG_RELPSERVER_H
#define ASYNCLOG_RELPSERVER_H

#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#define RELP_MAX_COMMAND	32
#define RELP_MAX_HEADER		(9 + 1 + RELP_MAX_COMMAND + 1 + 9 + 1)

struct relp_frame {
	uint32_t	 txnr;
	char		 command[RELP_MAX_COMMAND + 1];
	const char	*data;		/* into the caller's buffer */
	size_t		 len;		/* DATALEN */
	size_t		 header;	/* bytes before DATA */
};

/*
 * The next frame in buf[0..len): > 0 its size, with *f set, when it is
 * whole; 0 when more bytes are needed; RELP_FRAME_TOO_LARGE when its
 * header is whole and DATALEN is above max_data (then f->txnr, command,
 * len and header are set, and the frame takes f->header + f->len + 1
 * bytes, to be discarded); -1 when it is not RELP, with *why set.
 */
#define RELP_FRAME_TOO_LARGE	(-2)
ssize_t	relp_frame(const char *buf, size_t len, size_t max_data,
	    struct relp_frame *f, const char **why);

/* "TXNR rsp LEN DATA\n" for data of dlen bytes into dst (cap bytes);
 * its length, or 0 when it does not fit. */
size_t	relp_rsp(char *dst, size_t cap, uint32_t txnr, const char *data,
	    size_t dlen);

/* The answer to "open": what this server speaks. */
#define RELP_OPEN_OK	"200 OK\nrelp_version=0\nrelp_software=asynclogd\n" \
			"commands=syslog"
#define RELP_OK		"200 OK"

#endif
