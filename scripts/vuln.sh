#!/usr/bin/env bash
# Runs govulncheck against a vulnerability database built offline from the
# golang.org/x/vulndb module (its data/osv reports, indexed by the module's
# own cmd/indexdb), so the check needs only the Go module proxy, not
# vuln.go.dev. Both tools are pinned; the built database is cached per
# vulndb version under PARLEY_VULN_CACHE (default: the user cache directory),
# so only the first run pays for building it.
#
# Exits non-zero when govulncheck finds a vulnerability reachable from
# Parley's code. To take newer advisories, raise VULNDB_VERSION.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."

GOVULNCHECK_VERSION=v1.9.0
VULNDB_VERSION=v0.0.0-20261105234957-e22db6528018

cache=${PARLEY_VULN_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/parley/vulndb}
db=$cache/$VULNDB_VERSION
if [ ! -f "$db/index/db.json" ]; then
  echo "vuln: building the vulnerability database from golang.org/x/vulndb@$VULNDB_VERSION" >&2
  src=$(go mod download -json "golang.org/x/vulndb@$VULNDB_VERSION" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$src/data/osv" ] || { echo "vuln: no data/osv in $src" >&2; exit 1; }
  mkdir -p "$cache"
  tmp=$(mktemp -d "$cache/build.XXXXXX")
  trap 'rm -rf "$tmp"' EXIT
  go run "golang.org/x/vulndb/cmd/indexdb@$VULNDB_VERSION" -vulns "$src/data/osv" -out "$tmp/db"
  rm -rf "$db"
  mv "$tmp/db" "$db"
fi
echo "vuln: $(go version), database golang.org/x/vulndb@$VULNDB_VERSION" >&2
go run "golang.org/x/vuln/cmd/govulncheck@$GOVULNCHECK_VERSION" -db "file://$db" ./...
