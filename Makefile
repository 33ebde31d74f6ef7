# SPDX-License-Identifier: ISC
# asynclog: daemon (asynclogd), client library (libasynclog), CLI (asynclog).
#
#   make                 build everything into build/
#   make run             install missing packages, start asynclogd on conf/dev.conf
#   make test            install missing packages, build, run every test
#   make SANITIZE=1 test the same with ASan + UBSan (objects in build/san/)
#   make SANITIZE=thread test TEST_ARGS="--filter 'client/*'"
#                        ThreadSanitizer (objects in build/tsan/), meant for the
#                        threaded tests (client/*, diskfull/*): the first race
#                        fails its test; fork tests skip (test_client.c says
#                        why); tests/tsan.c lets criterion start under TSan
#   make bench           issue 14's goals, PASS/FAIL, charts in docs/ (bench/)
#   make fuzz            libFuzzer targets, FUZZ_SECONDS each (fuzz/README.md)
#   make fuzz-smoke      the same, FUZZ_SMOKE_SECONDS each: for CI
#   make install PREFIX=/usr/local DESTDIR=...   /   make uninstall
#
# Every dependency comes from pkg-config; `make deps` installs the Debian
# packages that provide them (as root) or prints the apt-get command.

VERSION		:= 0.1.0
SOVERSION	:= 1

PREFIX		?= /usr/local
BINDIR		?= $(PREFIX)/bin
SBINDIR		?= $(PREFIX)/sbin
LIBDIR		?= $(PREFIX)/lib
INCLUDEDIR	?= $(PREFIX)/include
MANDIR		?= $(PREFIX)/share/man
# A system prefix keeps its configuration in /etc; any other (/opt/asynclog,
# $HOME/.local) keeps it under itself, so nothing lands outside PREFIX.
SYSCONFDIR	?= $(if $(filter /usr /usr/local,$(PREFIX)),/etc,$(PREFIX)/etc)
UNITDIR		?= $(PREFIX)/lib/systemd/system
SYSUSERSDIR	?= $(PREFIX)/lib/sysusers.d

DEB_PACKAGES	:= build-essential pkg-config libevent-dev libconfig-dev \
		   libcriterion-dev libsystemd-dev libzstd-dev zstd util-linux \
		   python3 mandoc strace man-db systemd \
		   libgnutls28-dev libpcre2-dev rsyslog rsyslog-gnutls gnutls-bin \
		   librelp-dev rsyslog-relp clang libclang-rt-14-dev tmux dpkg-dev \
		   debhelper lintian librdkafka-dev

CC		?= cc
PKG_CONFIG	?= pkg-config
# pkg-config packages: the daemon's (also enough for libasynclog, the CLI and
# the bench), and the tests' on top. Each comes from a Debian package.
DAEMON_PKGS	:= libevent libevent_pthreads libconfig libsystemd libzstd gnutls \
		   libpcre2-8 relp
TEST_PKGS	:= criterion rdkafka
# Packages whose headers the daemon needs at build time but whose library it
# loads only when the configuration asks for it (daemon/kafkalib.h).
DLOPEN_PKGS	:= rdkafka
deb.libevent	:= libevent-dev
deb.libevent_pthreads := libevent-dev
deb.libconfig	:= libconfig-dev
deb.libsystemd	:= libsystemd-dev
deb.libzstd	:= libzstd-dev
deb.gnutls	:= libgnutls28-dev
deb.libpcre2-8	:= libpcre2-dev
deb.relp	:= librelp-dev
deb.rdkafka	:= librdkafka-dev
deb.criterion	:= libcriterion-dev

ifeq ($(SANITIZE),1)
B		?= build/san
SANFLAGS	:= -fsanitize=address,undefined -fno-omit-frame-pointer \
		   -fno-sanitize-recover=undefined
OPT		:= -O1
else ifeq ($(SANITIZE),thread)
B		?= build/tsan
SANFLAGS	:= -fsanitize=thread -fno-omit-frame-pointer
OPT		:= -O1
export TSAN_OPTIONS ?= halt_on_error=1 second_deadlock_stack=1
else
B		?= build
SANFLAGS	:=
# Fortified as Debian builds it (debian/rules), so a result the C library
# marks as not to be ignored fails here first, not in the package build.
OPT		:= -O2 -D_FORTIFY_SOURCE=2
endif

