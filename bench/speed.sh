#!/usr/bin/env bash
# The "speed on real payloads" half of `make bench` (docs/speed.md):
# 1. bench/cmd/jsonspeed: MB/s of berth's JSON-to-tensor decode beside
#    encoding/json, encoding/json/v2, gjson and a no-parse scan floor, on
#    the OCR classifier's serving_input_example.json as MLflow wrote it (in
#    every body shape) and on 1 kB - 10 MB bodies, in CPU time, in turns.
# 2. serve's BenchmarkOCRCost: berth's own cost per request around the
#    OCR classifier's inference, in process (no load generator on the CPUs).
# 3. serve's BenchmarkIrisOwnCost: berth's own cost per iris request beside
#    bench/cmd/barebones's handler, in process, with allocations per request.
# 4. The response encoders' MB/s and ns per number (CPU time) on an
#    [N, 1000] float32 output and a sequence of maps, whole and streamed
#    (api/scoring BenchmarkEncodeLarge, api/oip BenchmarkEncodeOutputs),
#    beside berth's decoder reading back exactly the bytes they wrote
#    (".../decode": the response with its top-level key renamed into a
#    request), so both directions are compared on the same bytes; and
#    internal/ftoa's CPU ns per float for its list writers beside the
#    per-element path the encoders used before (BenchmarkAppendStyled).
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
echo
echo "== berth's own cost per iris request beside the bare-bones handler, in process (serve BenchmarkIrisOwnCost)"
BERTH_REQUIRE_ORT=1 go test ./serve -run '^$' -bench '^BenchmarkIrisOwnCost$' -benchtime 3000x -count 3 | grep -E '^Benchmark'
echo
echo "== response encoders and the decoder on the same bytes, MB/s and ns/number of CPU time (api/scoring BenchmarkEncodeLarge, api/oip BenchmarkEncodeOutputs; .../decode reads back what the encoder wrote)"
go test ./api/scoring -run '^$' -bench '^BenchmarkEncodeLarge$' -benchtime 5x | grep -E '^Benchmark'
go test ./api/oip -run '^$' -bench '^BenchmarkEncodeOutputs$' -benchtime 5x | grep -E '^Benchmark'
go test ./internal/ftoa -run '^$' -bench '^BenchmarkAppendStyled$/float/list' -benchtime 3000x -count 3 | grep -E '^Benchmark'
