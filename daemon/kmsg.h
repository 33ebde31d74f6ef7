/*
 * kmsg.h: the kernel log input. Reads the kernel's printk ring buffer from
 * /dev/kmsg, one record per read(2), as one task on the loop: the device
 * is non-blocking and polled, so the loop never waits on it. Loop thread
 * only.
 *
 * Each record keeps the facility and severity the kernel gives (kern for
 * the kernel's own messages; the kernel makes a process that writes to
 * /dev/kmsg use another facility, user by default), the tag "kernel", and
 * its time: the kernel's timestamp (monotonic, since boot) turned into
 * wall time. The kernel numbers its records; a gap in the numbers is the
 * records it overwrote before they were read, counted as dropped
 * (kernel_overrun). The number after the last record the outputs have
 * written is kept in a state file with the boot's id, replaced atomically
 * (a new file renamed over it), so after a restart in the same boot the
 * records already written are skipped, never written twice.
 */
#ifndef ASYNCLOG_KMSG_H
#define ASYNCLOG_KMSG_H

#include <stddef.h>
#include <stdint.h>

struct event_base;
struct kmsg;
struct route;

/* One /dev/kmsg record: "PRI,SEQ,USEC,FLAGS[,...];MESSAGE\n[ KEY=VALUE\n]" */
struct kmsg_line {
	int		 pri;		/* facility * 8 + severity */
	uint64_t	 seq;		/* the kernel's sequence number */
	uint64_t	 usec;		/* since boot, CLOCK_MONOTONIC's base */
	const char	*msg;		/* points into the record */
	size_t		 msg_len;	/* up to the first '\n' */
};

/* Parse one record read from /dev/kmsg. Returns 0, or -1 when it is not
 * in that form. Pure. */
int	kmsg_parse(const char *buf, size_t len, struct kmsg_line *);

/*
 * Open path (the device) and start reading it, skipping what state_path
 * says was written in this boot. Returns NULL with err set (cannot open
 * the device: no such file, no permission).
 */
struct kmsg *kmsg_new(struct event_base *, struct route *, const char *path,
	    const char *state_path, char *err, size_t errlen);

/* Stop reading, after taking what the kernel has queued now. */
void	kmsg_stop(struct kmsg *);

/*
 * Save where reading stopped, when every output has written what it was
 * given (otherwise the next start reads those records again: twice rather
 * than lost), close the device and free. NULL is ignored.
 */
void	kmsg_free(struct kmsg *);

#endif