WARN		:= -Wall -Wextra -Werror -Wshadow -Wpointer-arith -Wno-unused-parameter
CFLAGS		?= $(OPT) -g
ALL_CFLAGS	:= -std=gnu11 -D_GNU_SOURCE -pthread -fPIC $(WARN) $(CPPFLAGS) $(CFLAGS) \
		   $(SANFLAGS) -iquote client -iquote daemon \
		   -DASYNCLOG_VERSION_STRING='"$(VERSION)"'
LDFLAGS_ALL	:= -pthread $(SANFLAGS) $(LDFLAGS)

# $(call pkg,--cflags|--libs,PACKAGES): asks pkg-config about each package
# on its own; one it cannot find stops make with its name and Debian package.
pkg		= $(foreach p,$(2),$(if $(shell $(PKG_CONFIG) --exists $(p) && echo y),\
		    $(shell $(PKG_CONFIG) $(1) $(p)),\
		    $(error $(PKG_CONFIG) cannot find package '$(p)': install the \
		    Debian package $(deb.$(p)); `make deps` installs it as root)))
# $(call once,VAR,VALUE): VAR is VALUE from now on. The flags below are
# recursive variables that replace themselves on first use, so pkg-config
# runs only for what a recipe needs (`make deps` and `make clean` need none,
# `make` does not need criterion) and only once per make.
once		= $(eval $(1) := $(2))$($(1))

LIB_SRCS	:= client/asynclog.c client/ring.c client/sender.c client/wire.c \
		   client/render.c client/defer.c
CLI_SRCS	:= client/cli.c client/lineread.c client/logline.c client/peer.c \
		   client/statsreq.c client/top.c
