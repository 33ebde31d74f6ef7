/*
 * unit.h: the systemd unit of a sender, from /proc/PID/cgroup, as a trusted
 * field of its records (like journald's _SYSTEMD_UNIT); and its command
 * name, from /proc/PID/comm (journald's _COMM), the tag of a syslog record
 * that names none (Python's SysLogHandler without an ident). The kernel keeps a
 * process's cgroup, and only root (or systemd) can move a process into
 * another user's units, so the unit is what the kernel says, not a claim.
 * A user's own units (in the cgroup tree systemd delegates to user@UID)
 * are named as that user's manager names them: the record's uid says whose.
 *
 * Loop thread only. One small procfs read per lookup, non-blocking and
 * bounded; no allocation. Inputs call it when a stream connection opens
 * (conn.c) or through a small cache per datagram sender (dgram.c). The
 * comm is what the process set (prctl(PR_SET_NAME), or its executable's
 * name): trusted to be what the kernel holds, not to be meaningful.
 */
#ifndef ASYNCLOG_UNIT_H
#define ASYNCLOG_UNIT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include "record.h"

/*
 * The unit in the contents of a /proc/PID/cgroup file: the cgroup v2 line
 * "0::PATH" (else the v1 "N:name=systemd:PATH"), whose first component
 * that names a unit (".service", ".scope") is the unit: the one the service
 * manager made, not one a user named in a subtree delegated to it:
 *   0::/system.slice/foo.service                          foo.service
 *   0::/user.slice/user-1000.slice/user@1000.service/app.slice/bar.service
 *                                                         user@1000.service
 *   0::/user.slice/user-1000.slice/session-3.scope        session-3.scope
 *   0::/system.slice/docker.service/sub                   docker.service
 *   0::/                                                  (none)
 * Copies it to dst (not NUL-terminated) and returns its length, or 0 when
 * there is none or it is longer than cap.
 */
size_t	unit_from_cgroup(const char *text, size_t len, char *dst, size_t cap);

/* The unit of a running process, from /proc/PID/cgroup; 0 when unknown
 * (the process is gone, no systemd, pid <= 0). */
size_t	unit_of_pid(pid_t pid, char *dst, size_t cap);

/*
 * The command name of a running process (at most UNIT_COMM_MAX bytes, any
 * but NUL and '/'), from /proc/PID/comm; 0 when unknown.
 */
#define UNIT_COMM_MAX	15	/* the kernel's TASK_COMM_LEN - 1 */
size_t	unit_comm_of_pid(pid_t pid, char *dst, size_t cap);

/*
 * Units (and command names) of recent datagram senders, per pid. An entry is used for at most
 * UNIT_CACHE_TTL_MS, so a reused pid is labelled with its predecessor's
 * unit for no longer than that; a full table reuses its oldest entry.
 */
#define UNIT_CACHE_SLOTS	64
#define UNIT_CACHE_TTL_MS	3000

struct unit_cache_slot {
	pid_t		 pid;
	int64_t		 expires_ns;	/* monotonic; 0 = free */
	size_t		 len;		/* 0 = no unit known */
	char		 name[RECORD_UNIT_MAX];
	bool		 comm_read;	/* comm asked for since filled */
	size_t		 comm_len;	/* 0 = unknown */
	char		 comm[UNIT_COMM_MAX];
};

struct unit_cache {
	struct unit_cache_slot slot[UNIT_CACHE_SLOTS];
};

/*
 * The unit of pid as of at most UNIT_CACHE_TTL_MS ago: sets *name (into
 * the cache, valid until the next call) and returns its length, 0 when
 * unknown. now_ns is CLOCK_MONOTONIC.
 */
size_t	unit_cache_get(struct unit_cache *, pid_t pid, int64_t now_ns,
	    const char **name);

/* The same for the command name: read on first use per entry, for the
 * senders whose records need it. */
size_t	unit_cache_comm(struct unit_cache *, pid_t pid, int64_t now_ns,
	    const char **comm);

#endif
