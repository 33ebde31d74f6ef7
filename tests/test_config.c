/* SPDX-License-Identifier: ISC */
/*
 * test_config.c: daemon/config.c turns libconfig text into a validated
 * struct config, or one "file:line: message" error. Every error case
 * checks the line number too: a message that points at the wrong line is
 * worse than none. The conf/ files are loaded from the repository root,
 * where `make test` runs.
 */
#include <sys/stat.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <criterion/criterion.h>

#include "config.h"
#include "harness.h"

/* The harness's config loaders (file "t.conf"), by their short names. */
#define load(text)			hd_conf_load(text)
#define load_fails(text, expected)	hd_conf_load_fails(text, expected)

static void	tmpdir(char *, size_t);
static void	put(const char *, const char *, const char *);

/* Lines 1-4 of most test configs; an output's own keys start on line 5. */
#define HEAD \
	"listen = { socket = \"s.sock\"; };\n"	\
	"outputs = (\n"				\
	"  { name = \"a\";\n"			\
	"    path = \"a.log\";\n"

Test(config, builtin_config_loads_with_every_default)
{
	struct config	*c;
	char		 err[512] = "";

	c = config_load_string(config_builtin, "(built-in)", err, sizeof err);
	cr_assert_not_null(c, "%s", err);
	cr_assert_str_eq(c->file, "(built-in)");
	cr_assert_str_eq(c->socket, "var/asynclog.sock");
	cr_assert_null(c->syslog_stream);
	cr_assert_null(c->syslog_dgram);
	cr_assert_eq(c->socket_mode, 0666);
	cr_assert_eq(c->chunk_size, 512 << 10);
	cr_assert_eq(c->max_memory, 64 << 20);
	cr_assert_eq(c->flush_interval_ms, 200);
	cr_assert_eq(c->overflow, OVERFLOW_BACKPRESSURE);
	cr_assert_eq(c->max_record, 64 << 10);
	cr_assert_eq(c->max_clients, 10240);
	cr_assert_eq(c->drain_timeout_ms, 5000);
	cr_assert_eq(c->ratelimit_interval_ms, 5000);
	cr_assert_eq(c->ratelimit_burst, 0);
	cr_assert_str_eq(c->sd_id, "asynclog@32473");
	cr_assert_eq(c->noutputs, 1);
	cr_assert_str_eq(c->outputs[0].name, "main");
	cr_assert_str_eq(c->outputs[0].path, "var/log/main.log");
	cr_assert_eq(c->outputs[0].format, FORMAT_TEXT);
	cr_assert_str_eq(c->outputs[0].match, "*.*");
	cr_assert(match_record(&c->outputs[0].selector, 0, 7));
	cr_assert_eq(c->outputs[0].sync, SYNC_INTERVAL);
	cr_assert_eq(c->outputs[0].sync_interval_ms, 1000);
	cr_assert_eq(c->outputs[0].keep_free_bytes, 0);
	cr_assert_eq(c->outputs[0].keep_free_percent, 0);
	cr_assert_eq(c->outputs[0].rotate_size, 0);
	cr_assert_eq(c->outputs[0].rotate_age_s, 0);
	cr_assert_eq(c->outputs[0].rotate_keep, 10);
	cr_assert_not(c->outputs[0].rotate_compress);
	cr_assert_eq(c->outputs[0].file_mode, 0640);
	cr_assert_null(c->outputs[0].owner);
	cr_assert_null(c->outputs[0].group);
	cr_assert_str_eq(c->outputs[0].sd_id, "asynclog@32473");
	config_free(c);
}

Test(config, example_config_loads_and_routes_auth_apart)
{
	struct config	*c;
	char		 err[512] = "";

	c = config_load_file("conf/asynclogd.conf", err, sizeof err);
	cr_assert_not_null(c, "%s", err);
	cr_assert_str_eq(c->file, "conf/asynclogd.conf");
	cr_assert_str_eq(c->socket, "/run/asynclog/asynclog.sock");
	cr_assert_null(c->syslog_dgram);
	cr_assert_eq(c->noutputs, 3);
	/* nginx first, filtered and final. */
	cr_assert_str_eq(c->outputs[0].name, "nginx");
	cr_assert_not_null(c->outputs[0].filter);
	cr_assert(c->outputs[0].final);
	cr_assert_str_eq(c->outputs[1].name, "main");
	cr_assert_str_eq(c->outputs[2].name, "auth");
	/* user.info goes to main; auth.info only to auth. */
	cr_assert(match_record(&c->outputs[1].selector, 1, 6));
	cr_assert_not(match_record(&c->outputs[1].selector, 4, 6));
	cr_assert_not(match_record(&c->outputs[1].selector, 10, 0));
	cr_assert(match_record(&c->outputs[2].selector, 4, 7));
	cr_assert(match_record(&c->outputs[2].selector, 10, 6));
	cr_assert_not(match_record(&c->outputs[2].selector, 1, 0));
	cr_assert_eq(c->outputs[1].keep_free_percent, 5);
	cr_assert_eq(c->outputs[1].rotate_size, 100 << 20);
	cr_assert_eq(c->outputs[1].rotate_age_s, 7 * 86400);
	cr_assert(c->outputs[1].rotate_compress);
	config_free(c);
}

Test(config, dev_config_loads_with_everything_under_var)
{
	struct config	*c;
	char		 err[512] = "";

	c = config_load_file("conf/dev.conf", err, sizeof err);
	cr_assert_not_null(c, "%s", err);
	cr_assert_str_eq(c->socket, "var/asynclog.sock");
	cr_assert_str_eq(c->syslog_stream, "var/syslog-stream.sock");
	cr_assert_str_eq(c->syslog_dgram, "var/syslog.sock");
	cr_assert_eq(c->noutputs, 2);
	cr_assert_str_eq(c->outputs[0].path, "var/log/main.log");
	cr_assert_eq(c->outputs[0].format, FORMAT_TEXT);
	cr_assert_str_eq(c->outputs[1].path, "var/log/all.json");
	cr_assert_eq(c->outputs[1].format, FORMAT_JSON);
	config_free(c);
}

