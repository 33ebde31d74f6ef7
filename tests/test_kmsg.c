/* SPDX-License-Identifier: ISC */
/*
 * test_kmsg.c: the kernel log input and journald's forwarding socket.
 *
 * kmsg_parse() on the record forms the kernel documents
 * (Documentation/ABI/testing/dev-kmsg); then the real asynclogd reading the
 * real /dev/kmsg: lines written there as root land once, and a restart does
 * not write them again (skipped, saying why, where /dev/kmsg cannot be
 * read or written). The sequence-gap accounting is driven through a FIFO
 * given as the device, where the test chooses the numbers. Last, what
 * journald sends to /run/systemd/journal/syslog with ForwardToSyslog=yes
 * (src/journal/journald-syslog.c: the message as received on /dev/log, or
 * "<PRI>Mmm dd hh:mm:ss IDENT[PID]: MSG", with the original sender's
 * SCM_CREDENTIALS) arrives with that sender's identity.
 */
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "harness.h"
#include "kmsg.h"

/* ---- kmsg_parse ------------------------------------------------------ */

static void
assert_line(const char *rec, int pri, uint64_t seq, uint64_t usec,
    const char *msg)
{
	struct kmsg_line l;

	cr_assert_eq(kmsg_parse(rec, strlen(rec), &l), 0, "%s", rec);
	cr_assert_eq(l.pri, pri, "%s", rec);
	cr_assert_eq(l.seq, seq, "%s", rec);
	cr_assert_eq(l.usec, usec, "%s", rec);
	cr_assert_eq(l.msg_len, strlen(msg), "%s", rec);
	cr_assert_eq(memcmp(l.msg, msg, l.msg_len), 0, "%s", rec);
}

Test(kmsg, parses_the_record_forms_the_kernel_documents)
{
	assert_line("7,160,424069,-;pci_root PNP0A03:00: host bridge window "
	    "[io  0x0000-0x0cf7] (ignored)\n", 7, 160, 424069,
	    "pci_root PNP0A03:00: host bridge window [io  0x0000-0x0cf7] "
	    "(ignored)");
	/* Continuation lines (the dictionary) are not the message. */
	assert_line("6,339,5140900,-;NET: Registered protocol family 10\n"
	    " SUBSYSTEM=net\n DEVICE=+net:eth0\n", 6, 339, 5140900,
	    "NET: Registered protocol family 10");
	/* Fields after FLAGS may come; a ';' in the message is message. */
	assert_line("12,343,10169478017,-,caller=T1;a;b\n", 12, 343,
	    10169478017ULL, "a;b");
	assert_line("4,1,2,c;", 4, 1, 2, "");
}

