#!/bin/sh
# SPDX-License-Identifier: ISC
# install-comparisons.sh: put rsyslog and syslog-ng on this machine so that
# `asynclog-bench --compare` can run the same workload through them.
#
# Debian's rsyslog and syslog-ng-core conflict (both provide
# system-log-daemon), so, as DESIGN §10a says, rsyslog is installed with
# apt-get and syslog-ng-core is only unpacked (apt-get download + dpkg -x)
# into $SYSLOGNG_ROOT (default /opt/asynclog-bench/syslog-ng); the bench runs
# it from there with LD_LIBRARY_PATH and --module-path. Its shared-library
# dependencies (which do not conflict) are installed with apt-get.
#
# Neither daemon is started as a system service: a policy-rc.d that refuses
# every start is in place while apt-get runs, so nothing takes /dev/log.
# Run as root. Not part of `make test`. Safe to run again.
set -eu

SYSLOGNG_ROOT=${SYSLOGNG_ROOT:-/opt/asynclog-bench/syslog-ng}
export DEBIAN_FRONTEND=noninteractive

if [ "$(id -u)" != 0 ]; then
	echo "install-comparisons.sh: run as root" >&2
	exit 2
fi

policy=/usr/sbin/policy-rc.d
made_policy=no
if [ ! -e "$policy" ]; then
	printf '#!/bin/sh\nexit 101\n' > "$policy"
	chmod 755 "$policy"
	made_policy=yes
fi
cleanup() {
	if [ "$made_policy" = yes ]; then rm -f "$policy"; fi
	if [ -n "${tmp:-}" ]; then rm -rf "$tmp"; fi
}
trap cleanup EXIT

apt-get update -qq

# 1. rsyslog, installed for real (imuxsock, imptcp and omfile are built in
#    or shipped in the main package).
if [ ! -x /usr/sbin/rsyslogd ]; then
	apt-get install -y -qq --no-install-recommends rsyslog
fi

# 2. syslog-ng: its libraries from apt, the daemon itself unpacked.
apt-get install -y -qq --no-install-recommends libcap2 libglib2.0-0 \
	libivykis0 libjson-c5 libnet1 libpcre3 libssl3 libwrap0
if [ ! -x "$SYSLOGNG_ROOT/usr/sbin/syslog-ng" ]; then
	tmp=$(mktemp -d)
	(cd "$tmp" && apt-get download syslog-ng-core)
	mkdir -p "$SYSLOGNG_ROOT"
	dpkg -x "$tmp"/syslog-ng-core_*.deb "$SYSLOGNG_ROOT"
fi

echo "rsyslogd:  $(/usr/sbin/rsyslogd -v | head -n 1)"
LD_LIBRARY_PATH="$SYSLOGNG_ROOT/usr/lib/x86_64-linux-gnu:$SYSLOGNG_ROOT/usr/lib/syslog-ng" \
	"$SYSLOGNG_ROOT/usr/sbin/syslog-ng" -V 2>/dev/null | head -n 1 |
	sed 's/^/syslog-ng: /' || true
echo "syslog-ng unpacked in $SYSLOGNG_ROOT"
