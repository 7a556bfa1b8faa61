#!/usr/bin/env bash
# make bench: one run, one table. See README "Speed".
set -euo pipefail
cd "$(dirname "$0")/.."
go build -o bin/floor ./bench/cmd/floor
go build -o bin/barebones ./bench/cmd/barebones
go run ./bench/cmd/berthbench -berth bin/berth -floor bin/floor -barebones bin/barebones "$@"