DAEMON_SRCS	:= $(filter-out daemon/main.c,$(wildcard daemon/*.c))
TEST_SRCS	:= $(wildcard tests/*.c)
BENCH_SRCS	:= $(wildcard bench/*.c)

LIB_OBJS	:= $(LIB_SRCS:%.c=$(B)/obj/%.o)
DAEMON_OBJS	:= $(DAEMON_SRCS:%.c=$(B)/obj/%.o) $(B)/obj/client/wire.o \
		   $(B)/obj/client/render.o
TEST_OBJS	:= $(TEST_SRCS:%.c=$(B)/obj/%.o)

DAEMON_CFLAGS	= $(call once,DAEMON_CFLAGS,$(call pkg,--cflags,$(DAEMON_PKGS) $(DLOPEN_PKGS)))
DAEMON_LIBS	= $(call once,DAEMON_LIBS,$(call pkg,--libs,$(DAEMON_PKGS)))
TEST_CFLAGS	= $(call once,TEST_CFLAGS,$(call pkg,--cflags,$(TEST_PKGS)))
TEST_LIBS	= $(call once,TEST_LIBS,$(call pkg,--libs,$(TEST_PKGS)))

# systemd units: systemd/NAME.in is a template that becomes $(B)/systemd/NAME
# with the install paths filled in; the others are installed as they are.
UNITS		:= $(patsubst systemd/%.in,$(B)/systemd/%,$(wildcard systemd/*.in)) \
		   $(wildcard systemd/*.service systemd/*.socket)

PROGS		:= $(B)/asynclogd $(B)/asynclog $(B)/libasynclog.so.$(SOVERSION) \
		   $(B)/libasynclog.so $(B)/libasynclog.a $(B)/asynclog.pc

.PHONY: all deps run test test-build check-includes bench install uninstall clean FORCE \
	fuzz fuzz-smoke fuzz-build
all: $(PROGS) $(UNITS)

# Every object gets the daemon's package flags; only test objects criterion's.
$(B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) $(DAEMON_CFLAGS) $(PKG_TEST_CFLAGS) -MMD -MP -c $< -o $@
$(B)/obj/tests/%.o: PKG_TEST_CFLAGS = $(TEST_CFLAGS)

$(B)/libasynclog.a: $(LIB_OBJS)
	rm -f $@ && ar rcs $@ $^

# Only asynclog_* is exported: see client/libasynclog.map.
$(B)/libasynclog.so.$(SOVERSION): $(LIB_OBJS) client/libasynclog.map
	$(CC) -shared -Wl,-soname,libasynclog.so.$(SOVERSION) \
	    -Wl,--version-script=client/libasynclog.map -o $@ $(LIB_OBJS) $(LDFLAGS_ALL)

$(B)/libasynclog.so: $(B)/libasynclog.so.$(SOVERSION)
	ln -sf libasynclog.so.$(SOVERSION) $@

# Files made from templates: every @NAME@ below becomes $(NAME). They depend
# on $(B)/subst.vars, which holds the values they were made with and changes
# only when one does, so `make install PREFIX=/usr` after a plain `make`
# remakes them for /usr instead of installing the /usr/local ones. Each is
# written whole and renamed into place: no reader sees half of one.
SUBST_VARS	:= VERSION PREFIX BINDIR SBINDIR LIBDIR INCLUDEDIR SYSCONFDIR \
		   SYSUSERSDIR
SUBST		= sed $(foreach v,$(SUBST_VARS),-e 's|@$(v)@|$($(v))|g') $< > $@.new \
		  && mv $@.new $@

$(B)/subst.vars: FORCE
	@mkdir -p $(@D)
	@printf '%s\n' $(foreach v,$(SUBST_VARS),'$(v)=$($(v))') > $@.new
	@if cmp -s $@.new $@; then rm $@.new; else mv $@.new $@; fi

$(B)/asynclog.pc: client/asynclog.pc.in $(B)/subst.vars
	$(SUBST)

$(B)/systemd/%: systemd/%.in $(B)/subst.vars
	@mkdir -p $(@D)
	$(SUBST)

$(B)/asynclogd: $(B)/obj/daemon/main.o $(DAEMON_OBJS)
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(DAEMON_LIBS)

$(B)/asynclog: $(CLI_SRCS:%.c=$(B)/obj/%.o) $(B)/libasynclog.a
	$(CC) -o $@ $^ $(LDFLAGS_ALL)

$(B)/test_asynclog: $(TEST_OBJS) $(DAEMON_OBJS) $(B)/libasynclog.a
	$(CC) -o $@ $^ $(LDFLAGS_ALL) $(TEST_LIBS) $(DAEMON_LIBS)

$(B)/asynclog-bench: $(BENCH_SRCS:%.c=$(B)/obj/%.o) $(B)/libasynclog.a
	$(CC) -o $@ $^ $(LDFLAGS_ALL)

deps:
	@missing=$$(for p in $(DEB_PACKAGES); do \
		dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || echo $$p; done); \
	if [ -z "$$missing" ]; then exit 0; fi; \
	if [ "$$(id -u)" = 0 ]; then \
		echo "installing: $$missing"; \
		apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	else \
		echo "missing packages; run:"; echo "  sudo apt-get install -y $$missing"; exit 1; \
	fi

run: deps
	@$(MAKE) --no-print-directory all
	mkdir -p var/log
	$(B)/asynclogd -c conf/dev.conf

test-build: $(PROGS) $(B)/test_asynclog $(if $(BENCH_SRCS),$(B)/asynclog-bench) \
	$(B)/v1/ready

# The last release of protocol version 1, built from git into $(B)/v1/ for
# the compatibility tests (tests/test_v2.c): its asynclogd against the new
# library and CLI, its asynclog (the old library) against the new daemon.
# Without that history (a shallow clone, a tarball) v1/ready says why, and
# those tests are skipped with that reason.
V1_COMMIT	:= 9653895d526e381528608ad967927319ea1a6c7b
$(B)/v1/ready:
	@rm -rf $(B)/v1 && mkdir -p $(B)/v1/src
	@if git cat-file -e $(V1_COMMIT)^{commit} 2>/dev/null; then \
		git archive $(V1_COMMIT) | tar -x -C $(B)/v1/src && \
		$(MAKE) --no-print-directory -C $(B)/v1/src SANITIZE= B=build \
		    build/asynclogd build/asynclog >$(B)/v1/build.log 2>&1 && \
		cp $(B)/v1/src/build/asynclogd $(B)/v1/src/build/asynclog $(B)/v1/ && \
		rm -rf $(B)/v1/src && echo ok > $@ || \
		{ cat $(B)/v1/build.log; exit 1; }; \
	else \
		echo "commit $(V1_COMMIT) is not in this clone's history" > $@; \
	fi

# The daemon's modules depend on each other one way only (ARCHITECTURE.md).
check-includes:
	@sh tests/check-includes.sh daemon

# Tests find the programs under test through ASYNCLOG_BUILD.
test: deps check-includes
	@$(MAKE) --no-print-directory test-build
	LSAN_OPTIONS=suppressions=$(CURDIR)/tests/lsan.supp \
	    ASYNCLOG_BUILD=$(CURDIR)/$(B) ASYNCLOG_SANITIZE=$(SANITIZE) $(B)/test_asynclog --jobs=2 $(TEST_ARGS)
	ASYNCLOG_BUILD=$(CURDIR)/$(B) $(B)/asynclog-bench --smoke

# Without BENCH_ARGS: every goal of issue 14 with PASS/FAIL and the charts
# of docs/PERFORMANCE.md (bench/goals.sh; BENCH_REPEAT runs each, default 3).
bench: $(PROGS) $(B)/asynclog-bench
ifeq ($(BENCH_ARGS),)
	ASYNCLOG_BUILD=$(CURDIR)/$(B) sh bench/goals.sh $(BENCH_REPEAT)
else
	ASYNCLOG_BUILD=$(CURDIR)/$(B) $(B)/asynclog-bench $(BENCH_ARGS)
endif

install: all
	install -d $(DESTDIR)$(SBINDIR) $(DESTDIR)$(BINDIR) $(DESTDIR)$(LIBDIR)/pkgconfig \
		$(DESTDIR)$(INCLUDEDIR) $(DESTDIR)$(MANDIR)/man1 $(DESTDIR)$(MANDIR)/man3 \
		$(DESTDIR)$(MANDIR)/man5 $(DESTDIR)$(MANDIR)/man8 \
		$(DESTDIR)$(SYSCONFDIR)/asynclog $(DESTDIR)$(UNITDIR) \
		$(DESTDIR)$(SYSUSERSDIR)
	install -m 755 $(B)/asynclogd $(DESTDIR)$(SBINDIR)/asynclogd
	install -m 755 $(B)/asynclog $(DESTDIR)$(BINDIR)/asynclog
	install -m 755 $(B)/libasynclog.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/
	ln -sf libasynclog.so.$(SOVERSION) $(DESTDIR)$(LIBDIR)/libasynclog.so
	install -m 644 $(B)/libasynclog.a $(DESTDIR)$(LIBDIR)/
	install -m 644 client/asynclog.h $(DESTDIR)$(INCLUDEDIR)/
	install -m 644 $(B)/asynclog.pc $(DESTDIR)$(LIBDIR)/pkgconfig/
	for m in docs/*.[1358]; do [ -f "$$m" ] || continue; \
		s=$${m##*.}; install -m 644 $$m $(DESTDIR)$(MANDIR)/man$$s/; done
	install -m 644 conf/asynclogd.conf $(DESTDIR)$(SYSCONFDIR)/asynclog/asynclogd.conf.example
	install -m 644 systemd/asynclogd-forward.conf \
		$(DESTDIR)$(SYSCONFDIR)/asynclog/asynclogd-forward.conf.example
	install -m 644 systemd/asynclogd-kmsg.conf \
		$(DESTDIR)$(SYSCONFDIR)/asynclog/asynclogd-kmsg.conf.example
	install -m 644 $(UNITS) $(DESTDIR)$(UNITDIR)/
	install -m 644 systemd/asynclog.sysusers $(DESTDIR)$(SYSUSERSDIR)/asynclog.conf
	@# The new library into ld.so's cache, when this is the real system.
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		echo ldconfig; ldconfig; fi

uninstall:
	rm -f $(DESTDIR)$(SBINDIR)/asynclogd $(DESTDIR)$(BINDIR)/asynclog \
		$(DESTDIR)$(LIBDIR)/libasynclog.so* $(DESTDIR)$(LIBDIR)/libasynclog.a \
		$(DESTDIR)$(INCLUDEDIR)/asynclog.h $(DESTDIR)$(LIBDIR)/pkgconfig/asynclog.pc \
		$(DESTDIR)$(MANDIR)/man1/asynclog.1 $(DESTDIR)$(MANDIR)/man3/asynclog.3 \
		$(DESTDIR)$(MANDIR)/man5/asynclogd.conf.5 $(DESTDIR)$(MANDIR)/man8/asynclogd.8 \
		$(DESTDIR)$(SYSCONFDIR)/asynclog/asynclogd.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/asynclog/asynclogd-forward.conf.example \
		$(DESTDIR)$(SYSCONFDIR)/asynclog/asynclogd-kmsg.conf.example \
		$(addprefix $(DESTDIR)$(UNITDIR)/,$(notdir $(UNITS))) \
		$(DESTDIR)$(SYSUSERSDIR)/asynclog.conf
	@if [ -z "$(DESTDIR)" ] && [ "$$(id -u)" = 0 ] && command -v ldconfig >/dev/null; then \
		echo ldconfig; ldconfig; fi

# Fuzzing (fuzz/README.md). libFuzzer targets for the pure modules, built
# with clang into build/fuzz/ apart from everything above: nothing here
# changes how the daemon, the library or the tests are built. Each target
# links only the modules it fuzzes (and libconfig for the config target).
# A run writes what it finds to build/fuzz/corpus/TARGET/ and crashes to
# build/fuzz/crash/; fuzz/corpus/TARGET/ is the checked-in seed corpus and
# holds the regression inputs, and is only read.
FUZZ_CC		?= clang
FUZZ_SECONDS	?= 60
FUZZ_SMOKE_SECONDS ?= 15
FUZZ_B		:= build/fuzz
FUZZ_TARGETS	:= wire syslog config format render
FUZZ_SAN	:= -fsanitize=address,undefined -fno-sanitize-recover=all \
		   -fno-omit-frame-pointer
FUZZ_CFLAGS	:= -std=gnu11 -D_GNU_SOURCE -g -O1 $(WARN) $(FUZZ_SAN) \
		   -iquote client -iquote daemon -iquote fuzz
FUZZ_CONFIG_CFLAGS = $(call once,FUZZ_CONFIG_CFLAGS,$(call pkg,--cflags,libconfig libpcre2-8 rdkafka))
FUZZ_CONFIG_LIBS = $(call once,FUZZ_CONFIG_LIBS,$(call pkg,--libs,libconfig libpcre2-8))
FUZZ_PROGS	:= $(FUZZ_TARGETS:%=$(FUZZ_B)/fuzz_%)
FUZZ_LINK	= $(FUZZ_CC) $(FUZZ_SAN) -fsanitize=fuzzer -o $@ $^

$(FUZZ_B)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(FUZZ_CFLAGS) -fsanitize=fuzzer-no-link \
	    $(if $(filter daemon/config.c daemon/filter.c daemon/kafkalib.c,$<),$(FUZZ_CONFIG_CFLAGS)) -MMD -MP -c $< -o $@

$(FUZZ_B)/fuzz_wire: $(FUZZ_B)/obj/fuzz/fuzz_wire.o $(FUZZ_B)/obj/client/wire.o
	$(FUZZ_LINK)
$(FUZZ_B)/fuzz_render: $(FUZZ_B)/obj/fuzz/fuzz_render.o $(FUZZ_B)/obj/client/render.o
	$(FUZZ_LINK)
$(FUZZ_B)/fuzz_syslog: $(FUZZ_B)/obj/fuzz/fuzz_syslog.o \
    $(FUZZ_B)/obj/daemon/syslog.o
	$(FUZZ_LINK)
$(FUZZ_B)/fuzz_format: $(FUZZ_B)/obj/fuzz/fuzz_format.o \
    $(FUZZ_B)/obj/daemon/format.o
	$(FUZZ_LINK)
$(FUZZ_B)/fuzz_config: $(FUZZ_B)/obj/fuzz/fuzz_config.o \
    $(FUZZ_B)/obj/daemon/config.o $(FUZZ_B)/obj/daemon/match.o \
    $(FUZZ_B)/obj/daemon/format.o $(FUZZ_B)/obj/daemon/filter.o \
    $(FUZZ_B)/obj/daemon/log.o $(FUZZ_B)/obj/daemon/clock.o \
    $(FUZZ_B)/obj/daemon/kafkalib.o $(FUZZ_B)/obj/daemon/template.o
	$(FUZZ_LINK) $(FUZZ_CONFIG_LIBS)

# $(call fuzz_run,SECONDS): each target in turn; the first failure stops it.
fuzz_run	= for t in $(FUZZ_TARGETS); do \
		mkdir -p $(FUZZ_B)/corpus/$$t $(FUZZ_B)/crash && \
		echo "fuzz_$$t: $(1) s" && \
		LSAN_OPTIONS=suppressions=$(CURDIR)/fuzz/lsan.supp:print_suppressions=0 \
		$(FUZZ_B)/fuzz_$$t -max_total_time=$(1) -timeout=10 \
		    -rss_limit_mb=1024 -print_final_stats=1 \
		    -artifact_prefix=$(FUZZ_B)/crash/$$t- \
		    $$(test -f fuzz/$$t.dict && echo -dict=fuzz/$$t.dict) \
		    $(FUZZ_B)/corpus/$$t fuzz/corpus/$$t 2>$(FUZZ_B)/$$t.log \
		|| { tail -n 60 $(FUZZ_B)/$$t.log; exit 1; }; \
		grep -h '^Done' $(FUZZ_B)/$$t.log; \
	done

fuzz-build: $(FUZZ_PROGS)
fuzz: fuzz-build
	@$(call fuzz_run,$(FUZZ_SECONDS))
fuzz-smoke: fuzz-build
	@$(call fuzz_run,$(FUZZ_SMOKE_SECONDS))

clean:
	rm -rf build

-include $(shell find build -name '*.d' 2>/dev/null)