Test(kmsg, rejects_what_is_not_a_kmsg_record)
{
	static const char *bad[] = { "", ";x", "6,1;x", "6,1,2;x", "a,1,2,-;x",
	    "6,,2,-;x", "6,1,2,-", "99999,1,2,-;x",
	    "6,99999999999999999999999,2,-;x" };
	struct kmsg_line l;
	size_t i;

	for (i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert_eq(kmsg_parse(bad[i], strlen(bad[i]), &l), -1, "%s",
		    bad[i]);
}

/* ---- helpers --------------------------------------------------------- */

static struct hd d;

/* How many lines of DIR/name contain what. */
static size_t
count_in(const char *name, const char *what)
{
	char *text = file_read(hd_path(&d, name), NULL), *p;
	size_t n = 0;

	if (text == NULL)
		return 0;
	for (p = text; (p = strstr(p, what)) != NULL; p += strlen(what))
		n++;
	free(text);
	return n;
}

struct expect {
	const char *what;
	size_t n;
};

static bool
has_count(struct hd *dd, void *arg)
{
	struct expect *e = arg;

	(void)dd;
	return count_in("main.json", e->what) >= e->n;
}

static void
wait_count(const char *what, size_t n)
{
	struct expect e = { what, n };

	cr_assert(hd_wait(has_count, &d, &e, 10000), "%zu of \"%s\" after "
	    "10 s, want %zu", count_in("main.json", what), what, n);
}

/* ---- the real /dev/kmsg ---------------------------------------------- */

#define KMSG_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\"; kmsg = true;\n"	\
	"  kmsg_state = \"@DIR@/kmsg.state\"; };\n"			\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.json\";\n"	\
	"  format = \"json\"; } );\n"

static void
kmsg_write(const char *token, int i)
{
	char line[128];
	int fd, n;

	n = snprintf(line, sizeof(line), "<4>%s %d\n", token, i);
	cr_assert_neq(fd = open("/dev/kmsg", O_WRONLY | O_CLOEXEC), -1,
	    "/dev/kmsg: %s", strerror(errno));
	cr_assert_eq(write(fd, line, n), n);
	close(fd);
}

/* The "time" of the first record whose message starts with token. */
static time_t
record_time(const char *token)
{
	char *text = file_read(hd_path(&d, "main.json"), NULL), *m, *l, *p;
	struct tm tm;
	int oh, om;
	time_t off = 0;

	cr_assert_not_null(text);
	cr_assert_not_null(m = strstr(text, token));
	for (l = m; l > text && l[-1] != '\n'; l--)
		;
	cr_assert_eq(strncmp(l, "{\"time\":\"", 9), 0, "%.80s", l);
	memset(&tm, 0, sizeof(tm));
	cr_assert_not_null(p = strptime(l + 9, "%Y-%m-%dT%H:%M:%S", &tm));
	while (*p == '.' || (*p >= '0' && *p <= '9'))
		p++;
	/* "+HH:MM" (or "Z"): the offset from UTC of the time shown. */
	if ((*p == '+' || *p == '-') && sscanf(p + 1, "%2d:%2d", &oh,
	    &om) == 2)
		off = (*p == '-' ? -1 : 1) * (oh * 3600 + om * 60);
	free(text);
	return timegm(&tm) - off;
}

static void
kmsg_up(void)
{
	int fd;

	if (geteuid() != 0)
		cr_skip_test("not root: cannot write test lines to /dev/kmsg; "
		    "kernel log tests skipped");
	if ((fd = open("/dev/kmsg", O_RDONLY | O_NONBLOCK | O_CLOEXEC)) == -1)
		cr_skip_test("/dev/kmsg cannot be read here (%s); kernel log "
		    "tests skipped", strerror(errno));
	close(fd);
	hd_start(&d, KMSG_CONF);
}

static void
kmsg_down(void)
{
	hd_stop(&d);
}

Test(kmsg_device, lines_land_once_and_a_restart_does_not_repeat_them,
    .init = kmsg_up, .fini = kmsg_down, .timeout = 60)
{
	char token[64], what[256], *state, boot[64];
	time_t before, after, t;
	int i;

	snprintf(token, sizeof(token), "asynclog-test-%ld-%lld",
	    (long)getpid(), hd_now_ms());
	before = time(NULL);
	for (i = 0; i < 3; i++)
		kmsg_write(token, i);
	after = time(NULL);
	snprintf(what, sizeof(what), "\"message\":\"%s ", token);
	wait_count(what, 3);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);

	/* The kernel's timestamp, since boot, became the wall time of the
	 * write (to the second the clocks are read at; 2 s of slack). */
	t = record_time(token);
	cr_assert(t >= before - 2 && t <= after + 2, "record time %lld, "
	    "written between %lld and %lld", (long long)t, (long long)before,
	    (long long)after);

	/* The state file names this boot. */
	state = file_read(hd_path(&d, "kmsg.state"), NULL);
	cr_assert_not_null(state, "no state file after a clean stop");
	snprintf(what, sizeof(what), "/proc/sys/kernel/random/boot_id");
	{
		char *b = file_read(what, NULL);

		cr_assert_not_null(b);
		snprintf(boot, sizeof(boot), "%.36s ", b);
		free(b);
	}
	cr_assert_eq(strncmp(state, boot, 37), 0, "state %s, boot %s", state,
	    boot);
	free(state);

	/* Two more while it is down, then start again. */
	for (i = 3; i < 5; i++)
		kmsg_write(token, i);
	hd_restart(&d);
	snprintf(what, sizeof(what), "\"message\":\"%s ", token);
	wait_count(what, 5);
	/* Anything written twice would have come with the first records. */
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	for (i = 0; i < 5; i++) {
		snprintf(what, sizeof(what), "\"facility\":\"user\","
		    "\"severity\":\"warning\",\"tag\":\"kernel\",\"pid\":null,"
		    "\"uid\":0,\"gid\":0,\"message\":\"%s %d\"}", token, i);
		cr_assert_eq(count_in("main.json", what), 1, "%s %d is there "
		    "%zu times, want once", token, i,
		    count_in("main.json", what));
	}
}

