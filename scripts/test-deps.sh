#!/usr/bin/env bash
# Prepares what the test suite needs on a fresh Debian machine and prints the
# environment to use: a PostgreSQL server (the one on 127.0.0.1:5432 when it
# answers, otherwise a local one that this script installs or starts),
# Debian's Chromium for the browser tests, OpenSSH's ssh-agent for the
# litewitness interoperability test and poppler's pdftotext, which reads
# back the printed lists.
#
# Usage: eval "$(scripts/test-deps.sh)"
set -euo pipefail
export GOTOOLCHAIN=go1.27.3

log() { echo "test-deps: $*" >&2; }

apt_updated=0
apt_install() {
  if [ "$(id -u)" != 0 ]; then
    log "cannot install $* (not root); install it yourself"
    return 1
  fi
  if [ "$apt_updated" = 0 ]; then
    DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
    apt_updated=1
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$@" >&2
}

pg_url=""
pg_answers() { # $1 = URL
  command -v psql >/dev/null 2>&1 && psql "$1" -Atqc 'select 1' >/dev/null 2>&1
}

if [ -n "${PARLEY_TEST_PG:-}" ] && pg_answers "$PARLEY_TEST_PG"; then
  pg_url=$PARLEY_TEST_PG
fi
default_url="postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
if [ -z "$pg_url" ]; then
  command -v psql >/dev/null 2>&1 || apt_install postgresql-client || true
  if pg_answers "$default_url"; then
    pg_url=$default_url
  fi
fi
if [ -z "$pg_url" ] && command -v pg_ctlcluster >/dev/null 2>&1 && ls /etc/postgresql/*/main >/dev/null 2>&1; then
  log "starting the system PostgreSQL cluster"
  for v in $(ls /etc/postgresql); do
    pg_ctlcluster --skip-systemctl-redirect "$v" main start >&2 || true
  done
  for _ in $(seq 1 30); do pg_answers "$default_url" && { pg_url=$default_url; break; }; sleep 1; done
fi
if [ -z "$pg_url" ]; then
  # No server: run a private one as the postgres user, trust auth on
  # loopback, port 55432, data under /tmp.
  if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
    log "installing PostgreSQL"
    apt_install postgresql postgresql-contrib
  fi
  bin=$(dirname "$(ls /usr/lib/postgresql/*/bin/initdb | sort -V | tail -1)")
  dir=/tmp/parley-test-pg
  id postgres >/dev/null 2>&1 || useradd --system --home /var/lib/postgresql postgres
  if [ ! -f "$dir/PG_VERSION" ]; then
    rm -rf "$dir"; mkdir -p "$dir"; chown postgres "$dir"
    su postgres -s /bin/sh -c "$bin/initdb -D $dir -U postgres --auth=trust -E UTF8 >/dev/null" >&2
  fi
  su postgres -s /bin/sh -c "$bin/pg_ctl -D $dir -o '-p 55432 -k /tmp -c listen_addresses=127.0.0.1' -l $dir/log -w start" >&2 || true
  pg_url="postgres://postgres@127.0.0.1:55432/postgres?sslmode=disable"
  for _ in $(seq 1 30); do pg_answers "$pg_url" && break; sleep 1; done
  pg_answers "$pg_url" || { log "PostgreSQL did not start"; exit 1; }
fi
log "PostgreSQL: $pg_url"

if ! command -v chromium >/dev/null 2>&1; then
  log "installing Chromium for the browser tests"
  apt_install chromium || log "Chromium could not be installed; browser tests will say so"
fi

if ! command -v ssh-agent >/dev/null 2>&1 || ! command -v ssh-add >/dev/null 2>&1; then
  log "installing OpenSSH's client tools (ssh-agent holds the key of the litewitness interoperability test)"
  apt_install openssh-client || log "openssh-client could not be installed; the litewitness test will say so"
fi

if ! command -v pdftotext >/dev/null 2>&1; then
  log "installing poppler-utils (pdftotext) for the PDF tests"
  apt_install poppler-utils || log "poppler-utils could not be installed; PDF tests will say so"
fi

echo "export PARLEY_TEST_PG='$pg_url'"
echo "export PARLEY_REQUIRE_PG=1"
if command -v chromium >/dev/null 2>&1; then
  echo "export PARLEY_CHROMIUM='$(command -v chromium)'"
fi
