# Parley — build, run and test.
#   make demo   the server with demo data on embedded SQLite
#   make test   the whole test suite; prepares PostgreSQL and Chromium first
#   make vuln   govulncheck against a database built offline from golang.org/x/vulndb
#   make bench  the benchmarks (long; not part of the test suite)

GO ?= go
# Go 1.27.3 carries the standard-library security fixes; go.mod requires it.
export GOTOOLCHAIN := go1.27.3

.PHONY: demo test vet vuln bench build fuzz

build:
	$(GO) build -o bin/parley ./cmd/parley

demo:
	$(GO) run ./cmd/parley demo

vet:
	@test -z "$$(gofmt -l cmd internal bench)" || { echo "gofmt needed:"; gofmt -l cmd internal bench; exit 1; }
	$(GO) vet ./...

test: vet vuln
	eval "$$(scripts/test-deps.sh)" && $(GO) test -race -timeout 15m ./... && scripts/fuzz-ci.sh

# Nothing reachable may be reported; the test target (and so CI) runs it.
vuln:
	scripts/vuln.sh

bench:
	scripts/bench.sh

fuzz:
	scripts/fuzz.sh