/* ---- sequence numbers, through a FIFO -------------------------------- */

#define FIFO_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  kmsg = \"@DIR@/kmsg.fifo\"; };\n"				\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.json\";\n"	\
	"  format = \"json\"; } );\n"

static int fifo = -1;

static void
fifo_down(void)
{
	if (fifo != -1)
		close(fifo);
	fifo = -1;
	hd_stop(&d);
}

/* One record, once the previous one has been taken (one per read). */
static void
fifo_record(int seq, const char *msg, size_t n_before)
{
	char rec[128];
	int len;

	wait_count("\"message\":\"seq ", n_before);
	len = snprintf(rec, sizeof(rec), "6,%d,1000000,-;seq %s\n", seq, msg);
	cr_assert_eq(write(fifo, rec, len), len);
}

/*
 * The kernel numbers every record; a jump is records it overwrote before
 * they were read, counted as kernel_overrun and balanced like any drop.
 * (A record already written is skipped: shown on the real device, above,
 * since a FIFO cannot show a record that leaves no trace being taken.)
 */
Test(kmsg_seq, a_gap_in_sequence_numbers_is_counted_as_kernel_overrun,
    .fini = fifo_down, .timeout = 60)
{
	char *json;

	hd_prepare(&d, FIFO_CONF);
	cr_assert_eq(mkfifo(hd_path(&d, "kmsg.fifo"), 0600), 0);
	/* Held open for writing, so the daemon never sees its end. */
	cr_assert_neq(fifo = open(hd_path(&d, "kmsg.fifo"), O_RDWR |
	    O_CLOEXEC), -1);
	hd_restart(&d);
	fifo_record(5, "five", 0);
	fifo_record(6, "six", 1);
	fifo_record(9, "nine", 2);	/* 7 and 8 were overwritten */
	fifo_record(10, "ten", 3);
	wait_count("\"message\":\"seq ", 4);
	json = hd_stats(&d);
	cr_assert_eq(json_number(json, "total.dropped.kernel_overrun"), 2,
	    "%s", json);
	cr_assert_eq(json_number(json, "total.received"), 6, "%s", json);
	free(json);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	cr_assert_eq(count_in("main.json", "\"facility\":\"kern\","
	    "\"severity\":\"info\",\"tag\":\"kernel\""), 4);
}

/* Record seq of the FIFO, its message "seq nSEQ". */
static void
fifo_write_seq(int seq)
{
	char rec[128];
	int len;

	len = snprintf(rec, sizeof(rec), "6,%d,1000000,-;seq n%d\n", seq, seq);
	cr_assert_eq(write(fifo, rec, len), len);
}

/* Has the daemon read all that was written to the FIFO? (A record it
 * skips leaves no other trace, and one read must not take two.) */
static bool
fifo_empty(struct hd *dd, void *arg)
{
	int n = -1;

	(void)dd;
	(void)arg;
	return ioctl(fifo, FIONREAD, &n) == 0 && n == 0;
}

/* The sequence number the state file holds, 0 when there is none. */
static unsigned long long
state_seq(void)
{
	unsigned long long seq = 0;
	char *state, id[64];

	if ((state = file_read(hd_path(&d, "kmsg.state"), NULL)) == NULL)
		return 0;
	if (sscanf(state, "%63s %llu", id, &seq) != 2)
		seq = 0;
	free(state);
	return seq;
}

static size_t
count_seq(int seq)
{
	char what[64];

	snprintf(what, sizeof(what), "\"message\":\"seq n%d\"", seq);
	return count_in("main.json", what);
}

/*
 * A kernel that logs more often than the state is saved (a firewall's
 * log lines) must still get its state saved: the outputs are never idle
 * right after a record was given to them, so waiting for idle outputs
 * never saves, and after a crash everything since the start is written
 * again. Records keep coming every 200 ms until the state file covers
 * a few;
 * after a SIGKILL and a restart, the kernel's replay of the records the
 * state file covers is not written again.
 */
