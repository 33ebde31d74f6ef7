/* SPDX-License-Identifier: ISC */
/*
 * counters.c: the daemon-wide counters and the arithmetic of the
 * accounting invariant (see counters.h).
 */
#include "counters.h"

struct counters counters_input;
struct counters counters_retired;
uint64_t counters_routed;
uint64_t counters_connections;
uint64_t counters_clients;
uint64_t counters_refused;
size_t	counters_client_memory;
size_t	counters_client_memory_peak;
int64_t	counters_start_ns;
int64_t	counters_start_mono_ns;

static const char *counters_reasons[DROP_NREASONS] = {
	[DROP_DISK_FULL] = "disk_full",
	[DROP_OVERFLOW] = "overflow",
	[DROP_TOO_LARGE] = "too_large",
	[DROP_MALFORMED] = "malformed",
	[DROP_RATE_LIMITED] = "rate_limited",
	[DROP_CLIENT] = "client",
	[DROP_NO_OUTPUT] = "no_output",
	[DROP_SHUTDOWN] = "shutdown",
	[DROP_UNDELIVERED] = "undelivered",
	[DROP_KERNEL_OVERRUN] = "kernel_overrun",
	[DROP_SPOOL_FULL] = "spool_full",
	[DROP_UDP_OVERRUN] = "udp_overrun",
};

uint64_t
counters_inputs_received(void)
{
	return counters_input.received + counters_routed;
}

uint64_t
counters_dropped_total(const struct counters *c)
{
	uint64_t sum = 0;
	int r;

	for (r = 0; r < DROP_NREASONS; r++)
		sum += c->dropped[r];
	return sum;
}

bool
counters_balanced(const struct counters *c)
{
	return c->received == c->written + counters_dropped_total(c) + c->buffered;
}

void
counters_add(struct counters *sum, const struct counters *c)
{
	int r;

	sum->received += c->received;
	sum->written += c->written;
	sum->buffered += c->buffered;
	for (r = 0; r < DROP_NREASONS; r++)
		sum->dropped[r] += c->dropped[r];
}

void
counters_input_drop(enum drop_reason reason, uint64_t n)
{
	counters_input.received += n;
	counters_input.dropped[reason] += n;
}

const char *
counters_reason_name(enum drop_reason r)
{
	return r < DROP_NREASONS ? counters_reasons[r] : "?";
}