Test(config, every_key_is_read)
{
	struct config	*c = hd_conf_load(
	    "listen = { socket = \"n.sock\"; syslog_stream = \"st.sock\";\n"
	    "  syslog_dgram = \"dg.sock\"; socket_mode = \"0600\";\n"
	    "  max_clients = 10; };\n"
	    "buffer = { chunk_size = \"1M\"; max_memory = 4194304;\n"
	    "  flush_interval_ms = 50; overflow = \"drop\";\n"
	    "  max_record = \"8k\"; };\n"
	    "shutdown = { drain_timeout_ms = 0; };\n"
	    "outputs = ( { name = \"x-1\"; path = \"x.log\";\n"
	    "  format = \"rfc5424\"; match = \"mail.err\"; sync = \"always\";\n"
	    "  sync_interval_ms = 7; keep_free = \"2G\"; file_mode = 0600;\n"
	    "  owner = \"root\"; group = \"\";\n"
	    "  rotate = { size = 1000; age = \"12h\"; keep = 0;\n"
	    "    compress = \"none\"; }; } );\n");

	cr_assert_str_eq(c->syslog_stream, "st.sock");
	cr_assert_str_eq(c->syslog_dgram, "dg.sock");
	cr_assert_eq(c->socket_mode, 0600);
	cr_assert_eq(c->max_clients, 10);
	cr_assert_eq(c->chunk_size, 1 << 20);
	cr_assert_eq(c->max_memory, 4 << 20);
	cr_assert_eq(c->flush_interval_ms, 50);
	cr_assert_eq(c->overflow, OVERFLOW_DROP);
	cr_assert_eq(c->max_record, 8192);
	cr_assert_eq(c->drain_timeout_ms, 0);
	cr_assert_eq(c->outputs[0].format, FORMAT_RFC5424);
	cr_assert(match_record(&c->outputs[0].selector, 2, 3));
	cr_assert_not(match_record(&c->outputs[0].selector, 2, 4));
	cr_assert_eq(c->outputs[0].sync, SYNC_ALWAYS);
	cr_assert_eq(c->outputs[0].sync_interval_ms, 7);
	cr_assert_eq(c->outputs[0].keep_free_bytes, 2ULL << 30);
	cr_assert_eq(c->outputs[0].keep_free_percent, 0);
	cr_assert_eq(c->outputs[0].file_mode, 0600);
	cr_assert_str_eq(c->outputs[0].owner, "root");
	cr_assert_null(c->outputs[0].group, "\"\" means do not chown");
	cr_assert_eq(c->outputs[0].rotate_size, 1000);
	cr_assert_eq(c->outputs[0].rotate_age_s, 12 * 3600);
	cr_assert_eq(c->outputs[0].rotate_keep, 0);
	cr_assert_eq(c->outputs[0].line, 8);
	config_free(c);
}

Test(config, empty_syslog_socket_paths_mean_none)
{
	struct config	*c = hd_conf_load(
	    "listen = { socket = \"s\"; syslog_stream = \"\";\n"
	    "  syslog_dgram = \"\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n");

	cr_assert_null(c->syslog_stream);
	cr_assert_null(c->syslog_dgram);
	config_free(c);
}

/* Unset, max_record shrinks to the largest whose worst-case escaping fits
 * a chunk: text writes at most 4 bytes per client byte. */
Test(config, max_record_default_shrinks_to_fit_a_small_chunk)
{
	struct config	*c = hd_conf_load(HEAD "  } );\n"
	    "buffer = { chunk_size = \"16K\"; };\n");

	cr_assert_lt(c->max_record, 16 << 10);
	cr_assert_leq(format_max_line(FORMAT_TEXT, c->max_record), 16 << 10);
	cr_assert_gt(format_max_line(FORMAT_TEXT, c->max_record + 1),
	    16 << 10);
	config_free(c);
}

Test(config, the_default_max_record_fits_the_default_chunk_in_every_format)
{
	enum format_kind	k;

	for (k = FORMAT_TEXT; k <= FORMAT_RFC5424; k++)
		cr_assert_leq(format_max_line(k, 64 << 10), 512 << 10,
		    "%s", format_name(k));
}

Test(config, unknown_key_at_top_level_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "  } );\n"
	    "\n"
	    "colour = \"red\";\n",
	    "t.conf:7: unknown key 'colour'");
}

Test(config, unknown_key_in_listen_is_an_error_on_its_line)
{
	hd_conf_load_fails("listen = {\n"
	    "  socket = \"s\";\n"
	    "  sokcet_mode = \"0600\";\n"
	    "};\n",
	    "t.conf:3: unknown key 'sokcet_mode' in listen");
}

Test(config, unknown_key_in_output_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD
	    "    format = \"text\";\n"
	    "    sinc = \"always\"; } );\n",
	    "t.conf:6: output 'a': unknown key 'sinc'");
}

Test(config, unknown_key_in_rotate_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD
	    "    rotate = {\n"
	    "      sise = \"10M\"; }; } );\n",
	    "t.conf:6: output 'a': unknown key 'sise' in rotate");
}

Test(config, wrong_type_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "  } );\n"
	    "buffer = { flush_interval_ms = \"200\"; };\n",
	    "t.conf:6: buffer.flush_interval_ms must be an integer");
	hd_conf_load_fails(HEAD "    format = 3; } );\n",
	    "t.conf:5: output 'a': format must be a string");
	hd_conf_load_fails("listen = \"s\";\n",
	    "t.conf:1: listen must be a group");
	hd_conf_load_fails("listen = { socket = \"s\"; };\n"
	    "outputs = { name = \"a\"; };\n",
	    "t.conf:2: outputs must be a list");
	hd_conf_load_fails(HEAD "  }, 5 );\n",
	    "t.conf:5: output #2: must be a group");
}

Test(config, bad_size_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "    rotate = { size = \"12Q\"; };\n  } );\n",
	    "t.conf:5: output 'a': rotate.size: bad size '12Q'");
	hd_conf_load_fails(HEAD "  } );\n"
	    "buffer = {\n  chunk_size = -4096; };\n",
	    "t.conf:7: buffer.chunk_size is negative");
}

Test(config, bad_duration_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "    rotate = { age = \"1w\"; };\n  } );\n",
	    "t.conf:5: output 'a': rotate.age: bad duration '1w'");
}

Test(config, bad_mode_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "    file_mode = \"999\"; } );\n",
	    "t.conf:5: output 'a': file_mode: bad mode '999'");
	hd_conf_load_fails("listen = { socket = \"s\";\n"
	    "  socket_mode = \"010000\"; };\n",
	    "t.conf:2: listen.socket_mode: bad mode '010000'");
	hd_conf_load_fails("listen = { socket = \"s\";\n"
	    "  socket_mode = 10000; };\n",
	    "t.conf:2: listen.socket_mode: bad mode 10000");
	hd_conf_load_fails("listen = { socket = \"s\";\n"
	    "  socket_mode = 680; };\n",
	    "t.conf:2: listen.socket_mode: bad mode 680");
}

