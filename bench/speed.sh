#!/usr/bin/env bash
# The "speed on real payloads" half of `make bench` (docs/speed.md):
# 1. bench/cmd/jsonspeed: MB/s of berth's JSON-to-tensor decode beside
#    encoding/json, encoding/json/v2, gjson and a no-parse scan floor, on
#    the OCR classifier's serving_input_example.json as MLflow wrote it (in
#    every body shape) and on 1 kB - 10 MB bodies, in CPU time, in turns.
# 2. serve's BenchmarkOCRCost: berth's own cost per request around the
#    OCR classifier's inference, in process (no load generator on the CPUs).
# The wrk figures for the OCR classifier (ratios to bare ONNX Runtime at
# c=1 and c=2) are in bench/throughput.sh's table (model "ocr").
# Needs ONNX Runtime (make ort). Flags go to bench/cmd/jsonspeed.
set -euo pipefail
cd "$(dirname "$0")/.."
echo "== JSON decode into the model's tensor (bench/cmd/jsonspeed)"
go run ./bench/cmd/jsonspeed "$@"
echo
echo "== berth's own cost around the OCR classifier's inference, in process (serve BenchmarkOCRCost)"
BERTH_REQUIRE_ORT=1 go test ./serve -run '^$' -bench '^BenchmarkOCRCost$' -benchtime 300x -count 3 | grep -E '^Benchmark'
