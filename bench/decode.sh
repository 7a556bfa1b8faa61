#!/usr/bin/env bash
# bench/decode.sh: the JSON decode's share of `make bench` (docs/speed.md,
# "JSON numbers into the tensor"). bench/speed.sh prints the decode table
# (bench/cmd/jsonspeed: MB/s beside encoding/json, json/v2, gjson and the
# scan floor); this prints what MLflow's JSON body costs a request of the
# OCR classifier in process, beside bare ONNX Runtime (bench/cmd/ocrcost:
# decode + predict + encode against predict alone, CPU and wall time). Needs
# ONNX Runtime (make ort). Flags go to bench/cmd/ocrcost.
#
# bench/decode.sh --compare [BASE] [ROUNDS]: the decode benchmarks before
# and after. Builds the test binaries of api/scoring and api/oip at git
# revision BASE (default HEAD) and in the working tree, then runs their
# decode benchmarks interleaved, ROUNDS times (default 8), so that both
# sides see the same machine load. Prints benchstat's comparison when
# benchstat is on PATH (go install golang.org/x/perf/cmd/benchstat@latest),
# the raw results otherwise. internal/jsonscan's own benchmarks set the
# scanner beside encoding/json and gjson (go test ./internal/jsonscan
# -bench .; BenchmarkRuns: jsonscan.Floats on the OCR example's lists).
set -euo pipefail
cd "$(dirname "$0")/.."
if [ "${1:-}" != --compare ]; then
	echo "== what MLflow's JSON body costs an OCR request, in process (bench/cmd/ocrcost)"
	go run ./bench/cmd/ocrcost "$@"
	exit
fi
shift
base=${1:-HEAD}
rounds=${2:-8}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

mkdir "$tmp/base"
git archive "$base" | tar -x -C "$tmp/base"
pkgs=(api/scoring api/oip)
for p in "${pkgs[@]}"; do
	n=${p//\//_}
	(cd "$tmp/base" && go test -c -o "$tmp/$n.before" "./$p")
	go test -c -o "$tmp/$n.after" "./$p"
done

for _ in $(seq "$rounds"); do
	for side in before after; do
		for p in "${pkgs[@]}"; do
			n=${p//\//_}
			(cd "$p" && "$tmp/$n.$side" -test.run '^$' -test.bench 'Decode' -test.benchmem -test.benchtime 0.3s) |
				grep '^Benchmark' >>"$tmp/$side.txt"
		done
	done
done

if command -v benchstat >/dev/null; then
	benchstat "$tmp/before.txt" "$tmp/after.txt"
else
	echo "== before ($base)"
	cat "$tmp/before.txt"
	echo "== after (working tree)"
	cat "$tmp/after.txt"
fi