Test(config, integer_modes_are_read_as_octal_digits)
{
	struct config	*c = hd_conf_load(
	    "listen = { socket = \"s\"; socket_mode = 660; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\";\n"
	    "  file_mode = 0640; } );\n");

	cr_assert_eq(c->socket_mode, 0660);
	cr_assert_eq(c->outputs[0].file_mode, 0640);
	config_free(c);
}

Test(config, bad_overflow_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "  } );\n"
	    "buffer = { overflow = \"block\"; };\n",
	    "t.conf:6: buffer.overflow: unknown value 'block' "
	    "(\"backpressure\" or \"drop\")");
}

Test(config, bad_sync_and_compress_are_errors_on_their_lines)
{
	hd_conf_load_fails(HEAD "    sync = \"sometimes\"; } );\n",
	    "t.conf:5: output 'a': sync: unknown value 'sometimes'");
	hd_conf_load_fails(HEAD "    rotate = { compress = \"gzip\"; }; } );\n",
	    "t.conf:5: output 'a': rotate.compress: unknown value 'gzip'");
}

Test(config, bad_format_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "    format = \"xml\"; } );\n",
	    "t.conf:5: output 'a': unknown format 'xml'");
}

Test(config, bad_match_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "    match = \"*.info;mial.none\"; } );\n",
	    "t.conf:5: output 'a': match: unknown facility 'mial'");
	hd_conf_load_fails(HEAD "    match = \"\"; } );\n",
	    "t.conf:5: output 'a': match: empty selector");
}

Test(config, bad_keep_free_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "    keep_free = \"100%\"; } );\n",
	    "t.conf:5: output 'a': keep_free: bad percentage '100%'");
	hd_conf_load_fails(HEAD "    keep_free = \"5%%\"; } );\n",
	    "t.conf:5: output 'a': keep_free: bad percentage '5%%'");
	hd_conf_load_fails(HEAD "    keep_free = \"lots\"; } );\n",
	    "t.conf:5: output 'a': keep_free: bad size 'lots'");
}

Test(config, duplicate_output_name_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "  },\n"
	    "  { path = \"b.log\";\n"
	    "    name = \"a\"; } );\n",
	    "t.conf:7: output #2: duplicate output name 'a' (first at line 3)");
}

Test(config, duplicate_output_path_is_an_error_on_its_line)
{
	hd_conf_load_fails(HEAD "  },\n"
	    "  { name = \"b\";\n"
	    "    path = \"a.log\"; } );\n",
	    "t.conf:7: output 'b': path 'a.log' is already used by output 'a'");
}

Test(config, output_without_name_or_path_is_an_error)
{
	hd_conf_load_fails("listen = { socket = \"s\"; };\n"
	    "outputs = ( { path = \"a.log\"; } );\n",
	    "t.conf:2: output #1: name is required");
	hd_conf_load_fails("listen = { socket = \"s\"; };\n"
	    "outputs = ( { name = \"a b\"; path = \"a.log\"; } );\n",
	    "t.conf:2: output #1: bad name 'a b'");
	hd_conf_load_fails("listen = { socket = \"s\"; };\n"
	    "outputs = ( { name = \"a\";\n path = \"\"; } );\n",
	    "t.conf:3: output 'a': path is required");
}

Test(config, no_outputs_is_an_error)
{
	hd_conf_load_fails("listen = { socket = \"s\"; };\n"
	    "outputs = ( );\n",
	    "t.conf:2: no outputs (at least one is needed)");
	/* Nothing to point at: the file is named without a line. */
	hd_conf_load_fails("listen = { socket = \"s\"; };\n",
	    "t.conf: no outputs (at least one is needed)");
}

Test(config, missing_or_bad_socket_is_an_error)
{
	char	text[512];

	hd_conf_load_fails("listen = {\n  socket = \"\"; };\n",
	    "t.conf:2: listen.socket is required");
	hd_conf_load_fails("listen = {\n  max_clients = 5; };\n",
	    "t.conf:1: listen.socket is required");
	hd_conf_load_fails("outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf: listen.socket is required");
	snprintf(text, sizeof text, "listen = {\n  socket = \"%0108d\"; };\n",
	    0);
	hd_conf_load_fails(text, "t.conf:2: listen.socket: path longer than 107 bytes");
	hd_conf_load_fails("listen = { socket = \"s\";\n  syslog_dgram = \"s\"; };\n",
	    "t.conf:2: listen.syslog_dgram is the same path as listen.socket");
}

Test(config, kmsg_and_journal_inputs)
{
	struct config	*c;

	c = load("listen = { socket = \"s.sock\"; kmsg = true;\n"
	    "  journal = \"/run/systemd/journal/syslog\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"/var/log/x/a.log\"; } );\n");
	cr_assert_str_eq(c->kmsg, "/dev/kmsg");
	cr_assert_str_eq(c->kmsg_state, "/var/log/x/kmsg.state");
	cr_assert_str_eq(c->journal, "/run/systemd/journal/syslog");
	config_free(c);
	c = load("listen = { socket = \"s.sock\"; kmsg = \"/dev/k2\";\n"
	    "  kmsg_state = \"/var/lib/a/k\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n");
	cr_assert_str_eq(c->kmsg, "/dev/k2");
	cr_assert_str_eq(c->kmsg_state, "/var/lib/a/k");
	config_free(c);
	c = load("listen = { socket = \"s.sock\"; kmsg = false; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n");
	cr_assert_null(c->kmsg);
	cr_assert_null(c->kmsg_state);
	cr_assert_null(c->journal);
	config_free(c);
	c = load("listen = { socket = \"s.sock\"; kmsg = true; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n");
	cr_assert_str_eq(c->kmsg_state, "./kmsg.state");
	config_free(c);

	load_fails("listen = { socket = \"s.sock\";\n  kmsg = 1; };\n",
	    "t.conf:2: listen.kmsg must be true, false or the path of the "
	    "kernel log device");
	load_fails("listen = { socket = \"s.sock\";\n  kmsg_state = 1; };\n",
	    "t.conf:2: listen.kmsg_state must be a string");
	load_fails("listen = { socket = \"s\";\n  journal = \"s\"; };\n",
	    "t.conf:2: listen.journal is the same path as listen.socket");
	load_fails("listen = { socket = \"s.sock\";\n  kmsg = true; };\n"
	    "outputs = ( { name = \"f\"; type = \"forward\";\n"
	    "  target = \"127.0.0.1:6514\"; } );\n",
	    "t.conf:2: listen.kmsg_state is required when no output is a file");
}

