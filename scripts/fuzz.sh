#!/usr/bin/env bash
# Runs each fuzz target for a while (FUZZTIME, default 60s). Not part of the
# test suite; the seed corpora run there as ordinary tests.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
t=${FUZZTIME:-60s}
for pkg in $(go list ./internal/...); do
  for f in $(go test -list '^Fuzz' "$pkg" | grep '^Fuzz' || true); do
    echo "== $pkg $f"
    go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" "$pkg"
  done
done
