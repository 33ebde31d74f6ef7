/*
 * test_unit.c: the sender's systemd unit as a trusted field. The parser of
 * /proc/PID/cgroup is a pure function, tested on samples of what systemd
 * makes; end to end, records from a stream and a datagram carry the unit
 * of the process that sent them: the test process's own (whatever it is,
 * worked out here independently), and, as root with a writable cgroup v2
 * hierarchy, that of a child the test puts in a cgroup of a known name.
 */
#include <criterion/criterion.h>

#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <sys/wait.h>

#include <linux/magic.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "unit.h"

static const char *
unit_in(const char *text)
{
	static char out[RECORD_UNIT_MAX + 1];
	size_t n = unit_from_cgroup(text, strlen(text), out, RECORD_UNIT_MAX);

	out[n] = '\0';
	return out;
}

Test(unit, names_the_service_of_a_system_unit)
{
	cr_assert_str_eq(unit_in("0::/system.slice/foo.service\n"),
	    "foo.service");
	cr_assert_str_eq(unit_in("0::/system.slice/foo.service"),
	    "foo.service", "no final newline");
	cr_assert_str_eq(unit_in("0::/system.slice/system-getty.slice/"
	    "getty@tty1.service\n"), "getty@tty1.service");
	cr_assert_str_eq(unit_in("0::/system.slice/systemd-fsck@dev-disk-by\\"
	    "x2duuid-1234.service\n"), "systemd-fsck@dev-disk-by\\x2duuid-"
	    "1234.service");
	cr_assert_str_eq(unit_in("0::/init.scope\n"), "init.scope");
}

/* Below user@UID.service the user names the cgroups: a user's own
 * "nginx.service" must not pass for the system's. */
Test(unit, names_the_users_manager_not_a_unit_the_user_named)
{
	cr_assert_str_eq(unit_in("0::/user.slice/user-1000.slice/"
	    "user@1000.service/app.slice/bar.service\n"), "user@1000.service");
	cr_assert_str_eq(unit_in("0::/user.slice/user-65534.slice/"
	    "user@65534.service/app.slice/nginx.service\n"),
	    "user@65534.service");
	cr_assert_str_eq(unit_in("0::/user.slice/user-1000.slice/"
	    "user@1000.service/init.scope\n"), "user@1000.service");
	cr_assert_str_eq(unit_in("0::/user.slice/user-1000.slice/"
	    "session-3.scope\n"), "session-3.scope");
}

Test(unit, a_cgroup_below_a_unit_belongs_to_that_unit)
{
	cr_assert_str_eq(unit_in("0::/system.slice/docker.service/sub/x\n"),
	    "docker.service");
	cr_assert_str_eq(unit_in("0::/system.slice/docker-0123abcd.scope/"
	    "init\n"), "docker-0123abcd.scope");
}

Test(unit, reads_the_systemd_hierarchy_of_cgroup_v1_and_hybrid_systems)
{
	cr_assert_str_eq(unit_in("12:pids:/system.slice/foo.service\n"
	    "1:name=systemd:/system.slice/foo.service\n"), "foo.service");
	/* hybrid: the v2 line wins when it names a unit ... */
	cr_assert_str_eq(unit_in("1:name=systemd:/system.slice/a.service\n"
	    "0::/system.slice/b.service\n"), "b.service");
	/* ... and the v1 one is used when it does not */
	cr_assert_str_eq(unit_in("1:name=systemd:/system.slice/a.service\n"
	    "0::/\n"), "a.service");
	/* only the systemd hierarchy counts among v1 controllers */
	cr_assert_str_eq(unit_in("4:memory:/x/foo.service\n0::/\n"), "");
}

Test(unit, no_unit_outside_systemd)
{
	cr_assert_str_eq(unit_in(""), "");
	cr_assert_str_eq(unit_in("0::/\n"), "");
	cr_assert_str_eq(unit_in("0::/system.slice\n"), "");
	cr_assert_str_eq(unit_in("0::/lxc/c1\n"), "");
	cr_assert_str_eq(unit_in("0::/a/.service\n"), "", "no name");
	cr_assert_str_eq(unit_in("0::/a/x.services\n"), "");
	cr_assert_str_eq(unit_in("garbage without a colon"), "");
}

Test(unit, a_cgroup_named_outside_the_unit_name_characters_is_no_unit)
{
	/* a user may name cgroups in its delegated tree as it likes */
	cr_assert_str_eq(unit_in("0::/user.slice/user-1000.slice/"
	    "user@1000.service/x y.service\n"), "user@1000.service");
	cr_assert_str_eq(unit_in("0::/user.slice/user-1000.slice/"
	    "user@1000.service/\x1b[2J.service\n"), "user@1000.service");
}