Test(config, chunk_size_out_of_range_is_an_error)
{
	hd_conf_load_fails(HEAD "  } );\n"
	    "buffer = { chunk_size = \"2K\"; };\n",
	    "t.conf:6: buffer.chunk_size must be between 4K and 64M, not 2K");
	hd_conf_load_fails(HEAD "  } );\n"
	    "buffer = { chunk_size = \"128M\"; };\n",
	    "t.conf:6: buffer.chunk_size must be between 4K and 64M");
}

/* The message names the line of max_record and the chunk_size it needs:
 * 1024 + 6 * (65536 + 468 + 255 + 255) + 2 * 256 (the unit; the second 255
 * is a TLS peer's certificate name) bytes for JSON, rounded up to 392K. */
Test(config, a_max_record_that_can_outgrow_a_chunk_is_an_error)
{
	hd_conf_load_fails(HEAD "  format = \"json\"; } );\n"
	    "buffer = { chunk_size = \"256K\";\n  max_record = \"64K\"; };\n",
	    "t.conf:7: buffer.max_record (64K) does not fit buffer.chunk_size "
	    "(256K): output 'a' (json) can turn such a record into a line "
	    "of 400620 bytes once escaped; chunk_size must be at least 392K "
	    "for this max_record");
	hd_conf_load_fails(HEAD "  } );\n"
	    "buffer = { chunk_size = \"64K\";\n  max_record = 0; };\n",
	    "t.conf:7: buffer.max_record must be between 1 and 64M");
}

Test(config, a_chunk_too_small_for_any_record_is_an_error)
{
	hd_conf_load_fails(HEAD "  format = \"rfc5424\"; } );\n"
	    "buffer = { chunk_size = \"4K\"; };\n",
	    "t.conf:6: buffer.chunk_size (4K) is too small for output 'a' "
	    "(rfc5424): even a 1-byte max_record needs a chunk_size of at "
	    "least 7K");
}

Test(config, sd_id_is_set_once_and_reaches_every_output)
{
	struct config	*c = hd_conf_load(HEAD "  } );\n"
	    "format = { sd_id = \"mysite@99999.1\"; };\n");

	cr_assert_str_eq(c->sd_id, "mysite@99999.1");
	cr_assert_str_eq(c->outputs[0].sd_id, "mysite@99999.1");
	config_free(c);
}

Test(config, a_bad_sd_id_is_an_error_at_its_line)
{
	static const char *const bad[] = { "asynclog", "@32473", "a@",
	    "a@1.", "a@.1", "a@1x", "a b@1", "a=b@1", "a@1@2", "a]b@1",
	    "abcdefghijklmnopqrstuvw@12345", "" };
	char	text[512];
	size_t	i;

	for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		snprintf(text, sizeof text, HEAD "  } );\n"
		    "format = {\n  sd_id = \"%s\"; };\n", bad[i]);
		hd_conf_load_fails(text, "t.conf:7: format.sd_id: bad SD-ID");
	}
	hd_conf_load_fails(HEAD "  } );\nformat = { sdid = \"a@1\"; };\n",
	    "t.conf:6: unknown key 'sdid' in format");
}

Test(config, max_memory_too_small_for_the_outputs_says_why)
{
	hd_conf_load_fails(HEAD "  },\n"
	    "  { name = \"b\"; path = \"b.log\"; } );\n"
	    "buffer = { chunk_size = \"256K\";\n"
	    "  max_memory = \"1000K\"; };\n",
	    "t.conf:8: buffer.max_memory (1000K) must be at least "
	    "2 * chunk_size * outputs = 2 * 256K * 2 = 1M");
}

Test(config, max_memory_of_exactly_two_chunks_per_output_is_enough)
{
	struct config	*c = hd_conf_load(HEAD "  } );\n"
	    "buffer = { chunk_size = \"256K\"; max_memory = \"512K\"; };\n");

	cr_assert_eq(c->max_memory, 512 << 10);
	config_free(c);
}

Test(config, syntax_error_names_its_line)
{
	hd_conf_load_fails("listen = {\n"
	    "  socket = \"s\";\n"
	    "  max_clients = = 3;\n"
	    "};\n",
	    "t.conf:3: syntax error");
}

Test(config, file_errors_name_the_file)
{
	char	 path[] = "/tmp/asynclog-test-config-XXXXXX";
	char	 err[512];
	FILE	*f;
	int	 fd;

	cr_assert_null(config_load_file("/nonexistent/asynclogd.conf", err,
	    sizeof err));
	cr_assert_str_eq(err, "/nonexistent/asynclogd.conf: "
	    "No such file or directory");

	cr_assert_neq(fd = mkstemp(path), -1);
	cr_assert_not_null(f = fdopen(fd, "w"));
	fputs("listen = { socket = \"s\"; };\n\nbogus = 1;\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n", f);
	cr_assert_eq(fclose(f), 0);
	cr_assert_null(config_load_file(path, err, sizeof err));
	unlink(path);
	cr_assert_eq(strncmp(err, path, strlen(path)), 0, "%s", err);
	cr_assert_str_eq(err + strlen(path), ":3: unknown key 'bogus'");
}

Test(config, sizes_parse_in_powers_of_1024)
{
	uint64_t	v;

	cr_assert_eq(config_parse_size("512", &v), 0);
	cr_assert_eq(v, 512);
	cr_assert_eq(config_parse_size("0", &v), 0);
	cr_assert_eq(v, 0);
	cr_assert_eq(config_parse_size("64K", &v), 0);
	cr_assert_eq(v, 64 << 10);
	cr_assert_eq(config_parse_size("256k", &v), 0);
	cr_assert_eq(v, 256 << 10);
	cr_assert_eq(config_parse_size("10M", &v), 0);
	cr_assert_eq(v, 10 << 20);
	cr_assert_eq(config_parse_size("1g", &v), 0);
	cr_assert_eq(v, 1ULL << 30);
	cr_assert_eq(config_parse_size("3T", &v), 0);
	cr_assert_eq(v, 3ULL << 40);
	cr_assert_eq(config_parse_size("18446744073709551615", &v), 0);
	cr_assert_eq(v, UINT64_MAX);
}

Test(config, bad_or_overflowing_sizes_are_rejected)
{
	static const char *const bad[] = { "", "12Q", "K", "-1", "+1", " 1",
	    "1 K", "1KB", "1.5M", "99999999999999999999G",
	    "18446744073709551616", "16777216T", NULL };
	uint64_t	v = 42;
	int		i;

	for (i = 0; bad[i] != NULL; i++) {
		cr_assert_eq(config_parse_size(bad[i], &v), -1, "'%s'", bad[i]);
		cr_assert_eq(v, 42, "'%s' must not touch the result", bad[i]);
	}
}

