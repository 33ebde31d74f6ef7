/*
 * forward.h: the thread that sends one output's records to a collector
 * (rsyslog, syslog-ng, ...) over TCP, TLS or RELP, optionally through a
 * disk spool.
 *
 * The forward kind of sink (sink.h). Each formatted line of a chunk is one
 * syslog message, framed with RFC 6587 octet counting ("LEN SP MSG", the
 * newline left out) and sent on a connection the thread keeps open. Name
 * lookup, connect, the TLS handshake and every send happen on this thread,
 * never on the loop.
 *
 * Written means handed to the kernel (TCP) or to the TLS session. When the
 * connection breaks mid-chunk, the records sent whole count as written and
 * the rest go again, whole, on the next connection; what the kernel still
 * held when the peer vanished is lost (or, when the peer had read it,
 * delivered twice). Nothing acknowledges plain syslog.
 *
 * Over RELP (relp.h) each record is one message and written means
 * acknowledged: a chunk waits in the thread (sent) until all of its
 * records are known acknowledged, and after a broken session the ones
 * that may not be (the window) go again.
 *
 * With a spool (spool.h) every chunk goes into it as the thread takes it
 * and back to the loop at once (its records still buffered); the thread
 * sends from the spool in chunks of its own and removes what was written.
 *
 * Outage: the thread retries with back-off (FORWARD_RETRY_MIN_MS doubling
 * to FORWARD_RETRY_MAX_MS); chunks wait in its queue meanwhile, so the
 * output's chunk pool is the bound and the loop applies backpressure or
 * counts overflow exactly as for a full disk. It logs once when an outage
 * begins and once when it ends (a new connection that lasted
 * FORWARD_SETTLE_MS), never per attempt, and publishes the state (backing
 * off since, last error) through the sink's dropping() op.
 */
#ifndef ASYNCLOG_FORWARD_H
#define ASYNCLOG_FORWARD_H

#include <stddef.h>

#include "config.h"

struct event;
struct sink;

#define FORWARD_RETRY_MIN_MS	100	/* first retry after a failure */
#define FORWARD_RETRY_MAX_MS	30000	/* the back-off's cap */
#define FORWARD_CONNECT_MS	5000	/* connect plus TLS handshake */
#define FORWARD_SETTLE_MS	1000	/* a new connection that lasts this long
					 * ends the outage */
#define FORWARD_STOP_MS		2000	/* at stop, time left to deliver the queue */
#define FORWARD_USER_TIMEOUT_MS	30000	/* data unacknowledged this long breaks
					 * the connection (TCP_USER_TIMEOUT) */

/*
 * Start the thread, which keeps its own copy of conf, loads its TLS
 * credentials (the sink's open_state says whether they loaded) and
 * connects to conf->host:conf->port. An unreachable collector does not fail
 * the open: records wait while it retries. done is made active each time
 * chunks come back, the open result is known, or the thread ends. Returns
 * NULL with a message in err when the thread cannot be had.
 */
struct sink *forward_new(const struct config_output *conf, const char *host,
	    size_t chunk_size, struct event *done, char *err, size_t errlen);

#endif
