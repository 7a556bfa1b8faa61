#!/usr/bin/env bash
# The throughput half of `make bench`: berth with dynamic batching off and
# on, the floor, a minimal Node.js server on onnxruntime-node (bench/node)
# and bare ONNX Runtime in-process, on the iris fixture and the CNN
# (testdata/models/cnn64), loaded by Debian's wrk at several concurrency
# levels, in turns. One Markdown table, then the issue's three targets; see
# README "Speed". Needs ONNX Runtime (make ort), wrk and npm (make tools);
# builds bin/berth and bin/floor and installs bench/node's dependencies.
# Flags go to bench/cmd/throughput (e.g. -turns 5 -turn 3s).
set -euo pipefail
cd "$(dirname "$0")/.."
command -v wrk >/dev/null || { echo "bench/throughput.sh: wrk is missing (make tools)" >&2; exit 1; }
go build -trimpath -ldflags "-s -w" -o bin/berth ./cmd/berth
go build -o bin/floor ./bench/cmd/floor
go build -o bin/throughput ./bench/cmd/throughput
bench/node/install.sh
bin/throughput -berth bin/berth -floor bin/floor "$@"