Test(config, durations_parse_with_units_or_as_seconds)
{
	uint64_t	v;

	cr_assert_eq(config_parse_duration("90", &v), 0);
	cr_assert_eq(v, 90);
	cr_assert_eq(config_parse_duration("30s", &v), 0);
	cr_assert_eq(v, 30);
	cr_assert_eq(config_parse_duration("5m", &v), 0);
	cr_assert_eq(v, 300);
	cr_assert_eq(config_parse_duration("1h", &v), 0);
	cr_assert_eq(v, 3600);
	cr_assert_eq(config_parse_duration("7d", &v), 0);
	cr_assert_eq(v, 7 * 86400);
}

Test(config, bad_or_overflowing_durations_are_rejected)
{
	static const char *const bad[] = { "", "1w", "h", "-5", "1hm",
	    "1H", "99999999999999999999d", "213503982334602d", NULL };
	uint64_t	v = 42;
	int		i;

	for (i = 0; bad[i] != NULL; i++) {
		cr_assert_eq(config_parse_duration(bad[i], &v), -1, "'%s'",
		    bad[i]);
		cr_assert_eq(v, 42);
	}
}

Test(config, filter_and_final_are_read)
{
	struct config *c = hd_conf_load(HEAD
	    "    filter = \"tag == 'nginx' and not msg =~ 'GET /health'\";\n"
	    "    final = true; },\n"
	    "  { name = \"b\"; path = \"b.log\"; } );\n");
	struct config_output *copy;

	cr_assert_not_null(c->outputs[0].filter);
	cr_assert_str_eq(filter_text(c->outputs[0].filter),
	    "tag == 'nginx' and not msg =~ 'GET /health'");
	cr_assert(c->outputs[0].final);
	cr_assert_null(c->outputs[1].filter);
	cr_assert_not(c->outputs[1].final);
	/* A copy compiles its own filter (outputs keep theirs after a
	 * reload frees the config). */
	cr_assert_not_null(copy = config_output_dup(&c->outputs[0]));
	cr_assert_not_null(copy->filter);
	cr_assert_neq(copy->filter, c->outputs[0].filter);
	cr_assert_str_eq(filter_text(copy->filter),
	    filter_text(c->outputs[0].filter));
	config_output_free(copy);
	config_free(c);
}

Test(config, a_filter_split_over_lines_is_one_string)
{
	struct config *c = hd_conf_load(HEAD
	    "    filter = \"tag == 'nginx'\"\n"
	    "             \" and uid != 0\"; } );\n");

	cr_assert_str_eq(filter_text(c->outputs[0].filter),
	    "tag == 'nginx' and uid != 0");
	config_free(c);
}

Test(config, a_bad_filter_is_an_error_on_its_line_with_its_column)
{
	hd_conf_load_fails(HEAD "    filter = \"prog == 'nginx'\"; } );\n",
	    "t.conf:5: output 'a': filter: column 1: unknown field 'prog'");
	hd_conf_load_fails(HEAD "    match = \"*.*\";\n"
	    "    filter = \"tag == 'nginx' and msg =~ 'a(b'\"; } );\n",
	    "t.conf:6: output 'a': filter: column 27: bad regular expression "
	    "'a(b': missing closing parenthesis at offset 3");
	hd_conf_load_fails(HEAD "    filter = \"\"; } );\n",
	    "t.conf:5: output 'a': filter: empty filter");
	hd_conf_load_fails(HEAD "    filter = 1; } );\n",
	    "t.conf:5: output 'a': filter must be a string");
}

Test(config, final_must_be_a_boolean)
{
	hd_conf_load_fails(HEAD "    final = \"yes\"; } );\n",
	    "t.conf:5: output 'a': final must be true or false");
	hd_conf_load_fails(HEAD "    final = 1; } );\n",
	    "t.conf:5: output 'a': final must be true or false");
}

/*
 * A line of the man page's table, where it belongs: an output's key in an
 * output (path in place of the test's own, and max_open_files with a path
 * that has fields, which it needs), a top-level key at the top. The
 * directory of include_dir is the one thing replaced: the test's own,
 * holding one drop-in output.
 */
static struct config *
load_table_line(const char *line, char *text, size_t len)
{
	static char	 dir[64];
	struct config	*c;
	char		 top[600], *q;

	if (strncmp(line, "path", 4) == 0 ||
	    strncmp(line, "max_open_files", 14) == 0)
		snprintf(text, len, "listen = { socket = \"s.sock\"; };\n"
		    "outputs = ( { name = \"a\";%s\n    %s } );\n",
		    line[0] == 'm' ? " path = \"${tag}.log\";" : "", line);
	else if (strncmp(line, "disk_budget", 11) == 0)
		snprintf(text, len, "%s\n" HEAD "  } );\n", line);
	else if (strncmp(line, "include_dir", 11) == 0) {
		if (dir[0] == '\0') {
			tmpdir(dir, sizeof dir);
			put(dir, "x.conf", "outputs = ( { name = \"x\"; "
			    "path = \"x.log\"; } );\n");
		}
		snprintf(top, sizeof top, "%s", line);
		cr_assert_not_null(q = strchr(top, '"'));
		snprintf(q, sizeof top - (size_t)(q - top), "\"%s\";", dir);
		snprintf(text, len, "%s\n" HEAD "  } );\n", top);
	} else
		snprintf(text, len, HEAD "    %s } );\n", line);
	c = load(text);
	if (dir[0] != '\0' && strncmp(line, "include_dir", 11) == 0)
		cr_assert_eq(run("rm -rf %s", dir), 0);
	if (strncmp(line, "include_dir", 11) == 0)
		dir[0] = '\0';
	return (c);
}

/* The man page's rsyslog / syslog-ng table: every asynclogd line in it
 * (a .Dl line of "Coming from rsyslog or syslog-ng") loads. */
