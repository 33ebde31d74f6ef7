/* SPDX-License-Identifier: ISC */
/*
 * test_kafka.c: type = "kafka" outputs. The config checks every new key
 * with file:line (librdkafka's own words for a property it refuses); the
 * integration tests send through the real asynclogd to librdkafka's mock
 * cluster, which runs in the test's own process on 127.0.0.1 (ports chosen
 * by the kernel), so the test can set its broker down and up again. What
 * arrived is read back with a real librdkafka consumer: every record once,
 * whole, as JSON, against the daemon's counters.
 *
 * Nothing here sends anywhere but 127.0.0.1.
 */
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>
#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

#include "asynclog.h"
#include "config.h"
#include "harness.h"

/* ---- Configuration ---- */

/* Lines 1-3; an output's own keys start on line 4. */
#define KFK_HEAD \
	"listen = { socket = \"s.sock\"; };\n"	\
	"outputs = (\n"				\
	"  { name = \"k\"; type = \"kafka\";\n"

/* The value the output's property list gives name, or NULL. */
static const char *
kfk_prop(const struct config_output *o, const char *name)
{
	const char *v = NULL;
	size_t i;

	for (i = 0; i < o->kafka->nprops; i++)
		if (strcmp(o->kafka->props[i].name, name) == 0)
			v = o->kafka->props[i].value;
	return v;
}

Test(kafka, config_kafka_output_is_json_keyless_and_idempotent)
{
	struct config *c = hd_conf_load(KFK_HEAD
	    "    brokers = \"b1:9092,b2:9092\"; topic = \"logs\"; } );\n");
	const struct config_output *o = &c->outputs[0];

	cr_assert_eq(o->type, CONFIG_OUTPUT_KAFKA);
	cr_assert_eq(o->format, FORMAT_JSON);
	cr_assert_str_eq(o->path, "kafka://b1:9092,b2:9092/logs");
	cr_assert_str_eq(o->kafka->brokers, "b1:9092,b2:9092");
	cr_assert_str_eq(o->kafka->topic, "logs");
	cr_assert_eq(o->kafka->key, CONFIG_KAFKA_KEY_NONE);
	cr_assert_str_eq(kfk_prop(o, "bootstrap.servers"), "b1:9092,b2:9092");
	cr_assert_str_eq(kfk_prop(o, "enable.idempotence"), "true");
	cr_assert_null(kfk_prop(o, "acks"));
	config_free(c);
}

Test(kafka, config_passes_acks_compression_and_properties_in_order)
{
	struct config *c = hd_conf_load(KFK_HEAD
	    "    brokers = \"b:9092\"; topic = \"logs\"; key = \"tag\";\n"
	    "    acks = 1; compression = \"gzip\";\n"
	    "    properties = ( \"queue.buffering.max.ms=5\",\n"
	    "      \"client.id=edge-7\" ); } );\n");
	const struct config_output *o = &c->outputs[0];
	struct config_output *copy;

	cr_assert_eq(o->kafka->key, CONFIG_KAFKA_KEY_TAG);
	cr_assert_str_eq(kfk_prop(o, "acks"), "1");
	cr_assert_str_eq(kfk_prop(o, "compression.codec"), "gzip");
	cr_assert_str_eq(kfk_prop(o, "queue.buffering.max.ms"), "5");
	cr_assert_str_eq(kfk_prop(o, "client.id"), "edge-7");
	/* acks = 1 cannot go with idempotence: not turned on. */
	cr_assert_null(kfk_prop(o, "enable.idempotence"));
	cr_assert_str_eq(o->kafka->props[o->kafka->nprops - 1].name,
	    "client.id");
	/* The threads' private copies carry all of it. */
	cr_assert_not_null(copy = config_output_dup(o));
	cr_assert_eq(copy->kafka->nprops, o->kafka->nprops);
	cr_assert_str_eq(kfk_prop(copy, "client.id"), "edge-7");
	config_output_free(copy);
	config_free(c);
}

Test(kafka, config_lets_the_properties_turn_idempotence_off)
{
	struct config *c = hd_conf_load(KFK_HEAD
	    "    brokers = \"b:9092\"; topic = \"logs\"; acks = \"all\";\n"
	    "    properties = ( \"enable.idempotence=false\" ); } );\n");

	cr_assert_str_eq(kfk_prop(&c->outputs[0], "enable.idempotence"),
	    "false");
	config_free(c);
}