Test(unit, a_unit_longer_than_the_room_is_unknown)
{
	char text[600], out[16];

	snprintf(text, sizeof(text), "0::/system.slice/%0200d.service\n", 7);
	cr_assert_eq(unit_from_cgroup(text, strlen(text), out, sizeof(out)), 0);
}

Test(unit, a_process_that_is_gone_has_no_unit)
{
	char out[RECORD_UNIT_MAX];

	cr_assert_eq(unit_of_pid(0, out, sizeof(out)), 0);
	cr_assert_eq(unit_of_pid(-1, out, sizeof(out)), 0);
	cr_assert_eq(unit_of_pid(0x3ffffff0, out, sizeof(out)), 0);
}

/* The command name, as the kernel keeps it: set here with prctl. */
Test(unit, reads_the_command_name_of_a_process)
{
	char out[UNIT_COMM_MAX], old[17] = "";

	cr_assert_eq(prctl(PR_GET_NAME, old), 0);
	cr_assert_eq(prctl(PR_SET_NAME, "alog-comm-test"), 0);
	cr_assert_eq(unit_comm_of_pid(getpid(), out, sizeof(out)), 14);
	cr_assert_eq(memcmp(out, "alog-comm-test", 14), 0);
	/* Too little room: unknown, never cut. */
	cr_assert_eq(unit_comm_of_pid(getpid(), out, 5), 0);
	cr_assert_eq(prctl(PR_SET_NAME, old), 0);
	cr_assert_eq(unit_comm_of_pid(0, out, sizeof(out)), 0);
	cr_assert_eq(unit_comm_of_pid(0x3ffffff0, out, sizeof(out)), 0);
}

/* ---- end to end ---- */

#define UNIT_CONF							\
	"listen = { socket = \"@DIR@/asynclog.sock\";\n"		\
	"  syslog_stream = \"@DIR@/stream.sock\";\n"			\
	"  syslog_dgram = \"@DIR@/dgram.sock\"; };\n"			\
	"buffer = { flush_interval_ms = 20; };\n"			\
	"outputs = ( { name = \"main\"; path = \"@DIR@/main.json\";\n"	\
	"  format = \"json\"; },\n"					\
	"  { name = \"rfc\"; path = \"@DIR@/main.5424\";\n"		\
	"  format = \"rfc5424\"; } );\n"

static struct hd d;

static void
unit_up(void)
{
	hd_start(&d, UNIT_CONF);
	cr_assert(hd_wait(hd_socket_ready, &d, "stream.sock", 5000));
	cr_assert(hd_wait(hd_socket_ready, &d, "dgram.sock", 5000));
}

static void
unit_down(void)
{
	hd_stop(&d);
}

/*
 * The unit of this process, worked out here the plain way, not with the
 * daemon's parser: the first path component ending in .service or .scope
 * of the "0::" line, or else of the "name=systemd" line.
 */
static void
own_unit(char *out, size_t cap)
{
	char *text = file_read("/proc/self/cgroup", NULL), *line, *save, *path,
	    *comp, *s2, v2[512] = "", v1[512] = "";
	size_t n;

	cr_assert_not_null(text);
	for (line = strtok_r(text, "\n", &save); line != NULL;
	    line = strtok_r(NULL, "\n", &save)) {
		if (strncmp(line, "0::", 3) == 0)
			snprintf(v2, sizeof(v2), "%s", line + 3);
		else if ((path = strstr(line, ":name=systemd:")) != NULL)
			snprintf(v1, sizeof(v1), "%s", path + 14);
	}
	free(text);
	out[0] = '\0';
	for (path = v2; path != NULL; path = path == v2 ? v1 : NULL) {
		for (comp = strtok_r(path, "/", &s2); comp != NULL;
		    comp = strtok_r(NULL, "/", &s2)) {
			n = strlen(comp);
			if ((n > 8 && strcmp(comp + n - 8, ".service") == 0) ||
			    (n > 6 && strcmp(comp + n - 6, ".scope") == 0)) {
				snprintf(out, cap, "%s", comp);
				break;
			}
		}
		if (out[0] != '\0')
			return;
	}
}

/* One stream record and one datagram with tag `tag`, from this process. */
static void
send_both(const char *tag)
{
	char line[128];
	int fd, n;

	n = snprintf(line, sizeof(line), "<13>%s: by stream\n", tag);
	cr_assert_neq(fd = unix_connect(hd_path(&d, "stream.sock")), -1);
	cr_assert_eq(write(fd, line, n), n);
	close(fd);
	n = snprintf(line, sizeof(line), "<13>%s: by datagram", tag);
	hd_send_dgram(hd_path(&d, "dgram.sock"), line, n);
}

