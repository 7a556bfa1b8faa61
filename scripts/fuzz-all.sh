#!/usr/bin/env bash
# make fuzz: run every native fuzz target in the module for a while each.
# Usage: scripts/fuzz-all.sh [FUZZTIME]   (default 20s per target)
set -euo pipefail
cd "$(dirname "$0")/.."
fuzztime=${1:-20s}
export BERTH_REQUIRE_ORT=1
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -hoE '^func (Fuzz[A-Za-z0-9_]+)\(' "$dir"/*_test.go 2>/dev/null | sed -E 's/^func (Fuzz[A-Za-z0-9_]+)\(/\1/' | sort -u); do
    echo "== $pkg $target ($fuzztime)"
    go test -run '^$' -fuzz "^${target}\$" -fuzztime "$fuzztime" "$pkg"
  done
done