Test(kafka, config_rejects_missing_brokers_or_topic_with_the_line)
{
	hd_conf_load_fails(KFK_HEAD "    topic = \"logs\"; } );\n",
	    "t.conf:3: output 'k': brokers = \"host:port,...\" is required "
	    "for type \"kafka\"");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; } );\n",
	    "t.conf:3: output 'k': topic = \"...\" is required for type "
	    "\"kafka\"");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\";\n"
	    "    topic = \"no/slash\"; } );\n",
	    "t.conf:5: output 'k': bad topic 'no/slash'");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"\"; topic = \"t\"; } );\n",
	    "t.conf:4: output 'k': brokers = \"host:port,...\" is required");
}

Test(kafka, config_rejects_a_bad_key_acks_or_compression)
{
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    key = \"pid\"; } );\n",
	    "t.conf:5: output 'k': key: unknown value 'pid' (\"host\", "
	    "\"tag\" or \"none\")");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    acks = 2; } );\n",
	    "t.conf:5: output 'k': acks: unknown value '2'");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    compression = \"brotli\"; } );\n",
	    "t.conf:5: output 'k': compression: unknown value 'brotli'");
}

Test(kafka, config_rejects_a_property_librdkafka_refuses_in_its_words)
{
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    properties = (\n"
	    "      \"queue.buffering.max.ms=5\",\n"
	    "      \"no.such.property=1\" ); } );\n",
	    "t.conf:7: output 'k': No such configuration property: "
	    "\"no.such.property\"");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    properties = ( \"message.timeout.ms=soon\" ); } );\n",
	    "t.conf:5: output 'k': Invalid value for configuration property "
	    "\"message.timeout.ms\"");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    properties = ( \"linger.ms\" ); } );\n",
	    "t.conf:5: output 'k': properties: bad 'linger.ms' "
	    "(\"name=value\"");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    properties = ( \"delivery.report.only.error=true\" ); } );\n",
	    "t.conf:5: output 'k': properties: 'delivery.report.only.error' "
	    "is not passed through: the counters need every delivery report");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    properties = ( \"bootstrap.servers=x:1\" ); } );\n",
	    "t.conf:5: output 'k': properties: 'bootstrap.servers' is not "
	    "passed through: use brokers");
}

Test(kafka, config_rejects_other_formats_keys_and_a_shared_topic)
{
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    format = \"text\"; } );\n",
	    "t.conf:5: output 'k': a kafka output's records are JSON");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    target = \"h:514\"; } );\n",
	    "t.conf:5: output 'k': 'target' applies to forward outputs only");
	hd_conf_load_fails(KFK_HEAD "    brokers = \"b:9092\"; topic = \"t\";\n"
	    "    path = \"x.log\"; } );\n",
	    "t.conf:5: output 'k': 'path' applies to file outputs only, not "
	    "to type \"kafka\"");
	hd_conf_load_fails("listen = { socket = \"s.sock\"; };\n"
	    "outputs = ( { name = \"f\"; path = \"f.log\";\n"
	    "    topic = \"t\"; } );\n",
	    "t.conf:3: output 'f': 'topic' applies to kafka outputs only "
	    "(type = \"kafka\")");
	hd_conf_load_fails(KFK_HEAD
	    "    brokers = \"b:9092\"; topic = \"t\"; },\n"
	    "  { name = \"j\"; type = \"kafka\"; brokers = \"b:9092\";\n"
	    "    topic = \"t\"; } );\n",
	    "t.conf:6: output 'j': topic 't' on brokers 'b:9092' is already "
	    "used by output 'k'");
}

/* ---- A mock cluster in this process ---- */

#define TOPIC		"asynclog-test"
#define NPART		4
#define REC_TAG		"kafkatest"
#define REC_PAD		HD_SEQ_PAD
/* Records per test stay below what one partition of the mock keeps (all
 * go to one: they share a key), about 5 MB, or about 15000 of ours. */

struct mock {
	rd_kafka_t	*rk;		/* the handle the cluster hangs on */
	rd_kafka_mock_cluster_t *mc;
	char		 bootstraps[256];
};