Test(config, every_line_of_the_man_pages_mapping_table_loads)
{
	char		*page, *p, *end, *nl, line[512], text[1024];
	struct config	*c;
	size_t		 i, j, n = 0;
	FILE		*f;
	long		 len;

	cr_assert_not_null(f = fopen("docs/asynclogd.conf.5", "r"));
	cr_assert_eq(fseek(f, 0, SEEK_END), 0);
	cr_assert_gt(len = ftell(f), 0);
	rewind(f);
	cr_assert_not_null(page = calloc(1, (size_t)len + 1));
	cr_assert_eq(fread(page, 1, (size_t)len, f), (size_t)len);
	fclose(f);
	cr_assert_not_null(p = strstr(page, ".Ss Coming from rsyslog"));
	cr_assert_not_null(end = strstr(p, "\n.Sh "));
	for (; (p = strstr(p, "\n.Dl ")) != NULL && p < end; p = nl) {
		p += 5;
		nl = strchr(p, '\n');
		/* mdoc escapes: \(dq is '"', \e is '\', \& is nothing. */
		for (i = j = 0; p + i < nl && j < sizeof line - 1; ) {
			if (strncmp(p + i, "\\(dq", 4) == 0) {
				line[j++] = '"';
				i += 4;
			} else if (strncmp(p + i, "\\e", 2) == 0) {
				line[j++] = '\\';
				i += 2;
			} else if (strncmp(p + i, "\\&", 2) == 0)
				i += 2;
			else
				line[j++] = p[i++];
		}
		line[j] = '\0';
		c = load_table_line(line, text, sizeof text);
		if (strncmp(line, "final", 5) == 0)
			cr_assert(c->outputs[0].final, "%s", line);
		else if (strncmp(line, "format", 6) == 0)
			cr_assert_not_null(c->outputs[0].template, "%s", line);
		else if (strncmp(line, "path", 4) == 0)
			cr_assert_not_null(c->outputs[0].name_template, "%s",
			    line);
		else if (strncmp(line, "max_open_files", 14) == 0)
			cr_assert_neq(c->outputs[0].max_open_files, 64, "%s",
			    line);
		else if (strncmp(line, "disk_budget", 11) == 0)
			cr_assert_gt(c->budget_max_use, 0, "%s", line);
		else if (strncmp(line, "include_dir", 11) == 0)
			cr_assert_eq(c->noutputs, 2, "%s", line);
		else
			cr_assert_not_null(c->outputs[0].filter, "%s", line);
		config_free(c);
		n++;
	}
	cr_assert_geq(n, 36, "only %zu lines found in the table", n);
	free(page);
}

/* A temporary directory for tests that need real files. */
static void
tmpdir(char *dir, size_t len)
{
	snprintf(dir, len, "/tmp/asynclog-test-config-XXXXXX");
	cr_assert_not_null(mkdtemp(dir));
}

static void
put(const char *dir, const char *name, const char *text)
{
	char	 path[512];
	FILE	*f;

	snprintf(path, sizeof path, "%s/%s", dir, name);
	cr_assert_not_null(f = fopen(path, "w"), "%s", path);
	fputs(text, f);
	cr_assert_eq(fclose(f), 0);
}

/* A main file with one output that includes conf.d, which is made empty;
 * its path into conf. */
static void
include_setup(char *dir, size_t dlen, char *conf, size_t clen)
{
	tmpdir(dir, dlen);
	put(dir, "main.conf", "listen = { socket = \"s.sock\"; };\n"
	    "include_dir = \"conf.d\";\n"
	    "outputs = ( { name = \"main\"; path = \"main.log\"; } );\n");
	snprintf(conf, clen, "%s/conf.d", dir);
	cr_assert_eq(mkdir(conf, 0755), 0);
}

Test(config, include_dir_outputs_come_first_in_file_name_order)
{
	char		 dir[64], conf[128], err[1024] = "";
	struct config	*c;

	include_setup(dir, sizeof dir, conf, sizeof conf);
	put(conf, "20-b.conf", "outputs = ( { name = \"b\"; "
	    "path = \"b.log\"; final = true; } );\n");
	put(conf, "10-a.conf", "outputs = ( { name = \"a\"; path = \"a.log\"; },"
	    " { name = \"a2\"; path = \"a2.log\"; } );\n");
	put(conf, "README", "not a config file");
	put(conf, "30-c.conf.disabled", "bogus");
	snprintf(conf, sizeof conf, "%s/main.conf", dir);
	c = config_load_file(conf, err, sizeof err);
	cr_assert_not_null(c, "%s", err);
	cr_assert_eq(c->noutputs, 4);
	cr_assert_str_eq(c->outputs[0].name, "a");
	cr_assert_str_eq(c->outputs[1].name, "a2");
	cr_assert_str_eq(c->outputs[2].name, "b");
	cr_assert(c->outputs[2].final);
	cr_assert_str_eq(c->outputs[3].name, "main");
	config_free(c);
	cr_assert_eq(run("rm -rf %s", dir), 0);
}

