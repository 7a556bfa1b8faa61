#!/usr/bin/env bash
# The registry half of `make bench`: log-metric requests/s against berth
# server on SQLite from wrk (a C client, so the load generator takes little
# of this machine's two cores), then registrybench's table of log-metric,
# log-batch and reads for synchronous=normal and full.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH=${BERTH:-bin/berth}
PORT=${BERTH_BENCH_REGISTRY_PORT:-18970}
work=$(mktemp -d)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -rf "$work"' EXIT

"$BERTH" server --port "$PORT" --backend-store-uri "sqlite:///$work/berth.db" \
  --artifacts-destination "$work/artifacts" 2>"$work/log" &
pid=$!
for _ in $(seq 1 100); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.05; done
run=$(curl -fsS -X POST "http://127.0.0.1:$PORT/api/2.0/mlflow/runs/create" -H 'Content-Type: application/json' \
  -d '{"experiment_id": "0"}' | grep -o '"run_id": *"[0-9a-f]*"' | head -n 1 | sed -E 's/.*"([0-9a-f]+)"$/\1/')
cat >"$work/log-metric.lua" <<LUA
counter = 0
request = function()
  counter = counter + 1
  local body = '{"run_id": "$run", "key": "loss", "value": ' .. counter .. ', "timestamp": ' .. counter .. ', "step": ' .. counter .. '}'
  return wrk.format("POST", "/api/2.0/mlflow/runs/log-metric", {["Content-Type"] = "application/json"}, body)
end
LUA
out=$(wrk -t2 -c8 -d5s -s "$work/log-metric.lua" "http://127.0.0.1:$PORT")
if grep -q "Non-2xx" <<<"$out"; then echo "$out"; echo "registry bench: some log-metric requests failed" >&2; exit 1; fi
rps=$(awk '/Requests\/sec/ {printf "%.0f", $2}' <<<"$out")
p50=$(awk '/Latency/ {print $2}' <<<"$out")
echo
echo "berth server log-metric, SQLite (synchronous=normal), wrk 8 connections: $rps requests/s, mean latency $p50 (target ≥ 2,000/s)"
kill $pid; wait $pid 2>/dev/null || true
go run ./bench/cmd/registrybench -berth "$BERTH"