static struct hd d;
static struct mock mk;
/* Records from this seq on are keyed by host, not by tag (a reload). */
static long host_keyed_from = -1;

/* One broker on 127.0.0.1 (the mock binds loopback only). */
static void
mock_start(struct mock *m)
{
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	char err[256];

	memset(m, 0, sizeof(*m));
	cr_assert_eq(rd_kafka_conf_set(conf, "log_level", "0", err,
	    sizeof(err)), RD_KAFKA_CONF_OK, "%s", err);
	cr_assert_not_null(m->rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err,
	    sizeof(err)), "%s", err);
	cr_assert_not_null(m->mc = rd_kafka_mock_cluster_new(m->rk, 1));
	snprintf(m->bootstraps, sizeof(m->bootstraps), "%s",
	    rd_kafka_mock_cluster_bootstraps(m->mc));
	cr_assert(strncmp(m->bootstraps, "127.0.0.1:", 10) == 0,
	    "mock cluster not on loopback: %s", m->bootstraps);
	cr_assert_eq(rd_kafka_mock_topic_create(m->mc, TOPIC, NPART, 1),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void
mock_stop(struct mock *m)
{
	if (m->mc != NULL)
		rd_kafka_mock_cluster_destroy(m->mc);
	if (m->rk != NULL)
		rd_kafka_destroy(m->rk);
	memset(m, 0, sizeof(*m));
}

/* The broker goes away (its connections closed, new ones refused) or
 * comes back. */
static void
broker_set(bool up)
{
	cr_assert_eq(up ? rd_kafka_mock_broker_set_up(mk.mc, 1) :
	    rd_kafka_mock_broker_set_down(mk.mc, 1),
	    RD_KAFKA_RESP_ERR_NO_ERROR);
}

static void
kafka_fini(void)
{
	hd_stop(&d);
	mock_stop(&mk);
}

/* The daemon's config: one kafka output "kfk" to the mock cluster. */
static void
daemon_conf(char *conf, size_t len, const char *key,
    const char *extra_buffer, const char *extra_output)
{
	snprintf(conf, len,
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "buffer = { flush_interval_ms = 50; %s };\n"
	    "shutdown = { drain_timeout_ms = 1000; };\n"
	    "outputs = ( { name = \"kfk\"; type = \"kafka\";\n"
	    "  brokers = \"%s\"; topic = \"" TOPIC "\"; key = \"%s\";\n"
	    "  properties = ( \"queue.buffering.max.ms=5\" %s ); } );\n",
	    extra_buffer, mk.bootstraps, key, extra_output);
}

static void
daemon_start(const char *extra_buffer, const char *extra_output)
{
	char conf[2048];

	daemon_conf(conf, sizeof(conf), "tag", extra_buffer, extra_output);
	hd_start(&d, conf);
}

/* What the topic holds, read with a real consumer: how often each seq
 * arrived; every message is checked to be one whole JSON record. */
struct tally {
	long	 total;
	long	 unique;
	long	 dups;
};

/* Messages in the topic, from the partitions' watermarks. */
static long
topic_size(rd_kafka_t *c)
{
	int64_t lo, hi;
	long n = 0;
	int p;

	for (p = 0; p < NPART; p++) {
		cr_assert_eq(rd_kafka_query_watermark_offsets(c, TOPIC, p, &lo,
		    &hi, 10000), RD_KAFKA_RESP_ERR_NO_ERROR);
		/* The mock keeps about 5 MB per partition and then drops
		 * the oldest: the tests stay below that. */
		cr_assert_eq(lo, 0, "the mock cluster pruned partition %d", p);
		n += (long)(hi - lo);
	}
	return n;
}

static void
check_message(const rd_kafka_message_t *m, long n, long *seq)
{
	const char *s = m->payload;
	char want[256], *msg;
	size_t len = m->len;

	cr_assert(len > 2 && s[0] == '{' && s[len - 1] == '}',
	    "not a JSON object: %.*s", (int)len, s);
	cr_assert_null(memchr(s, '\n', len), "a newline in a message");
	msg = strndup(s, len);
	cr_assert(strncmp(msg, "{\"time\":\"", 9) == 0, "%s", msg);
	cr_assert_not_null(strstr(msg, ",\"tag\":\"" REC_TAG "\","), "%s", msg);
	cr_assert_not_null(strstr(msg, ",\"message\":\"seq="), "%s", msg);
	cr_assert_eq(sscanf(strstr(msg, ",\"message\":\"seq=") + 16, "%7ld",
	    seq), 1, "%s", msg);
	cr_assert(*seq >= 0 && *seq < n, "unknown record: %s", msg);
	snprintf(want, sizeof(want), ",\"message\":\"seq=%07ld " REC_PAD
	    " end\"}", *seq);
	cr_assert(len >= strlen(want) &&
	    strcmp(msg + len - strlen(want), want) == 0, "torn record: %s",
	    msg);
	/* key = "tag", or "host" after a reload */
	if (host_keyed_from >= 0 && *seq >= host_keyed_from) {
		cr_assert_eq(gethostname(want, sizeof(want)), 0);
		cr_assert_eq(m->key_len, strlen(want), "seq %ld", *seq);
		cr_assert_eq(memcmp(m->key, want, m->key_len), 0);
	} else {
		cr_assert_eq(m->key_len, strlen(REC_TAG), "seq %ld", *seq);
		cr_assert_eq(memcmp(m->key, REC_TAG, m->key_len), 0);
	}
	free(msg);
}

static struct tally
topic_tally(long n)
{
	struct tally t = { 0, 0, 0 };
	unsigned char *seen = calloc((size_t)n, 1);
	rd_kafka_conf_t *conf = rd_kafka_conf_new();
	rd_kafka_topic_partition_list_t *parts;
	rd_kafka_message_t *m;
	rd_kafka_t *c;
	long long deadline = hd_now_ms() + 30000;
	char err[256];
	long size, seq;
	int p;

	cr_assert_not_null(seen);
	cr_assert_eq(rd_kafka_conf_set(conf, "bootstrap.servers", mk.bootstraps,
	    err, sizeof(err)), RD_KAFKA_CONF_OK);
	cr_assert_eq(rd_kafka_conf_set(conf, "group.id", "asynclog-test", err,
	    sizeof(err)), RD_KAFKA_CONF_OK);
	cr_assert_eq(rd_kafka_conf_set(conf, "enable.auto.commit", "false",
	    err, sizeof(err)), RD_KAFKA_CONF_OK);
	cr_assert_eq(rd_kafka_conf_set(conf, "log_level", "0", err,
	    sizeof(err)), RD_KAFKA_CONF_OK);
	cr_assert_not_null(c = rd_kafka_new(RD_KAFKA_CONSUMER, conf, err,
	    sizeof(err)), "%s", err);
	size = topic_size(c);
	parts = rd_kafka_topic_partition_list_new(NPART);
	for (p = 0; p < NPART; p++)
		rd_kafka_topic_partition_list_add(parts, TOPIC, p)->offset =
		    RD_KAFKA_OFFSET_BEGINNING;
	cr_assert_eq(rd_kafka_assign(c, parts), RD_KAFKA_RESP_ERR_NO_ERROR);
	rd_kafka_topic_partition_list_destroy(parts);
	while (t.total < size && hd_now_ms() < deadline) {
		if ((m = rd_kafka_consumer_poll(c, 200)) == NULL)
			continue;
		if (m->err == RD_KAFKA_RESP_ERR_NO_ERROR) {
			check_message(m, n, &seq);
			t.total++;
			if (seen[seq]++)
				t.dups++;
			else
				t.unique++;
		}
		rd_kafka_message_destroy(m);
	}
	cr_assert_eq(t.total, size, "read %ld of the %ld messages in the "
	    "topic", t.total, size);
	rd_kafka_destroy(c);
	free(seen);
	return t;
}

static bool
written_reaches(struct hd *dd, void *arg)
{
	return hd_stat(dd, "outputs.kfk.written") >= *(long *)arg;
}

static bool
settled(struct hd *dd, void *arg)
{
	(void)arg;
	return hd_stat(dd, "outputs.kfk.buffered") == 0;
}

static bool
state_is(struct hd *dd, void *state)
{
	char *json = hd_stats(dd), want[64];
	bool yes;

	snprintf(want, sizeof(want), "\"state\":\"%s\"", (char *)state);
	yes = json != NULL && strstr(json, want) != NULL;
	free(json);
	return yes;
}

static void
check_balanced(long n)
{
	char *json = hd_stats(&d);

	cr_assert_not_null(json);
	cr_assert_eq(json_number(json, "outputs.kfk.received"), n, "%s", json);
	cr_assert(strstr(json, "\"balanced\":false") == NULL, "%s", json);
	free(json);
}

Test(kafka, delivers_every_record_once_whole_and_acknowledged,
    .fini = kafka_fini, .timeout = 90)
{
	struct tally t;
	long n = 10000;
	long long start;

	mock_start(&mk);
	daemon_start("", "");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));

	start = hd_now_ms();
	hd_send_seq(&d, REC_TAG, 0, n, true);
	cr_assert(hd_wait(written_reaches, &d, &n, 40000), "written < %ld", n);
	cr_log_info("%ld records acknowledged by the mock cluster in %lld ms",
	    n, hd_now_ms() - start);
	t = topic_tally(n);
	cr_assert_eq(t.unique, n, "%ld of %ld records in the topic (%ld "
	    "messages)", t.unique, n, t.total);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
	cr_assert_eq(hd_stat(&d, "outputs.kfk.written"), n);
	cr_assert_eq(hd_stat(&d, "outputs.kfk.dropped.undelivered"), 0);
	cr_assert(hd_log_mentions(&d, "output kfk: connected to kafka://"));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

