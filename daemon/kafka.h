/* SPDX-License-Identifier: ISC */
/*
 * kafka.h: the thread that produces one output's records to a Kafka topic
 * through librdkafka.
 *
 * The kafka kind of sink (sink.h). Each JSON line of a chunk is one Kafka
 * message (the newline left out), keyed by the record's host or tag or not
 * at all. librdkafka borrows the bytes from the chunk (no copy), so a chunk
 * goes back to the output only once every one of its messages has its
 * delivery report: written means acknowledged by the brokers (as acks
 * asks), and a message librdkafka gives up on (message.timeout.ms, a
 * broker's refusal) is dropped as "undelivered". Chunks come back in the
 * order they came, whatever order the partitions acknowledge in.
 *
 * Room: librdkafka holds at most queue.buffering.max.messages unacknowledged
 * messages; when its queue is full the thread stops taking chunks, so they
 * wait in the output's pool, and the loop applies backpressure or counts
 * overflow exactly as for a full disk.
 *
 * Outage: librdkafka reconnects by itself. The sink calls the output down
 * ("backing_off") when every broker is down or a delivery fails, and up
 * again at the next acknowledged record, or, with nothing in flight, when
 * a metadata request answers (asked every KAFKA_PROBE_MS). It logs once
 * when an outage begins and once when it ends; librdkafka's own log lines
 * (one per failed connection) are not passed on unless the properties ask
 * for its debug contexts.
 */
#ifndef ASYNCLOG_KAFKA_H
#define ASYNCLOG_KAFKA_H

#include <stddef.h>

#include "config.h"

struct event;
struct sink;

#define KAFKA_PROBE_MS	1000	/* an outage with nothing in flight: ask
				 * the brokers for metadata this often, each
				 * time waiting this long at most */
#define KAFKA_STOP_MS	2000	/* at stop, time left to deliver the queue */

/*
 * Start the thread, which keeps its own copy of conf and creates the
 * producer (the sink's open_state says whether librdkafka accepted the
 * settings). Unreachable brokers do not fail the open: records wait while
 * librdkafka retries. done is made active each time chunks come back, the
 * open result is known, or the thread ends. NULL with a message in err
 * when the thread cannot be had.
 */
struct sink *kafka_new(const struct config_output *conf, struct event *done,
	    char *err, size_t errlen);

#endif
