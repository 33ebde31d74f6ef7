/*
 * stats.c: rendering of the counters for STATS replies and SIGUSR1.
 *
 * Totals are sums: every output's counters (a record routed to two outputs
 * counts once in each) plus the drops that happen before routing (malformed,
 * too_large, client, no_output), which are received and dropped in one step.
 * Each term balances, so the total does too.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "budget.h"
#include "format.h"
#include "output.h"
#include "route.h"
#include "counters.h"
#include "stats.h"
#include "task.h"

void
stats_total(const struct route *route, struct counters *total)
{
	*total = counters_input;
	counters_add(total, &counters_retired);
	route_total(route, total);
}

/* A growing string; on allocation failure it stays failed and yields NULL. */
struct stats_buf {
	char	*s;
	size_t	 len;
	size_t	 cap;
	bool	 failed;
};

static void __attribute__((format(printf, 2, 3)))
stats_printf(struct stats_buf *b, const char *fmt, ...)
{
	va_list ap;
	int n;
	char *ns;

	for (;;) {
		if (b->failed)
			return;
		va_start(ap, fmt);
		n = vsnprintf(b->s + b->len, b->cap - b->len, fmt, ap);
		va_end(ap);
		if (n < 0) {
			b->failed = true;
			return;
		}
		if ((size_t)n < b->cap - b->len) {
			b->len += n;
			return;
		}
		if ((ns = realloc(b->s, b->cap * 2 + n)) == NULL) {
			b->failed = true;
			return;
		}
		b->s = ns;
		b->cap = b->cap * 2 + n;
	}
}

static void
stats_counters(struct stats_buf *b, const struct counters *c, bool json)
{
	int r;

	if (json) {
		stats_printf(b, "\"received\":%llu,\"written\":%llu,"
		    "\"buffered\":%llu,\"dropped\":{",
		    (unsigned long long)c->received,
		    (unsigned long long)c->written,
		    (unsigned long long)c->buffered);
		for (r = 0; r < DROP_NREASONS; r++)
			stats_printf(b, "%s\"%s\":%llu", r ? "," : "",
			    counters_reason_name(r), (unsigned long long)c->dropped[r]);
		stats_printf(b, "},\"dropped_total\":%llu,\"balanced\":%s",
		    (unsigned long long)counters_dropped_total(c),
		    counters_balanced(c) ? "true" : "false");
		return;
	}
	stats_printf(b, " received=%llu written=%llu buffered=%llu",
	    (unsigned long long)c->received, (unsigned long long)c->written,
	    (unsigned long long)c->buffered);
	for (r = 0; r < DROP_NREASONS; r++)
		stats_printf(b, " dropped.%s=%llu", counters_reason_name(r),
		    (unsigned long long)c->dropped[r]);
}

/* JSON string of a config value (names and paths; escape to be safe). */
static void
stats_json_string(struct stats_buf *b, const char *s)
{
	char tmp[1024 * 6];
	ssize_t n = format_escape_json(s, strlen(s) > 1024 ? 1024 : strlen(s),
	    tmp, sizeof(tmp));

	stats_printf(b, "\"%.*s\"", (int)(n < 0 ? 0 : n), tmp);
}

static void
stats_time(struct stats_buf *b, int64_t ns, bool json)
{
	char t[64];
	ssize_t n;

	if (ns == 0 || (n = format_time(ns, t, sizeof(t))) < 0)
		stats_printf(b, json ? "null" : "-");
	else
		stats_printf(b, json ? "\"%.*s\"" : "%.*s", (int)n, t);
}