Test(kafka, a_broker_down_and_up_again_loses_nothing_uncounted,
    .fini = kafka_fini, .timeout = 120)
{
	struct hd_pacer p;
	struct tally t;
	long n = 12000, quarter = n / 4, written, dropped;

	mock_start(&mk);
	daemon_start("", "");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));

	hd_pacer_start(&p, &d, REC_TAG, n);
	cr_assert(hd_wait(written_reaches, &d, &quarter, 30000));
	broker_set(false);
	cr_assert(hd_wait(state_is, &d, "backing_off", 30000), "%s",
	    hd_stats(&d));
	broker_set(true);
	hd_pacer_join(&p);

	cr_assert(hd_wait(settled, &d, NULL, 60000));
	check_balanced(n);
	written = hd_stat(&d, "outputs.kfk.written");
	dropped = hd_stat(&d, "outputs.kfk.dropped.undelivered");
	cr_assert_eq(written + dropped, n);
	t = topic_tally(n);
	cr_log_info("broker down mid-stream: %ld written, %ld undelivered, "
	    "%ld in the topic, %ld twice", written, dropped, t.unique, t.dups);
	/* Whatever was acknowledged is there, once (idempotent producer). */
	cr_assert_geq(t.unique, written);
	cr_assert_eq(t.dups, 0);
	cr_assert_eq(dropped, 0, "the outage was shorter than "
	    "message.timeout.ms");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));
	cr_assert_eq(hd_log_count(&d, "output kfk: cannot deliver to "
	    "kafka://"), 1, "%s", file_read(d.errlog, NULL));
	cr_assert_eq(hd_log_count(&d, "output kfk: delivering to kafka://"), 1,
	    "%s", file_read(d.errlog, NULL));
}

