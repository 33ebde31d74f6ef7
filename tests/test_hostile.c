/*
 * test_hostile.c: a hostile or careless local user against asynclogd's
 * files and sockets. Each test runs the attack and checks that it fails
 * and that nothing it aimed at was touched.
 */
#include <criterion/criterion.h>

#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"

static struct hd d;

static void
daemon_down(void)
{
	hd_stop(&d);
}

static void
write_file(const char *path, const char *text, mode_t mode)
{
	FILE *f;

	cr_assert_not_null(f = fopen(path, "w"));
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_eq(chmod(path, mode), 0);
}

Test(hostile, a_file_at_the_socket_path_is_refused_not_deleted,
    .fini = daemon_down, .timeout = 30)
{
	char *text;

	hd_prepare(&d, HD_CONF_BASIC);
	write_file(d.sock, "precious\n", 0644);
	cr_assert_eq(hd_start_fails(&d), 1);
	cr_assert(hd_log_mentions(&d, "exists and is not a socket (a file)"));
	cr_assert_not_null(text = file_read(d.sock, NULL), "the file is gone");
	cr_assert_str_eq(text, "precious\n");
	free(text);
}

Test(hostile, a_symlink_at_the_socket_path_is_refused_and_its_target_kept,
    .fini = daemon_down, .timeout = 30)
{
	struct stat st;

	hd_prepare(&d, HD_CONF_BASIC);
	write_file(hd_path(&d, "target"), "secret\n", 0600);
	cr_assert_eq(symlink(hd_path(&d, "target"), d.sock), 0);
	cr_assert_eq(hd_start_fails(&d), 1);
	cr_assert(hd_log_mentions(&d, "(a symbolic link); not replacing it"));
	cr_assert_eq(stat(hd_path(&d, "target"), &st), 0);
	cr_assert_eq(st.st_mode & 07777, 0600, "target mode changed to %o",
	    st.st_mode & 07777);
}

Test(hostile, sockets_get_their_mode_whatever_the_umask,
    .fini = daemon_down, .timeout = 30)
{
	struct stat st;

	umask(0);
	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "syslog_dgram = \"@DIR@/dgram.sock\"; socket_mode = \"0620\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_eq(stat(d.sock, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0620, "native socket mode %o",
	    st.st_mode & 0777);
	cr_assert_eq(stat(hd_path(&d, "dgram.sock"), &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0620, "datagram socket mode %o",
	    st.st_mode & 0777);
	hd_stop(&d);

	umask(077);
	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "socket_mode = \"0666\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	cr_assert_eq(stat(d.sock, &st), 0);
	cr_assert_eq(st.st_mode & 0777, 0666, "native socket mode %o",
	    st.st_mode & 0777);
}

Test(hostile, a_stale_socket_is_replaced_but_a_live_one_is_not,
    .fini = daemon_down, .timeout = 30)
{
	struct hd second;

	hd_start(&d, HD_CONF_BASIC);
	/* Killed hard: its socket file stays behind, stale. */
	cr_assert_eq(hd_signal(&d, SIGKILL, 5000), 128 + SIGKILL);
	hd_restart(&d);
	memcpy(&second, &d, sizeof(second));
	cr_assert_eq(hd_start_fails(&second), 1);
	cr_assert(hd_log_mentions(&d, "another daemon is listening there"));
}

static void
send_dgram(const char *path, const char *msg, size_t len)
{
	struct sockaddr_un sun;
	int fd;

	memset(&sun, 0, sizeof(sun));
	sun.sun_family = AF_UNIX;
	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	cr_assert_neq(fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC, 0), -1);
	cr_assert_eq(sendto(fd, msg, len, 0, (struct sockaddr *)&sun,
	    sizeof(sun)), (ssize_t)len);
	close(fd);
}

/* One size rule for every framing: max_record bytes of message, its ending
 * not counted, whether it comes in a datagram or on a stream. */
Test(hostile, a_datagram_message_of_max_record_passes_and_one_byte_more_does_not,
    .fini = daemon_down, .timeout = 30)
{
	char msg[1100];

	hd_start(&d, "listen = { socket = \"@DIR@/asynclog.sock\"; "
	    "syslog_dgram = \"@DIR@/dgram.sock\"; };\n"
	    "buffer = { flush_interval_ms = 20; max_record = \"1K\"; };\n"
	    "outputs = ( { name = \"main\"; path = \"@DIR@/main.log\"; } );\n");
	memset(msg, 'a', sizeof(msg));
	memcpy(msg, "<13>", 4);
	msg[1024] = '\n';
	msg[1025] = '\0';
	send_dgram(hd_path(&d, "dgram.sock"), msg, 1024);
	send_dgram(hd_path(&d, "dgram.sock"), msg, 1025);	/* "\n" */
	send_dgram(hd_path(&d, "dgram.sock"), msg, 1026);	/* "\n\0" */
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 3, 5000));
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 0);
	send_dgram(hd_path(&d, "dgram.sock"), msg, 1027);	/* "\n\0a" */
	msg[1024] = 'a';
	send_dgram(hd_path(&d, "dgram.sock"), msg, 1025);
	send_dgram(hd_path(&d, "dgram.sock"), msg, 1100);
	send_dgram(hd_path(&d, "dgram.sock"), "<13>end", 7);
	cr_assert(hd_wait_lines(hd_path(&d, "main.log"), 4, 5000));
	cr_assert_eq(hd_stat(&d, "total.dropped.too_large"), 3);
	cr_assert_eq(file_lines(hd_path(&d, "main.log")), 4);
}