static char *
stats_render_human(const struct route *route, bool json)
{
	struct stats_buf b = { NULL, 0, 0, false };
	struct counters total;
	struct output *o;
	unsigned i;
	const char *reason, *state;
	int64_t since;
	enum output_state st;
	uint64_t sp_bytes, sp_records;
	const char *last;
	int64_t last_ns;
	bool dropping;

	if ((b.s = malloc(4096)) == NULL)
		return NULL;
	b.cap = 4096;
	stats_total(route, &total);

	if (json) {
		stats_printf(&b, "{\"version\":\"%s\",\"pid\":%ld,\"started\":",
		    ASYNCLOG_VERSION_STRING, (long)getpid());
		stats_time(&b, counters_start_ns, true);
		stats_printf(&b, ",\"clients\":%llu,\"connections\":%llu,"
		    "\"refused\":%llu,\"client_memory\":%zu,"
		    "\"client_memory_peak\":%zu,\"tasks\":%u,\"total\":{",
		    (unsigned long long)counters_clients,
		    (unsigned long long)counters_connections,
		    (unsigned long long)counters_refused, counters_client_memory,
		    counters_client_memory_peak, task_count());
		stats_counters(&b, &total, true);
		stats_printf(&b, "},\"input\":{");
		stats_counters(&b, &counters_input, true);
		stats_printf(&b, "},\"outputs\":{");
	} else {
		stats_printf(&b, "asynclogd %s pid=%ld clients=%llu "
		    "connections=%llu refused=%llu client_memory=%zu "
		    "client_memory_peak=%zu tasks=%u\n",
		    ASYNCLOG_VERSION_STRING, (long)getpid(),
		    (unsigned long long)counters_clients,
		    (unsigned long long)counters_connections,
		    (unsigned long long)counters_refused, counters_client_memory,
		    counters_client_memory_peak, task_count());
	}
	for (i = 0; (o = route_output(route, i)) != NULL; i++) {
		st = output_state(o, &since, &reason);
		dropping = st == OUTPUT_DROPPING;
		state = output_state_name(o, st);
		if (json) {
			stats_printf(&b, "%s", i == 0 ? "" : ",");
			stats_json_string(&b, output_name(o));
			stats_printf(&b, ":{\"path\":");
			stats_json_string(&b, output_path(o));
			stats_printf(&b, ",\"state\":\"%s\",\"since\":",
			    state);
			stats_time(&b, dropping ? since : 0, true);
			stats_printf(&b, ",\"reason\":");
			if (dropping)
				stats_json_string(&b, reason);
			else
				stats_printf(&b, "null");
			stats_printf(&b, ",\"last_write\":");
			stats_time(&b, output_last_write_ns(o), true);
			stats_printf(&b, ",\"free_bytes\":%lld,",
			    (long long)output_free_bytes(o));
			if (output_possibly_lost(o) >= 0)
				stats_printf(&b, "\"possibly_lost\":%lld,",
				    (long long)output_possibly_lost(o));
			if ((last = output_last_error(o, &last_ns)) != NULL) {
				stats_printf(&b, "\"last_error\":");
				stats_json_string(&b, last);
				stats_printf(&b, ",\"last_error_at\":");
				stats_time(&b, last_ns, true);
				stats_printf(&b, ",");
			}
			if (output_spool(o, &sp_bytes, &sp_records))
				stats_printf(&b, "\"spool\":{\"bytes\":%llu,"
				    "\"records\":%llu},",
				    (unsigned long long)sp_bytes,
				    (unsigned long long)sp_records);
			if (output_fallback(o) >= 0)
				stats_printf(&b, "\"fallback\":%lld,",
				    (long long)output_fallback(o));
			stats_counters(&b, output_counters(o), true);
			stats_printf(&b, "}");
		} else {
			stats_printf(&b, "output %s state=%s", output_name(o),
			    state);
			if (dropping) {
				stats_printf(&b, " since=");
				stats_time(&b, since, false);
				stats_printf(&b, " reason=\"%s\"", reason);
			}
			stats_printf(&b, " last_write=");
			stats_time(&b, output_last_write_ns(o), false);
			stats_printf(&b, " free_bytes=%lld",
			    (long long)output_free_bytes(o));
			if (output_possibly_lost(o) >= 0)
				stats_printf(&b, " possibly_lost=%lld",
				    (long long)output_possibly_lost(o));
			if ((last = output_last_error(o, &last_ns)) != NULL) {
				stats_printf(&b, " last_error_at=");
				stats_time(&b, last_ns, false);
				stats_printf(&b, " last_error=\"%s\"", last);
			}
			if (output_spool(o, &sp_bytes, &sp_records))
				stats_printf(&b, " spool_bytes=%llu "
				    "spool_records=%llu",
				    (unsigned long long)sp_bytes,
				    (unsigned long long)sp_records);
			if (output_fallback(o) >= 0)
				stats_printf(&b, " fallback=%lld",
				    (long long)output_fallback(o));
			stats_counters(&b, output_counters(o), false);
			stats_printf(&b, "\n");
		}
	}
	if (json) {
		stats_printf(&b, "}");
		if (budget_used() >= 0)
			stats_printf(&b, ",\"disk_budget\":{\"used\":%lld,"
			    "\"removed\":%llu}", (long long)budget_used(),
			    (unsigned long long)budget_removed());
		stats_printf(&b, "}\n");
	} else {
		if (budget_used() >= 0)
			stats_printf(&b, "disk_budget used=%lld removed=%llu\n",
			    (long long)budget_used(),
			    (unsigned long long)budget_removed());
		stats_printf(&b, "input (dropped before reaching an output)");
		for (int r = 0; r < DROP_NREASONS; r++)
			if (counters_input.dropped[r] > 0)
				stats_printf(&b, " dropped.%s=%llu",
				    counters_reason_name(r), (unsigned long long)
				    counters_input.dropped[r]);
		stats_printf(&b, "\ntotal");
		stats_counters(&b, &total, false);
		stats_printf(&b, " balanced=%s\n",
		    counters_balanced(&total) ? "yes" : "no");
	}
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

/* A Prometheus label value: backslash, double quote and newline escaped. */
static void
stats_prom_label(struct stats_buf *b, const char *s)
{
	for (; *s != '\0'; s++) {
		if (*s == '\\' || *s == '"')
			stats_printf(b, "\\%c", *s);
		else if (*s == '\n')
			stats_printf(b, "\\n");
		else
			stats_printf(b, "%c", *s);
	}
}

static void
stats_prom_head(struct stats_buf *b, const char *name, const char *type,
    const char *help)
{
	stats_printf(b, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* One sample per output: name{output="NAME"[,extra]} value. */
static void
stats_prom_output(struct stats_buf *b, const char *name, struct output *o,
    const char *extra, long long v)
{
	stats_printf(b, "%s{output=\"", name);
	stats_prom_label(b, output_name(o));
	stats_printf(b, "\"%s} %lld\n", extra, v);
}

/*
 * The counters in Prometheus' text format, named and typed by its
 * conventions (node_exporter's textfile collector or a scrape of the
 * CLI's output both read it).
 */
static char *
stats_render_prometheus(const struct route *route)
{
	struct stats_buf b = { NULL, 0, 0, false };
	const struct counters *c;
	struct output *o;
	const char *reason;
	char extra[64];
	int64_t since;
	uint64_t sp_bytes, sp_records;
	unsigned i;
	int r;

	if ((b.s = malloc(8192)) == NULL)
		return NULL;
	b.cap = 8192;
	stats_prom_head(&b, "asynclog_start_time_seconds", "gauge",
	    "When asynclogd started, in seconds since the epoch.");
	stats_printf(&b, "asynclog_start_time_seconds %lld\n",
	    (long long)(counters_start_ns / 1000000000));
	stats_prom_head(&b, "asynclog_clients", "gauge",
	    "Clients connected now.");
	stats_printf(&b, "asynclog_clients %llu\n",
	    (unsigned long long)counters_clients);
	stats_prom_head(&b, "asynclog_connections_total", "counter",
	    "Connections accepted, and refused by the client limits.");
	stats_printf(&b, "asynclog_connections_total{outcome=\"accepted\"} "
	    "%llu\nasynclog_connections_total{outcome=\"refused\"} %llu\n",
	    (unsigned long long)counters_connections,
	    (unsigned long long)counters_refused);
	stats_prom_head(&b, "asynclog_client_memory_bytes", "gauge",
	    "Memory of the clients' read buffers.");
	stats_printf(&b, "asynclog_client_memory_bytes %zu\n",
	    counters_client_memory);
	stats_prom_head(&b, "asynclog_input_dropped_records_total", "counter",
	    "Records dropped before reaching any output, by reason.");
	for (r = 0; r < DROP_NREASONS; r++)
		stats_printf(&b, "asynclog_input_dropped_records_total{reason="
		    "\"%s\"} %llu\n", counters_reason_name(r),
		    (unsigned long long)counters_input.dropped[r]);

	stats_prom_head(&b, "asynclog_records_total", "counter",
	    "Records each output received and wrote.");
	for (i = 0; (o = route_output(route, i)) != NULL; i++) {
		c = output_counters(o);
		stats_prom_output(&b, "asynclog_records_total", o,
		    ",outcome=\"received\"", (long long)c->received);
		stats_prom_output(&b, "asynclog_records_total", o,
		    ",outcome=\"written\"", (long long)c->written);
	}
	stats_prom_head(&b, "asynclog_records_buffered", "gauge",
	    "Records each output holds, not yet written or dropped.");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		stats_prom_output(&b, "asynclog_records_buffered", o, "",
		    (long long)output_counters(o)->buffered);
	stats_prom_head(&b, "asynclog_dropped_records_total", "counter",
	    "Records each output dropped, by reason.");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		for (r = 0; r < DROP_NREASONS; r++) {
			snprintf(extra, sizeof(extra), ",reason=\"%s\"",
			    counters_reason_name(r));
			stats_prom_output(&b, "asynclog_dropped_records_total", o,
			    extra, (long long)output_counters(o)->dropped[r]);
		}
	stats_prom_head(&b, "asynclog_output_dropping", "gauge",
	    "1 while an output drops (disk full) or backs off (forward).");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		stats_prom_output(&b, "asynclog_output_dropping", o, "",
		    output_state(o, &since, &reason) == OUTPUT_DROPPING);
	stats_prom_head(&b, "asynclog_output_free_bytes", "gauge",
	    "Free space of each file output's file system (-1: unknown).");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		stats_prom_output(&b, "asynclog_output_free_bytes", o, "",
		    (long long)output_free_bytes(o));
	stats_prom_head(&b, "asynclog_output_last_write_seconds", "gauge",
	    "When each output last wrote, in seconds since the epoch (0: never).");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		stats_prom_output(&b, "asynclog_output_last_write_seconds", o, "",
		    (long long)(output_last_write_ns(o) / 1000000000));
	stats_prom_head(&b, "asynclog_output_possibly_lost_records_total",
	    "counter", "Records a forward output over TCP or TLS counted "
	    "written that broken connections may have lost.");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		if (output_possibly_lost(o) >= 0)
			stats_prom_output(&b,
			    "asynclog_output_possibly_lost_records_total", o, "",
			    (long long)output_possibly_lost(o));
	stats_prom_head(&b, "asynclog_output_spool_bytes", "gauge",
	    "Bytes each forward output's disk spool holds.");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		if (output_spool(o, &sp_bytes, &sp_records))
			stats_prom_output(&b, "asynclog_output_spool_bytes", o,
			    "", (long long)sp_bytes);
	stats_prom_head(&b, "asynclog_output_spool_records", "gauge",
	    "Records each forward output's disk spool holds (buffered).");
	for (i = 0; (o = route_output(route, i)) != NULL; i++)
		if (output_spool(o, &sp_bytes, &sp_records))
			stats_prom_output(&b, "asynclog_output_spool_records", o,
			    "", (long long)sp_records);
	if (b.failed) {
		free(b.s);
		return NULL;
	}
	return b.s;
}

char *
stats_render(const struct route *route, enum stats_format format)
{
	if (format == STATS_PROMETHEUS)
		return stats_render_prometheus(route);
	return stats_render_human(route, format == STATS_JSON);
}