Test(kafka, an_outage_longer_than_the_buffer_counts_its_drops_exactly,
    .fini = kafka_fini, .timeout = 120)
{
	struct tally t;
	long n = 5000, written, overflow;
	char *json;

	mock_start(&mk);
	/* Two 8K chunks: room for about forty records. */
	daemon_start("chunk_size = \"8K\"; max_memory = \"16K\"; "
	    "overflow = \"drop\";", "");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));
	broker_set(false);
	cr_assert(hd_wait(state_is, &d, "backing_off", 30000));

	hd_send_seq(&d, REC_TAG, 0, n, false);
	json = hd_stats(&d);
	overflow = json_number(json, "outputs.kfk.dropped.overflow");
	cr_assert_gt(overflow, 0, "%s", json);
	cr_assert_eq(json_number(json, "outputs.kfk.written") +
	    json_number(json, "outputs.kfk.buffered") + overflow, n, "%s",
	    json);
	cr_assert(strstr(json, "\"balanced\":false") == NULL, "%s", json);
	free(json);

	broker_set(true);
	cr_assert(hd_wait(settled, &d, NULL, 60000));
	written = hd_stat(&d, "outputs.kfk.written");
	cr_assert_eq(written + overflow, n);
	cr_assert_eq(hd_stat(&d, "outputs.kfk.dropped.undelivered"), 0);
	t = topic_tally(n);
	cr_assert_eq(t.unique, written);
	cr_assert_eq(t.dups, 0);
	check_balanced(n);
}

