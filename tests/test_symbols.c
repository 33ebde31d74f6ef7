/*
 * test_symbols.c: libasynclog.so exports its API and nothing else.
 *
 * Every name in a shared library's dynamic symbol table is a promise to
 * applications and a chance to clash with one of their own, so only the
 * asynclog_* functions of asynclog.h may be there; the library's internal
 * modules (wire_, ring_, sender_) must not (client/libasynclog.map). The
 * table of the library just built is read with nm(1) from binutils.
 */

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "harness.h"

/* asynclog.h: each must stay exported. */
static const char *const api[] = {
	"asynclog_open", "asynclog_log", "asynclog_write", "asynclog_flush",
	"asynclog_dropped", "asynclog_close", "asynclog_close_dropped",
	"asynclog_vlog", "asynclog_set_facility", "asynclog_set_logmask",
	"asynclog_sync", "asynclog_daemon_dropped",
};

/* Names the linker makes, not our code: version nodes (type A), _init, _fini. */
static bool
symbol_from_linker(char type, const char *name)
{
	return type == 'A' || strcmp(name, "_init") == 0 ||
	    strcmp(name, "_fini") == 0;
}

Test(symbols, the_shared_library_exports_only_asynclog_names)
{
	char		 cmd[1024], line[1024], name[512], stray[4096] = "";
	bool		 seen[sizeof api / sizeof api[0]] = { false };
	size_t		 i, nstray = 0;
	FILE		*f;
	char		 type;

	snprintf(cmd, sizeof cmd, "nm -D --defined-only '%s' 2>&1",
	    hd_bin("libasynclog.so"));
	f = popen(cmd, "r");
	cr_assert_not_null(f, "cannot run nm");
	while (fgets(line, sizeof line, f) != NULL) {
		/* "ADDRESS TYPE NAME[@VERSION]" */
		cr_assert_eq(sscanf(line, "%*s %c %511s", &type, name), 2,
		    "unexpected nm output: %s", line);
		name[strcspn(name, "@")] = '\0';
		if (symbol_from_linker(type, name))
			continue;
		for (i = 0; i < sizeof api / sizeof api[0]; i++) {
			if (strcmp(name, api[i]) == 0)
				seen[i] = true;
		}
		if (strncmp(name, "asynclog_", 9) != 0) {
			nstray++;
			if (strlen(stray) + strlen(name) + 2 < sizeof stray) {
				strcat(stray, " ");
				strcat(stray, name);
			}
		}
	}
	cr_assert_eq(pclose(f), 0, "nm failed on %s",
	    hd_bin("libasynclog.so"));
	for (i = 0; i < sizeof api / sizeof api[0]; i++)
		cr_expect(seen[i], "%s is not exported", api[i]);
	cr_assert_eq(nstray, 0, "%zu exported names without the asynclog_ "
	    "prefix:%s", nstray, stray);
}
