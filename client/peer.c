/* SPDX-License-Identifier: ISC */
/*
 * peer.c: who listens on a Unix stream socket (see peer.h for why the
 * kernel is asked instead of the peer).
 *
 * The rule, in asynclog(1) too: the listener (SO_PEERCRED) must be a
 * process named asynclogd, and the socket must not be listening with
 * asynclogd's syslog stream backlog. A listener named anything else speaks
 * syslog. When systemd holds the socket, the service it starts may not
 * have taken it yet: the caller asks again. When the kernel cannot tell
 * (pid 0: another pid namespace), the caller decides.
 */
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/netlink.h>
#include <linux/rtnetlink.h>
#include <linux/sock_diag.h>
#include <linux/unix_diag.h>

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "peer.h"
#include "wire.h"

#define TCP_LISTEN	10	/* the kernel's socket state, as in ss(8) */

/* The first line of a small procfs file, without its newline. */
static int
peer_proc_line(const char *path, char *buf, size_t size)
{
	ssize_t	n;
	int	fd;

	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) == -1)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n <= 0)
		return -1;
	if (buf[n - 1] == '\n')
		n--;
	buf[n] = '\0';
	return 0;
}

/* The command name of pid (/proc/PID/comm). */
static int
peer_comm(pid_t pid, char *buf, size_t size)
{
	char	path[64];

	snprintf(path, sizeof path, "/proc/%ld/comm", (long)pid);
	return peer_proc_line(path, buf, size);
}

/* The kernel's cap on listen backlogs, as the daemon reads it; 0 if not
 * known. */
static long
peer_somaxconn(void)
{
	char	buf[32];

	if (peer_proc_line("/proc/sys/net/core/somaxconn", buf,
	    sizeof buf) == -1)
		return 0;
	return strtol(buf, NULL, 10);
}

/*
 * The backlog of the socket listening at path, through sock_diag: a dump of
 * the listening Unix sockets, matched by the inode of the file at path.
 * -1 if the kernel will not say (no unix_diag).
 */
static long
peer_backlog(const char *path)
{
	struct {
		struct nlmsghdr		nlh;
		struct unix_diag_req	req;
	} rq;
	struct sockaddr_nl	 nl = { .nl_family = AF_NETLINK };
	struct unix_diag_msg	*m;
	struct unix_diag_vfs	*vfs;
	struct unix_diag_rqlen	*rql;
	struct nlmsghdr		*h;
	struct rtattr		*a;
	struct stat		 st;
	uint32_t		 buf[8192];
	long			 found = -1;
	ssize_t			 n;
	bool			 done = false;
	int			 fd, alen;

	if (stat(path, &st) == -1)
		return -1;
	if ((fd = socket(AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC,
	    NETLINK_SOCK_DIAG)) == -1)
		return -1;
	memset(&rq, 0, sizeof rq);
	rq.nlh.nlmsg_len = sizeof rq;
	rq.nlh.nlmsg_type = SOCK_DIAG_BY_FAMILY;
	rq.nlh.nlmsg_flags = NLM_F_REQUEST | NLM_F_DUMP;
	rq.req.sdiag_family = AF_UNIX;
	rq.req.udiag_states = 1 << TCP_LISTEN;
	rq.req.udiag_show = UDIAG_SHOW_VFS | UDIAG_SHOW_RQLEN;
	if (sendto(fd, &rq, sizeof rq, 0, (struct sockaddr *)&nl,
	    sizeof nl) == -1) {
		close(fd);
		return -1;
	}
	while (!done) {
		if ((n = recv(fd, buf, sizeof buf, 0)) == -1) {
			if (errno == EINTR)
				continue;
			break;
		}
		for (h = (struct nlmsghdr *)buf; NLMSG_OK(h, (size_t)n);
		    h = NLMSG_NEXT(h, n)) {
			if (h->nlmsg_type == NLMSG_DONE ||
			    h->nlmsg_type == NLMSG_ERROR) {
				done = true;
				break;
			}
			m = NLMSG_DATA(h);
			vfs = NULL;
			rql = NULL;
			alen = (int)(h->nlmsg_len - NLMSG_LENGTH(sizeof *m));
			for (a = (struct rtattr *)(m + 1); RTA_OK(a, alen);
			    a = RTA_NEXT(a, alen)) {
				if (a->rta_type == UNIX_DIAG_VFS)
					vfs = RTA_DATA(a);
				else if (a->rta_type == UNIX_DIAG_RQLEN)
					rql = RTA_DATA(a);
			}
			/* The kernel's dev_t: major << 20 | minor. */
			if (vfs != NULL && rql != NULL &&
			    vfs->udiag_vfs_ino == st.st_ino &&
			    vfs->udiag_vfs_dev == (major(st.st_dev) << 20 |
			    minor(st.st_dev)))
				found = rql->udiag_wqueue;
		}
		if (n == 0)
			break;
	}
	close(fd);
	return found;
}

enum peer_kind
peer_kind(int fd, const char *path)
{
	struct ucred	cred;
	socklen_t	len = sizeof cred;
	char		comm[32];

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) == -1 ||
	    cred.pid <= 0 || peer_comm(cred.pid, comm, sizeof comm) == -1)
		return PEER_UNKNOWN;
	if (strcmp(comm, "asynclogd") == 0)
		return peer_backlog(path) ==
		    wire_syslog_stream_backlog(peer_somaxconn()) ?
		    PEER_SYSLOG : PEER_NATIVE;
	/* comm is cut at 15 bytes */
	if (strcmp(comm, "systemd") == 0 || strcmp(comm, "systemd-socket-") ==
	    0)
		return PEER_SYSTEMD;
	return PEER_SYSLOG;
}
