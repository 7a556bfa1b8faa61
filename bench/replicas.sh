#!/usr/bin/env bash
# The replicas part of `make bench`: log-metric throughput through HAProxy
# with 1 and then 3 berth server replicas on one PostgreSQL database, same
# run (bench/cmd/replicabench; wrk as the client), with the capacity
# model's figures (docs/scale-out.md). Needs haproxy, wrk and PostgreSQL
# (make tools).
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH=${BERTH:-bin/berth}
go run ./bench/cmd/replicabench -berth "$BERTH" "$@"
