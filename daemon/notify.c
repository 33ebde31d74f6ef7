/* SPDX-License-Identifier: ISC */
/*
 * notify.c: the systemd notify protocol, through libsystemd's sd_notify().
 *
 * Two tasks run on the event loop while a service manager listens:
 *   status_task    every NOTIFY_STATUS_INTERVAL_MS, a STATUS= line with the
 *                  live counters ("clients=3 received=... dropped=...");
 *   watchdog_task  WATCHDOG=1 every half of WatchdogSec (WATCHDOG_USEC).
 * The watchdog ping is sent by a task, not by a thread or a signal timer, on
 * purpose: it only goes out when the loop is turning, so a loop that is
 * stuck (a task spinning, a blocking call on the loop thread) stops the
 * pings and systemd restarts the daemon. A writer thread blocked in write(2)
 * or fsync(2) on a slow disk does not stop the pings: that is the disk-full
 * and backpressure machinery's business, and restarting would not help.
 *
 * Without NOTIFY_SOCKET nothing here does anything, not even a timer.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <systemd/sd-daemon.h>

#include "clock.h"
#include "log.h"
#include "notify.h"
#include "output.h"
#include "route.h"
#include "server.h"
#include "counters.h"
#include "stats.h"
#include "task.h"

static struct {
	struct server	*srv;
	bool		 started;	/* tasks spawned (first notify_ready) */
	bool		 status_live;	/* status task has not ended */
	bool		 watchdog_live;
	unsigned	 watchdog_ms;	/* ping period: half of WATCHDOG_USEC */
	struct task	 status;
	struct task	 watchdog;
} notify;

static bool
notify_enabled(void)
{
	const char *s = getenv("NOTIFY_SOCKET");

	return s != NULL && *s != '\0';
}

/*
 * "clients=2 received=10 delivered=10 written=9 dropped=1 buffered=0",
 * then any output that is dropping ("; main dropping (disk full)"), so
 * `systemctl status` shows at a glance whether records are being lost.
 */
static void
notify_status_line(struct server *srv, char *buf, size_t len)
{
	struct counters total;
	const char *reason;
	struct output *o;
	unsigned i;
	size_t n;
	int64_t since;

	/* received: by the inputs, once each; delivered: to the outputs,
	 * once per output; dropped: before any output and at them. */
	stats_total(server_route(srv), &total);
	n = (size_t)snprintf(buf, len, "clients=%llu received=%llu "
	    "delivered=%llu written=%llu dropped=%llu buffered=%llu",
	    (unsigned long long)counters_clients,
	    (unsigned long long)counters_inputs_received(),
	    (unsigned long long)(total.received - counters_input.received),
	    (unsigned long long)total.written,
	    (unsigned long long)counters_dropped_total(&total),
	    (unsigned long long)total.buffered);
	for (i = 0; (o = route_output(server_route(srv), i)) != NULL; i++) {
		if (n >= len)
			break;
		if (output_state(o, &since, &reason) != OUTPUT_DROPPING)
			continue;
		n += (size_t)snprintf(buf + n, len - n, "; %s %s (%s)",
		    output_name(o), output_state_name(o, OUTPUT_DROPPING),
		    reason != NULL ? reason : "?");
	}
}

static void
notify_send_status(struct server *srv, const char *prefix)
{
	char line[512];

	notify_status_line(srv, line, sizeof(line));
	(void)sd_notifyf(0, "%sSTATUS=%s", prefix, line);
}

static enum task_step
notify_status_task(struct task *t)
{
	TASK_BEGIN(t);
	for (;;) {
		TASK_SLEEP(t, NOTIFY_STATUS_INTERVAL_MS);
		if (!server_draining(notify.srv))
			notify_send_status(notify.srv, "");
	}
	TASK_END(t);
}

static enum task_step
notify_watchdog_task(struct task *t)
{
	TASK_BEGIN(t);
	for (;;) {
		/* Reaching this line is the proof that the loop is healthy. */
		(void)sd_notify(0, "WATCHDOG=1");
		TASK_SLEEP(t, (int)notify.watchdog_ms);
	}
	TASK_END(t);
}

static void
notify_status_cleanup(struct task *t)
{
	(void)t;
	notify.status_live = false;
}

static void
notify_watchdog_cleanup(struct task *t)
{
	(void)t;
	notify.watchdog_live = false;
}

static void
notify_start(struct server *srv)
{
	uint64_t usec = 0;

	notify.started = true;
	notify.srv = srv;
	if (task_spawn(server_base(srv), &notify.status, "notify-status",
	    notify_status_task, notify_status_cleanup, NULL) == 0)
		notify.status_live = true;
	else
		log_warn("cannot start the systemd status task");

	/* > 0: the manager wants pings (WATCHDOG_PID, if set, is us). */
	if (sd_watchdog_enabled(0, &usec) <= 0 || usec == 0)
		return;
	notify.watchdog_ms = (unsigned)(usec / 2000 > 0 ? usec / 2000 : 1);
	if (task_spawn(server_base(srv), &notify.watchdog, "watchdog",
	    notify_watchdog_task, notify_watchdog_cleanup, NULL) == 0) {
		notify.watchdog_live = true;
		log_info("systemd watchdog: pinging every %u ms",
		    notify.watchdog_ms);
	} else
		log_warn("cannot start the systemd watchdog task");
}

void
notify_ready(struct server *srv)
{
	if (!notify_enabled())
		return;
	if (!notify.started)
		notify_start(srv);
	notify_send_status(srv, "READY=1\n");
}

bool
notify_fdstore(const int fds[], const char *const names[], int n)
{
	char msg[128];
	bool told = false;
	int i;

	if (!notify_enabled())
		return false;
	/* One message per socket: FDNAME= names every fd of its message. */
	for (i = 0; i < n; i++) {
		if (fds[i] == -1)
			continue;
		snprintf(msg, sizeof(msg), "FDSTORE=1\nFDNAME=%s", names[i]);
		if (sd_pid_notify_with_fds(0, 0, msg, &fds[i], 1) > 0)
			told = true;
		else
			log_warn("cannot keep the %s socket in the service "
			    "manager's fd store", names[i]);
	}
	return told;
}

void
notify_reloading(void)
{
	if (!notify_enabled())
		return;
	/* MONOTONIC_USEC is what systemd >= 253 expects with RELOADING=1;
	 * older managers ignore it. */
	(void)sd_notifyf(0, "RELOADING=1\nSTATUS=reloading\n"
	    "MONOTONIC_USEC=%llu",
	    (unsigned long long)(clock_mono_ns() / 1000));
}

void
notify_stopping(void)
{
	if (!notify_enabled())
		return;
	(void)sd_notify(0, "STOPPING=1\nSTATUS=draining buffered records");
}

void
notify_stop(void)
{
	if (notify.status_live)
		task_cancel(&notify.status);
	if (notify.watchdog_live)
		task_cancel(&notify.watchdog);
	notify.started = false;
}
