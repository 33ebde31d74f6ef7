/* SPDX-License-Identifier: ISC */
/*
 * kafkalib.h: librdkafka, loaded with dlopen(3) the first time a kafka
 * output needs it (config.c to check its properties, kafka.c to produce).
 *
 * Linked in, librdkafka and what it pulls (OpenSSL, SASL, compressors)
 * cost every daemon about 2.5 MB of resident memory at start, kafka
 * outputs or not; loaded on demand they cost only the daemons that use
 * them. The headers come from librdkafka-dev at build time; at run time
 * the library is librdkafka.so.1 (Debian package librdkafka1).
 *
 * Each field is the librdkafka function of the same name without its
 * rd_kafka_ prefix (kl->conf_set is rd_kafka_conf_set). Thread-safe.
 */
#ifndef ASYNCLOG_KAFKALIB_H
#define ASYNCLOG_KAFKALIB_H

#include <stddef.h>

#include <librdkafka/rdkafka.h>

#define KAFKALIB_SONAME	"librdkafka.so.1"

#define KAFKALIB_FUNCS(X)						\
	X(conf_new) X(conf_set) X(conf_destroy) X(conf_set_opaque)	\
	X(conf_set_dr_msg_cb) X(conf_set_error_cb) X(conf_set_log_cb)	\
	X(new) X(destroy) X(topic_new) X(topic_destroy) X(produce)	\
	X(poll) X(purge) X(outq_len) X(metadata) X(metadata_destroy)	\
	X(last_error) X(err2str) X(fatal_error) X(queue_get_main)	\
	X(queue_io_event_enable) X(queue_destroy)

struct kafkalib {
#define KAFKALIB_FIELD(f)	__typeof__(rd_kafka_##f) *f;
	KAFKALIB_FUNCS(KAFKALIB_FIELD)
#undef KAFKALIB_FIELD
};

/* The functions, loaded once for the process; NULL with why in err when
 * the library or one of them cannot be had. */
const struct kafkalib *kafkalib_load(char *err, size_t errlen);

#endif
