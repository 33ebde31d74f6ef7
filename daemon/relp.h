/* SPDX-License-Identifier: ISC */
/*
 * relp.h: one RELP session to a collector (rsyslog's imrelp, ...) through
 * librelp, optionally inside librelp's TLS. Runs on a forwarder's thread
 * only: librelp's client calls block (connect, a full window, close), which
 * is why it never runs on the loop.
 *
 * What librelp does not say is which messages the peer acknowledged. Two
 * facts of the protocol give it to us exactly enough:
 *  - a send returns only once at most RELP_WINDOW messages are
 *    unacknowledged, and a collector answers in order, so after the n-th
 *    send of a session, messages 1 .. n - RELP_WINDOW are acknowledged;
 *  - a clean close (the collector answered "close") comes after the answer
 *    to every message before it: all are acknowledged.
 * forward.c counts records written from those two facts, and after a
 * broken session sends again the last RELP_WINDOW at most (what may be
 * duplicated at the collector).
 */
#ifndef ASYNCLOG_RELP_H
#define ASYNCLOG_RELP_H

#include <stdbool.h>
#include <stddef.h>

#include "config.h"

#define RELP_WINDOW	128	/* messages unacknowledged at most (librelp's
				 * default) */
#define RELP_TIMEOUT_S	10	/* an answer that does not come in this long
				 * breaks the session */
#define RELP_CONNECT_S	5	/* connect, TLS handshake and "open" */

struct relp;

/* Connect to conf->host:conf->port, with TLS when conf has a CA file (the
 * collector's certificate must carry tls_peer_name). NULL with a reason in
 * err, and *tls_refused set when it was the TLS handshake or the
 * collector's certificate that failed. Once *stop is non-zero, every call
 * on the session gives up at once, and so does one waiting for an answer
 * as soon as a signal interrupts it: how a stop reaches a thread that
 * waits in librelp, where no wake-up of ours is seen. */
struct relp *relp_connect(const struct config_output *conf, int *stop,
	    bool *tls_refused, char *err, size_t errlen);

/* Send one syslog message: 0, or -1 with err once the session broke (call
 * relp_close then; nothing more can be sent on it). */
int	relp_send(struct relp *, const char *msg, size_t len, char *err,
	    size_t errlen);

/*
 * End the session and free it. On a session that did not break, a clean
 * close: returns 0 when the collector answered it (every message sent was
 * acknowledged), -1 with err otherwise (only the window rule holds).
 */
int	relp_close(struct relp *, char *err, size_t errlen);

#endif