Test(kmsg_seq, the_state_is_saved_while_records_keep_coming,
    .fini = fifo_down, .timeout = 90)
{
	unsigned long long saved;
	int seq;

	hd_prepare(&d, FIFO_CONF);
	cr_assert_eq(mkfifo(hd_path(&d, "kmsg.fifo"), 0600), 0);
	cr_assert_neq(fifo = open(hd_path(&d, "kmsg.fifo"), O_RDWR |
	    O_CLOEXEC), -1);
	hd_restart(&d);
	for (seq = 1; seq <= 100 && state_seq() < 6; seq++) {
		fifo_write_seq(seq);
		cr_assert(hd_wait(has_count, &d, &(struct expect){
		    "\"message\":\"seq n", (size_t)seq }, 10000));
		usleep(200 * 1000);
	}
	cr_assert_eq(hd_signal(&d, SIGKILL, 10000), 128 + SIGKILL);
	saved = state_seq();
	cr_assert(saved >= 6 && saved <= (unsigned long long)seq, "state "
	    "file at %llu after %d records, one every 200 ms", saved,
	    seq - 1);

	/* Started again, the kernel gives every record it holds. */
	hd_restart(&d);
	for (seq = 1; seq < (int)saved; seq++) {
		fifo_write_seq(seq);
		cr_assert(hd_wait(fifo_empty, &d, NULL, 10000));
	}
	fifo_write_seq(1000);
	cr_assert(hd_wait(has_count, &d, &(struct expect){
	    "\"message\":\"seq n1000\"", 1 }, 10000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	for (seq = 1; seq < (int)saved; seq++)
		cr_assert_eq(count_seq(seq), 1, "record %d is there %zu "
		    "times, want once (state said %llu)", seq, count_seq(seq),
		    saved);
}

/*
 * kmsg_state in a directory others can write to (an output in /tmp): a
 * state file another user left there, saying every record of this boot
 * was written, would have the daemon, as root, skip the kernel's records
 * (hide them). It is not trusted: the records are read from the oldest.
 */
Test(kmsg_seq, a_state_file_another_user_wrote_is_not_trusted,
    .fini = fifo_down, .timeout = 60)
{
	char *boot, state[128];
	int fd, len;

	if (geteuid() != 0)
		cr_skip_test("not root: cannot leave a file of another user");
	hd_prepare(&d, FIFO_CONF);
	cr_assert_eq(mkfifo(hd_path(&d, "kmsg.fifo"), 0600), 0);
	cr_assert_neq(fifo = open(hd_path(&d, "kmsg.fifo"), O_RDWR |
	    O_CLOEXEC), -1);
	boot = file_read("/proc/sys/kernel/random/boot_id", NULL);
	cr_assert_not_null(boot);
	len = snprintf(state, sizeof(state), "%.36s 1000000\n", boot);
	free(boot);
	cr_assert_neq(fd = open(hd_path(&d, "kmsg.state"), O_WRONLY |
	    O_CREAT | O_EXCL | O_CLOEXEC, 0644), -1);
	cr_assert_eq(write(fd, state, len), len);
	cr_assert_eq(fchown(fd, 65534, 65534), 0);	/* nobody */
	close(fd);
	hd_restart(&d);
	fifo_record(1, "one", 0);
	fifo_record(2, "two", 1);
	wait_count("\"message\":\"seq ", 2);
	cr_assert(hd_wait(hd_log_mentions, &d, "could have been written by "
	    "another user", 10000));
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	/* Saved anew, as this user's. */
	cr_assert_eq(state_seq(), 3);
}

/* A device path that ends (a FIFO with no writer) stops the input, with a
 * word in the daemon's log, instead of spinning the loop on it. */
Test(kmsg_seq, a_device_that_ends_is_no_longer_read, .fini = fifo_down,
    .timeout = 60)
{
	char *json;

	hd_prepare(&d, FIFO_CONF);
	cr_assert_eq(mkfifo(hd_path(&d, "kmsg.fifo"), 0600), 0);
	hd_restart(&d);
	/* A writer that comes and goes leaves the FIFO at its end. */
	cr_assert_neq(fifo = open(hd_path(&d, "kmsg.fifo"), O_WRONLY |
	    O_NONBLOCK | O_CLOEXEC), -1, "%s", strerror(errno));
	close(fifo);
	fifo = -1;
	cr_assert(hd_wait(hd_log_mentions, &d, "kernel log: end of file; no "
	    "longer read", 10000));
	json = hd_stats(&d);
	cr_assert_not_null(json, "the daemon does not answer");
	free(json);
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
}

/* ---- journald's ForwardToSyslog socket ------------------------------- */

#define JOURNAL_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  journal = \"@DIR@/dgram-journal.sock\"; };\n"		\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.json\";\n"	\
	"  format = \"json\"; } );\n"

/* Send msg to path as journald does: with the original sender's creds. */
static void
send_as(const char *path, const char *msg, pid_t pid, uid_t uid, gid_t gid)
{
	union {
		struct cmsghdr	hdr;
		char		buf[CMSG_SPACE(sizeof(struct ucred))];
	} ctl;
	struct sockaddr_un sun;
	struct ucred cred = { pid, uid, gid };
	struct iovec iov = { (void *)msg, strlen(msg) };
	struct msghdr mh;
	struct cmsghdr *cm;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	memset(&mh, 0, sizeof(mh));
	memset(&ctl, 0, sizeof(ctl));
	mh.msg_name = &sun;
	mh.msg_namelen = sizeof(sun);
	mh.msg_iov = &iov;
	mh.msg_iovlen = 1;
	mh.msg_control = ctl.buf;
	mh.msg_controllen = sizeof(ctl.buf);
	cm = CMSG_FIRSTHDR(&mh);
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_CREDENTIALS;
	cm->cmsg_len = CMSG_LEN(sizeof(cred));
	memcpy(CMSG_DATA(cm), &cred, sizeof(cred));
	cr_assert_neq(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(sendmsg(fd, &mh, 0), (ssize_t)strlen(msg),
	    "sendmsg: %s", strerror(errno));
	close(fd);
}

Test(journal, takes_what_journald_forwards_with_the_senders_identity,
    .fini = kmsg_down, .timeout = 60)
{
	char line[256], what[256];
	pid_t child = -1, who = getpid();
	uid_t uid = getuid();
	gid_t gid = getgid();

	hd_start(&d, JOURNAL_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram-journal.sock", 10000));
	/* As root, journald passes another process's credentials, as it
	 * does for every message it forwards; otherwise our own. */
	if (geteuid() == 0) {
		if ((child = fork()) == 0) {
			pause();
			_exit(0);
		}
		cr_assert_gt(child, 0);
		who = child;
		uid = 65534;
		gid = 65534;
	}
	/* server_forward_syslog(): a service's stdout, or a native entry. */
	snprintf(line, sizeof(line), "<30>Dec  1 12:00:00 myservice[%ld]: "
	    "started", (long)who);
	send_as(hd_path(&d, "dgram-journal.sock"), line, who, uid, gid);
	/* forward_syslog_raw(): what a client sent to /dev/log, as it was. */
	send_as(hd_path(&d, "dgram-journal.sock"), "<13>Dec  1 12:00:01 "
	    "root: from /dev/log", who, uid, gid);
	cr_assert(hd_wait_lines(hd_path(&d, "main.json"), 2, 10000));
	if (child > 0) {
		kill(child, SIGKILL);
		waitpid(child, NULL, 0);
	}
	cr_assert_eq(hd_signal(&d, SIGTERM, 10000), 0);
	snprintf(what, sizeof(what), "\"facility\":\"daemon\",\"severity\":"
	    "\"info\",\"tag\":\"myservice\",\"pid\":%ld,\"uid\":%ld,"
	    "\"gid\":%ld,", (long)who, (long)uid, (long)gid);
	cr_assert_eq(count_in("main.json", what), 1, "no %s in:\n%s", what,
	    file_read(hd_path(&d, "main.json"), NULL));
	cr_assert_eq(count_in("main.json", "\"message\":\"started\""), 1);
	cr_assert_eq(count_in("main.json", "\"tag\":\"root\""), 1);
	cr_assert_eq(count_in("main.json", "\"message\":\"from /dev/log\""),
	    1);
	cr_assert_eq(count_in("main.json", "claimed_host"), 0);
}