static bool
some_undelivered(struct hd *dd, void *arg)
{
	(void)arg;
	return hd_stat(dd, "outputs.kfk.dropped.undelivered") > 0;
}

Test(kafka, records_librdkafka_gives_up_on_are_counted_undelivered,
    .fini = kafka_fini, .timeout = 90)
{
	struct tally t;
	long n = 300, written, undelivered;
	char *json;

	mock_start(&mk);
	/* 8K chunks: full ones go to librdkafka during the outage (and time
	 * out there), the last partial one waits in the output. */
	daemon_start("chunk_size = \"8K\"; max_memory = \"256K\";",
	    ", \"message.timeout.ms=1500\"");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));
	broker_set(false);
	cr_assert(hd_wait(state_is, &d, "backing_off", 30000));

	hd_send_seq(&d, REC_TAG, 0, n, true);
	cr_assert(hd_wait(some_undelivered, &d, NULL, 30000));
	json = hd_stats(&d);
	cr_assert_eq(json_number(json, "outputs.kfk.written"), 0, "%s", json);
	cr_assert(strstr(json, "\"state\":\"backing_off\"") != NULL, "%s",
	    json);
	cr_assert(strstr(json, "\"balanced\":false") == NULL, "%s", json);
	free(json);

	broker_set(true);
	cr_assert(hd_wait(settled, &d, NULL, 30000));
	check_balanced(n);
	written = hd_stat(&d, "outputs.kfk.written");
	undelivered = hd_stat(&d, "outputs.kfk.dropped.undelivered");
	cr_assert_eq(written + undelivered, n);
	cr_assert_gt(undelivered, 0);
	t = topic_tally(n);
	cr_assert_eq(t.unique, written);
	cr_assert_eq(t.dups, 0);
	/* One outage, said once, with what it cost (records it had doomed
	 * that time out just after it ended are counted, not said again). */
	cr_assert(hd_wait(state_is, &d, "connected", 20000));
	cr_assert_eq(hd_log_count(&d, "output kfk: cannot deliver to "
	    "kafka://"), 1, "%s", file_read(d.errlog, NULL));
	cr_assert(hd_log_mentions(&d, "records failed meanwhile)"), "%s",
	    file_read(d.errlog, NULL));
}

Test(kafka, records_a_broker_refuses_are_counted_undelivered_at_once,
    .fini = kafka_fini, .timeout = 60)
{
	struct tally t;
	long n = 200, written, undelivered;
	char said[128];

	mock_start(&mk);
	daemon_start("", "");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));
	/* The next produce request is refused for good (0 is Produce's
	 * ApiKey). */
	rd_kafka_mock_push_request_errors(mk.mc, 0, 1,
	    RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED);
	hd_send_seq(&d, REC_TAG, 0, n, true);
	cr_assert(hd_wait(settled, &d, NULL, 30000));
	check_balanced(n);
	written = hd_stat(&d, "outputs.kfk.written");
	undelivered = hd_stat(&d, "outputs.kfk.dropped.undelivered");
	cr_assert_gt(undelivered, 0);
	cr_assert_eq(written + undelivered, n);
	t = topic_tally(n);
	cr_assert_eq(t.unique, written);
	cr_assert_eq(t.dups, 0);
	cr_assert(hd_log_mentions(&d, "Topic authorization failed"), "%s",
	    file_read(d.errlog, NULL));
	cr_assert_eq(hd_log_count(&d, "output kfk: cannot deliver to "
	    "kafka://"), 1, "%s", file_read(d.errlog, NULL));
	/* The next records go, and the end of the trouble is said. */
	hd_send_seq(&d, REC_TAG, n, 1, true);
	snprintf(said, sizeof(said), "(%ld records failed meanwhile)",
	    undelivered);
	cr_assert(hd_wait(hd_log_mentions, &d, said, 20000), "%s",
	    file_read(d.errlog, NULL));
}

