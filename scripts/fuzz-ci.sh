#!/usr/bin/env bash
# Runs each fuzz target of the list readers briefly (FUZZTIME, default 10s
# each, about a minute in all), as part of `make test`; `make fuzz` runs
# every target of the project for longer.
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
t=${FUZZTIME:-10s}
for f in FuzzReadCSV FuzzReadXLSX FuzzReadXLSXSheet FuzzReadJSON; do
  echo "== fuzz $f ($t)"
  go test -run '^$' -fuzz "^$f\$" -fuzztime "$t" ./internal/listfile
done
