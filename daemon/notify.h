/* SPDX-License-Identifier: ISC */
/*
 * notify.h: asynclogd's side of the systemd service protocol (sd_notify):
 * READY=1 once sockets and outputs are open, STATUS= lines with live
 * counters, RELOADING=1 / READY=1 around SIGHUP, STOPPING=1 on SIGTERM, and
 * WATCHDOG=1 pings from a task on the event loop.
 *
 * Everything is a no-op when the daemon was not started by a service
 * manager (NOTIFY_SOCKET unset). Loop thread only.
 */
#ifndef ASYNCLOG_NOTIFY_H
#define ASYNCLOG_NOTIFY_H

#include <stdbool.h>

struct server;

/* Milliseconds between STATUS= updates while running. */
#define NOTIFY_STATUS_INTERVAL_MS	5000

/*
 * Sockets and outputs are ready: send READY=1 with a STATUS= line. The first
 * call also starts the status task and, when the service manager asked for
 * one (WATCHDOG_USEC), the watchdog task. Call again after a reload.
 */
void	notify_ready(struct server *);

/*
 * Keep fds (named as FileDescriptorName= would name them) in the service
 * manager's file-descriptor store, so the next start of the service gets
 * them back (sd_listen_fds_with_names) and clients connecting in between
 * wait in the kernel. Needs FileDescriptorStoreMax= in the unit. Returns
 * true when the manager was told.
 */
bool	notify_fdstore(const int fds[], const char *const names[], int n);

/* SIGHUP received: RELOADING=1 (follow with notify_ready when done). */
void	notify_reloading(void);

/* SIGTERM received: STOPPING=1. The watchdog keeps pinging while draining. */
void	notify_stopping(void);

/* After the loop ended, before the event base is freed: end both tasks. */
void	notify_stop(void);

#endif