Test(kafka, stopping_during_an_outage_counts_what_never_went,
    .fini = kafka_fini, .timeout = 60)
{
	long n = 100;

	mock_start(&mk);
	daemon_start("", "");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));
	broker_set(false);
	cr_assert(hd_wait(state_is, &d, "backing_off", 30000));
	hd_send_seq(&d, REC_TAG, 0, n, true);
	cr_assert_eq(hd_stat(&d, "outputs.kfk.buffered"), n);
	cr_assert_eq(hd_signal(&d, SIGTERM, 20000), 0);
	cr_assert(hd_log_mentions(&d, "output kfk: stopping; 100 records were "
	    "not delivered to kafka://"), "%s", file_read(d.errlog, NULL));
}

Test(kafka, unreachable_brokers_do_not_stop_the_start, .fini = kafka_fini,
    .timeout = 60)
{
	char conf[1024];

	/* Port 1 on loopback: nobody listens there. */
	snprintf(conf, sizeof(conf),
	    "listen = { socket = \"@DIR@/asynclog.sock\"; };\n"
	    "outputs = ( { name = \"kfk\"; type = \"kafka\";\n"
	    "  brokers = \"127.0.0.1:1\"; topic = \"t\"; } );\n");
	hd_start(&d, conf);
	cr_assert(hd_wait(hd_log_mentions, &d, "output kfk: cannot deliver to "
	    "kafka://127.0.0.1:1/t", 20000), "%s", file_read(d.errlog, NULL));
	cr_assert(state_is(&d, "backing_off"));
}

static void
reload(const char *key, const char *extra_output)
{
	char conf[2048];
	size_t off = hd_log_size(&d);

	daemon_conf(conf, sizeof(conf), key, "", extra_output);
	hd_write_conf(&d, conf);
	kill(d.pid, SIGHUP);
	cr_assert(hd_log_since(&d, off, "configuration reloaded", 10000));
}

Test(kafka, a_reload_applies_new_settings_or_keeps_what_librdkafka_refuses,
    .fini = kafka_fini, .timeout = 90)
{
	struct tally t;
	long n = 100, two = 2 * n, three = 3 * n;
	size_t off;

	mock_start(&mk);
	daemon_start("", "");
	cr_assert(hd_wait(state_is, &d, "connected", 20000));
	hd_send_seq(&d, REC_TAG, 0, n, true);
	cr_assert(hd_wait(written_reaches, &d, &n, 30000));

	/* A new key at once, new properties on a new producer. */
	reload("host", ", \"client.id=reloaded\"");
	hd_send_seq(&d, REC_TAG, n, n, true);
	cr_assert(hd_wait(written_reaches, &d, &two, 30000));

	/* Each property is fine alone, librdkafka refuses the two together:
	 * the producer and the settings from before stay. */
	off = hd_log_size(&d);
	reload("host", ", \"enable.idempotence=true\", \"max.in.flight=10\"");
	cr_assert(hd_log_since(&d, off, "keeping the settings loaded before",
	    10000), "%s", file_read(d.errlog, NULL));
	hd_send_seq(&d, REC_TAG, two, n, true);
	cr_assert(hd_wait(written_reaches, &d, &three, 30000));
	cr_assert(hd_wait(settled, &d, NULL, 30000));

	host_keyed_from = n;
	t = topic_tally(three);
	cr_assert_eq(t.unique, three);
	cr_assert_eq(t.dups, 0);
	check_balanced(three);
}

Test(kafka, settings_librdkafka_refuses_together_stop_the_start,
    .fini = kafka_fini, .timeout = 30)
{
	char conf[2048];

	mock_start(&mk);
	daemon_conf(conf, sizeof(conf), "tag", "",
	    ", \"enable.idempotence=true\", \"max.in.flight=10\"");
	hd_prepare(&d, conf);
	cr_assert_eq(hd_start_fails(&d), 1);
	cr_assert(hd_log_mentions(&d, "output kfk: "), "%s",
	    file_read(d.errlog, NULL));
	cr_assert(hd_log_mentions(&d, "max.in.flight"), "%s",
	    file_read(d.errlog, NULL));
}