/* Does main.json have a line with both strings in it? */
static bool
json_line_with(const char *a, const char *b)
{
	char *text = file_read(hd_path(&d, "main.json"), NULL), *line, *save;
	bool found = false;

	for (line = text == NULL ? NULL : strtok_r(text, "\n", &save);
	    line != NULL && !found; line = strtok_r(NULL, "\n", &save))
		found = strstr(line, a) != NULL && strstr(line, b) != NULL;
	free(text);
	return found;
}

Test(unit, records_carry_the_unit_of_the_test_process_itself,
    .init = unit_up, .fini = unit_down, .timeout = 30)
{
	char unit[256], want[300];

	own_unit(unit, sizeof(unit));
	cr_log_info("this test runs in unit '%s'", unit);
	send_both("self");
	cr_assert(hd_wait_lines(hd_path(&d, "main.json"), 2, 5000));
	if (unit[0] == '\0') {
		/* Not under systemd: no unit member, rather than a guess. */
		cr_assert_not(json_line_with("by stream", "\"unit\""));
		cr_assert_not(json_line_with("by datagram", "\"unit\""));
		return;
	}
	snprintf(want, sizeof(want), "\"unit\":\"%s\"", unit);
	cr_assert(json_line_with("by stream", want), "stream: no %s", want);
	cr_assert(json_line_with("by datagram", want), "datagram: no %s",
	    want);
}

/* Where cgroup v2 is mounted writable, or NULL. */
static const char *
cgroup2_root(void)
{
	static const char *const roots[] = { "/sys/fs/cgroup/unified",
	    "/sys/fs/cgroup" };
	struct statfs sf;
	size_t i;

	for (i = 0; i < sizeof(roots) / sizeof(roots[0]); i++)
		if (statfs(roots[i], &sf) == 0 &&
		    sf.f_type == CGROUP2_SUPER_MAGIC &&
		    access(roots[i], W_OK) == 0)
			return roots[i];
	return NULL;
}

Test(unit, records_carry_the_unit_of_a_sender_put_in_a_known_cgroup,
    .init = unit_up, .fini = unit_down, .timeout = 30)
{
	char slice[300], cg[400], procs[450], want[128];
	const char *root = cgroup2_root();
	int status, hold[2];
	bool lines;
	char c;
	pid_t pid;
	FILE *f;

	if (geteuid() != 0 || root == NULL)
		cr_skip_test("needs root and a writable cgroup v2 hierarchy to "
		    "put a sender in a cgroup of its own; skipped");
	snprintf(slice, sizeof(slice), "%s/asynclog-test.slice", root);
	snprintf(cg, sizeof(cg), "%s/asynclog-test-%ld.service", slice,
	    (long)getpid());
	snprintf(procs, sizeof(procs), "%s/cgroup.procs", cg);
	(void)mkdir(slice, 0755);
	if (mkdir(cg, 0755) == -1)
		cr_skip_test("cannot make a cgroup in %s; skipped", root);
	/* The child stays until its records are in: the daemon reads its
	 * cgroup when it takes the connection and the datagram. */
	cr_assert_eq(pipe(hold), 0);
	cr_assert_neq(pid = fork(), -1);
	if (pid == 0) {
		close(hold[1]);
		if ((f = fopen(procs, "w")) == NULL ||
		    fprintf(f, "%ld\n", (long)getpid()) < 0 || fclose(f) != 0)
			_exit(2);
		send_both("child");
		(void)read(hold[0], &c, 1);
		_exit(0);
	}
	close(hold[0]);
	lines = hd_wait_lines(hd_path(&d, "main.json"), 2, 5000);
	close(hold[1]);
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	(void)rmdir(cg);
	(void)rmdir(slice);
	cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the child could not join %s", cg);
	cr_assert(lines, "the child's records did not arrive");
	snprintf(want, sizeof(want), "\"unit\":\"asynclog-test-%ld.service\"",
	    (long)getpid());
	cr_assert(json_line_with("by stream", want), "stream: no %s", want);
	cr_assert(json_line_with("by datagram", want), "datagram: no %s",
	    want);
	snprintf(want, sizeof(want), " unit=\"asynclog-test-%ld.service\"]",
	    (long)getpid());
	cr_assert(hd_wait_lines(hd_path(&d, "main.5424"), 2, 5000));
	cr_assert_eq(run("grep -c '%s' %s | grep -qx 2", want,
	    hd_path(&d, "main.5424")), 0, "rfc5424: not two lines with %s",
	    want);
}