Test(config, an_error_in_an_included_file_names_that_file_and_line)
{
	char		 dir[64], conf[128], err[1024] = "", want[256];

	include_setup(dir, sizeof dir, conf, sizeof conf);
	put(conf, "50-app.conf", "# an application's drop-in\n"
	    "outputs = (\n"
	    "  { name = \"app\";\n"
	    "    path = \"app.log\";\n"
	    "    rotate = { sise = \"10M\"; }; } );\n");
	put(conf, "60-syntax.conf", "outputs = (\n  { name = = \"x\"; } );\n");
	snprintf(conf, sizeof conf, "%s/main.conf", dir);
	cr_assert_null(config_load_file(conf, err, sizeof err));
	snprintf(want, sizeof want, "%s/conf.d/50-app.conf:5: output 'app': "
	    "unknown key 'sise' in rotate (did you mean 'size'?)", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	snprintf(want, sizeof want, "%s/conf.d/60-syntax.conf:2: ", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_eq(run("rm -rf %s", dir), 0);
}

/* A FIFO there would block the load (and a reload, the daemon) for good. */
Test(config, an_included_name_that_is_not_a_regular_file_is_an_error,
    .timeout = 30)
{
	char	 dir[64], conf[128], err[1024] = "", want[256];

	include_setup(dir, sizeof dir, conf, sizeof conf);
	put(conf, "10-a.conf", "outputs = ( { name = \"a\"; "
	    "path = \"a.log\"; } );\n");
	snprintf(conf, sizeof conf, "%s/conf.d/50-fifo.conf", dir);
	cr_assert_eq(mkfifo(conf, 0644), 0);
	snprintf(conf, sizeof conf, "%s/conf.d/60-dir.conf", dir);
	cr_assert_eq(mkdir(conf, 0755), 0);
	snprintf(conf, sizeof conf, "%s/main.conf", dir);
	cr_assert_null(config_load_file(conf, err, sizeof err));
	snprintf(want, sizeof want, "%s/conf.d/50-fifo.conf: not a regular "
	    "file", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	snprintf(want, sizeof want, "%s/conf.d/60-dir.conf: not a regular "
	    "file", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_eq(run("rm -rf %s", dir), 0);
}

Test(config, a_missing_include_dir_is_an_error_on_its_line)
{
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "include_dir = \"/nonexistent/conf.d\";\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:2: include_dir '/nonexistent/conf.d': No such file");
}

Test(config, every_error_is_reported_not_only_the_first)
{
	char		 err[2048] = "";

	cr_assert_null(config_load_string(
	    "listen = { socket = \"s.sock\"; bogus = 1; };\n"
	    "buffer = { chunk_size = \"12Q\"; };\n"
	    "outputs = (\n"
	    "  { name = \"a\"; path = \"a.log\"; sync = \"sometimes\"; },\n"
	    "  { name = \"b\"; path = \"b.log\"; },\n"
	    "  { name = \"c\"; path = \"c.log\"; format = \"xml\"; } );\n",
	    "t.conf", err, sizeof err));
	cr_assert_not_null(strstr(err, "t.conf:1: unknown key 'bogus' in "
	    "listen\n"), "%s", err);
	cr_assert_not_null(strstr(err, "t.conf:2: buffer.chunk_size: bad "
	    "size '12Q'"), "%s", err);
	cr_assert_not_null(strstr(err, "t.conf:4: output 'a': sync: unknown "
	    "value 'sometimes'"), "%s", err);
	cr_assert_not_null(strstr(err, "t.conf:6: output 'c': unknown format "
	    "'xml'"), "%s", err);
	cr_assert_null(strstr(err, "'b'"), "%s", err);
}

Test(config, errors_stop_at_a_limit)
{
	char	text[8192], err[8192] = "";
	size_t	o, i;

	o = (size_t)snprintf(text, sizeof text,
	    "listen = { socket = \"s.sock\"; };\noutputs = (\n");
	for (i = 0; i < 30; i++)
		o += (size_t)snprintf(text + o, sizeof text - o, "%s{ name = "
		    "\"o%zu\"; path = \"o%zu.log\"; sync = \"x\"; }\n",
		    i ? "," : "", i, i);
	snprintf(text + o, sizeof text - o, ");\n");
	cr_assert_null(config_load_string(text, "t.conf", err, sizeof err));
	cr_assert_not_null(strstr(err, "output 'o19'"), "%s", err);
	cr_assert_null(strstr(err, "output 'o20'"), "%s", err);
	cr_assert_not_null(strstr(err, "t.conf: more than 20 errors"), "%s",
	    err);
}

Test(config, a_misspelt_required_key_is_named_as_unknown_not_missing)
{
	char	err[1024] = "";

	cr_assert_null(config_load_string(HEAD "  },\n"
	    "  { nme = \"b\"; path = \"b.log\"; },\n"
	    "  { name = \"c\"; pth = \"c.log\"; } );\n", "t.conf", err,
	    sizeof err));
	cr_assert_not_null(strstr(err, "t.conf:6: output #2: unknown key "
	    "'nme' (did you mean 'name'?)"), "%s", err);
	cr_assert_not_null(strstr(err, "t.conf:7: output 'c': unknown key "
	    "'pth' (did you mean 'path'?)"), "%s", err);
	cr_assert_null(strstr(err, "required"), "%s", err);
}

Test(config, two_paths_to_one_file_are_refused)
{
	char		 dir[64], text[1024], err[1024] = "", want[256];

	tmpdir(dir, sizeof dir);
	cr_assert_eq(run("mkdir %s/log && ln -s log %s/link", dir, dir), 0);
	snprintf(text, sizeof text, "listen = { socket = \"s.sock\"; };\n"
	    "outputs = (\n"
	    "  { name = \"a\"; path = \"%s/log/a.log\"; },\n"
	    "  { name = \"b\"; path = \"%s/log/../log/a.log\"; },\n"
	    "  { name = \"c\"; path = \"%s/link/a.log\"; },\n"
	    "  { name = \"d\"; path = \"%s/log/d.log\"; } );\n",
	    dir, dir, dir, dir);
	cr_assert_null(config_load_string(text, "t.conf", err, sizeof err));
	snprintf(want, sizeof want, "t.conf:4: output 'b': '%s/log/../log/"
	    "a.log' is the same file as '%s/log/a.log' of output 'a'", dir,
	    dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	snprintf(want, sizeof want, "t.conf:5: output 'c': '%s/link/a.log' "
	    "is the same file", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_null(strstr(err, "output 'd'"), "%s", err);
	cr_assert_eq(run("rm -rf %s", dir), 0);
}

/* A fallback file that is another output's file: the message says which
 * of the two paths is a fallback, or it reads "'X' is the same as 'X'". */
Test(config, a_fallback_that_is_another_outputs_file_is_named_so)
{
	char		 dir[64], text[1024], err[1024] = "", want[256];

	tmpdir(dir, sizeof dir);
	snprintf(text, sizeof text, "listen = { socket = \"s.sock\"; };\n"
	    "outputs = (\n"
	    "  { name = \"main\"; path = \"%s/main.log\"; },\n"
	    "  { name = \"apps\"; path = \"%s/${tag}.log\";\n"
	    "    fallback = \"main.log\"; } );\n", dir, dir);
	cr_assert_null(config_load_string(text, "t.conf", err, sizeof err));
	snprintf(want, sizeof want, "t.conf:4: output 'apps': its fallback "
	    "'%s/main.log' is the same file as '%s/main.log' of output "
	    "'main'", dir, dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	cr_assert_eq(run("rm -rf %s", dir), 0);
}

Test(config, format_names_a_builtin_a_template_or_is_one)
{
	struct config	*c;

	c = load("listen = { socket = \"s.sock\"; };\n"
	    "templates = { short = \"${severity} ${tag}: ${message}\"; };\n"
	    "outputs = (\n"
	    "  { name = \"a\"; path = \"a.log\"; format = \"traditional\"; },\n"
	    "  { name = \"b\"; path = \"b.log\"; format = \"rfc3164\"; },\n"
	    "  { name = \"c\"; path = \"c.log\"; format = \"short\"; },\n"
	    "  { name = \"d\"; path = \"d.log\"; format = \"${pri} ${message}\"; },\n"
	    "  { name = \"e\"; path = \"e.log\"; format = \"json\"; } );\n");
	cr_assert_str_eq(template_text(c->outputs[0].template),
	    template_builtin("traditional"));
	cr_assert_str_eq(template_text(c->outputs[1].template),
	    template_builtin("rfc3164"));
	cr_assert_str_eq(template_text(c->outputs[2].template),
	    "${severity} ${tag}: ${message}");
	cr_assert_str_eq(template_text(c->outputs[3].template),
	    "${pri} ${message}");
	cr_assert_null(c->outputs[4].template);
	cr_assert_eq(c->outputs[4].format, FORMAT_JSON);
	config_free(c);
}

Test(config, bad_templates_are_errors_on_their_lines)
{
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "templates = { bad = \"${nope}\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:2: templates.bad: column 1: unknown field 'nope'");
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "templates = { text = \"${tag}\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:2: templates.text: 'text' is a built-in format");
	load_fails(HEAD "    format = \"${message\"; } );\n",
	    "t.conf:5: output 'a': format '${message': column 1:");
}

Test(config, a_path_with_fields_has_a_fallback_and_a_file_limit)
{
	struct config	*c;

	c = load("listen = { socket = \"s.sock\"; };\n"
	    "outputs = (\n"
	    "  { name = \"a\"; path = \"/var/log/apps/app-${tag}.log\"; },\n"
	    "  { name = \"b\"; path = \"/var/log/hosts/${host}.log\";\n"
	    "    fallback = \"other.log\"; max_open_files = 500; } );\n");
	cr_assert_not_null(c->outputs[0].name_template);
	cr_assert_str_eq(c->outputs[0].fallback,
	    "/var/log/apps/app-unknown.log");
	cr_assert_eq(c->outputs[0].max_open_files, 64);
	cr_assert_str_eq(c->outputs[1].fallback, "/var/log/hosts/other.log");
	cr_assert_eq(c->outputs[1].max_open_files, 500);
	config_free(c);
}

Test(config, bad_paths_with_fields_are_errors_on_their_lines)
{
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "outputs = ( { name = \"a\";\n"
	    "  path = \"/var/log/${host}/x.log\"; } );\n",
	    "t.conf:3: output 'a': path '/var/log/${host}/x.log': fields may "
	    "only stand in the file name");
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "outputs = ( { name = \"a\";\n"
	    "  path = \"/var/log/${message}.log\"; } );\n",
	    "t.conf:3: output 'a': path '/var/log/${message}.log': file name: "
	    "column 1: field 'message' cannot be part of a file name");
	load_fails(HEAD "    fallback = \"x.log\"; } );\n",
	    "t.conf:5: output 'a': fallback applies only to a path with fields");
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"${tag}.log\";\n"
	    "  fallback = \"../x.log\"; } );\n",
	    "t.conf:3: output 'a': fallback '../x.log' must be a file name");
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"${tag}.log\";\n"
	    "  max_open_files = 0; } );\n",
	    "t.conf:3: output 'a': max_open_files must be between 1 and");
}

