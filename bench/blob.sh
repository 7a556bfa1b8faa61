#!/usr/bin/env bash
# The object-storage part of `make bench`: berth server's artifact proxy
# upload throughput and a 100 MB models:/ download, on an S3 bucket
# (SeaweedFS on 127.0.0.1) against local disk in the same run (median of 3
# runs, in alternating turns), with the CPU time each process spent, and
# berth pack of that model from each. One Markdown table, from
# bench/cmd/blobbench. Needs bin/berth (make build) and SeaweedFS (make
# tools: scripts/fetch-seaweedfs.sh). For before/after in the same run,
# pass -baseline with a berth binary built from another commit.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH=${BERTH:-bin/berth}
weed=$(scripts/fetch-seaweedfs.sh)
go run ./bench/cmd/blobbench -berth "$BERTH" -weed "$weed" "$@"
