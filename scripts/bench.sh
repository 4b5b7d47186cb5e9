#!/usr/bin/env bash
# Runs every benchmark behind BENCHMARKS.md. Long: tens of minutes. Not part
# of the test suite. Needs PostgreSQL (started by scripts/test-deps.sh).
set -euo pipefail
export GOTOOLCHAIN=go1.27.3
cd "$(dirname "$0")/.."
eval "$(scripts/test-deps.sh)"
pg="$PARLEY_TEST_PG"
echo "## machine"; grep -m1 "model name" /proc/cpuinfo; nproc; free -g | head -2; go version

echo "## import (100,000 rows)"
for b in ReadCSV100k ReadXLSX100k; do
  /usr/bin/time -f "peak RSS %M KiB" go test -run '^$' -bench "Benchmark$b\$" -benchtime 3x -benchmem ./internal/listfile/
done

echo "## hostile list files (time and peak RSS of each refusal)"
go run ./bench/hostile -valid 100000
go run ./bench/hostile -wide
go run ./bench/hostile -db "$pg"

echo "## matching (Parley vs pg_trgm)"
go run ./bench/matching -list 10000 -registry 100000 -pg "$pg"
go run ./bench/matching -list 10000 -registry 1000000 -pg "$pg"

echo "## log appends and proofs"
go test -run '^$' -bench . -benchtime 2s ./internal/ledger/

echo "## planner (10,000 persons per side)"
go test -run '^$' -bench 'BenchmarkPlan10k' -benchtime 5x ./internal/negotiation/

echo "## web load (loopback)"
go run ./bench/load -users 50 -duration 20s
go run ./bench/load -users 0 -family 200 -duration 20s
go run ./bench/load -users 0 -family 200 -duration 20s -db "$pg"