Test(config, disk_budget_is_read_and_checked)
{
	struct config	*c;

	c = load("listen = { socket = \"s.sock\"; };\n"
	    "disk_budget = { max_use = \"2G\"; interval_ms = 500; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n");
	cr_assert_eq(c->budget_max_use, 2ULL << 30);
	cr_assert_eq(c->budget_interval_ms, 500);
	config_free(c);
	c = load(HEAD "  } );\n");
	cr_assert_eq(c->budget_max_use, 0);
	config_free(c);
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "disk_budget = { max_uze = \"2G\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:2: unknown key 'max_uze' in disk_budget (did you mean "
	    "'max_use'?)");
	load_fails("listen = { socket = \"s.sock\"; };\n"
	    "disk_budget = { interval_ms = 100; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:2: disk_budget.max_use is required");
}

Test(config, check_system_names_what_would_fail_at_start)
{
	char		 dir[64], text[1024], err[2048] = "", want[256];
	struct config	*c;

	tmpdir(dir, sizeof dir);
	cr_assert_eq(run("mkdir %s/log %s/log/adir.log", dir, dir), 0);
	snprintf(text, sizeof text, "listen = { socket = \"s.sock\"; };\n"
	    "outputs = (\n"
	    "  { name = \"a\"; path = \"%s/log/a.log\"; owner = \"no-such-user-x\";\n"
	    "    group = \"no-such-group-x\"; },\n"
	    "  { name = \"b\"; path = \"%s/missing/b.log\"; },\n"
	    "  { name = \"c\"; path = \"%s/log/adir.log\"; },\n"
	    "  { name = \"d\"; path = \"%s/log/d.log\"; } );\n",
	    dir, dir, dir, dir);
	c = load(text);
	cr_assert_eq(config_check_system(c, err, sizeof err), 4, "%s", err);
	cr_assert_not_null(strstr(err, "t.conf:3: output 'a': unknown owner "
	    "'no-such-user-x'"), "%s", err);
	cr_assert_not_null(strstr(err, "t.conf:3: output 'a': unknown group "
	    "'no-such-group-x'"), "%s", err);
	snprintf(want, sizeof want, "t.conf:5: output 'b': directory "
	    "%s/missing: No such file or directory", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	snprintf(want, sizeof want, "t.conf:6: output 'c': %s/log/adir.log "
	    "is a directory", dir);
	cr_assert_not_null(strstr(err, want), "%s", err);
	config_free(c);
	cr_assert_eq(run("rm -rf %s", dir), 0);
}

Test(config, stats_file_and_interval_are_read_and_checked_on_their_lines)
{
	struct config *c;

	c = load("listen = { socket = \"s\"; };\nstats = { file = \"/var/lib/x/asynclog.prom\";\n"
	    "  interval = \"30s\"; log = true; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n");
	cr_assert_str_eq(c->stats_file, "/var/lib/x/asynclog.prom");
	cr_assert_eq(c->stats_interval_s, 30);
	cr_assert(c->stats_log);
	config_free(c);
	c = load("listen = { socket = \"s\"; };\noutputs = ( { name = \"a\"; path = \"a.log\"; } );\n");
	cr_assert_null(c->stats_file);
	cr_assert_eq(c->stats_interval_s, 15);
	cr_assert_not(c->stats_log);
	config_free(c);
	load_fails("listen = { socket = \"s\"; };\nstats = {\n  file = \"rel.prom\"; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:3: stats.file must be an absolute path");
	load_fails("listen = { socket = \"s\"; };\nstats = {\n\n  interval = 0; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:4: stats.interval must be between 1s and 1d");
	load_fails("listen = { socket = \"s\"; };\nstats = { log = 1; };\n"
	    "outputs = ( { name = \"a\"; path = \"a.log\"; } );\n",
	    "t.conf:2: stats.log must be true or false");
}
