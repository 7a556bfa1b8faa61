#!/usr/bin/env bash
# make demo: serve the iris model with berth and score it over each protocol.
set -euo pipefail
cd "$(dirname "$0")/.."

BERTH=${BERTH:-bin/berth}
PORT=${BERTH_DEMO_PORT:-8765}
MODEL=testdata/models/iris_logreg
URL=http://127.0.0.1:$PORT
log=$(mktemp)
trap 'kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true; rm -f "$log"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; eval "$@"; echo; }

step "berth serve iris=$MODEL (port $PORT)"
"$BERTH" serve "iris=$MODEL" --port "$PORT" >"$log" 2>&1 &
pid=$!
for _ in $(seq 1 100); do
  curl -fsS "$URL/v2/health/ready" >/dev/null 2>&1 && break
  kill -0 $pid 2>/dev/null || { cat "$log"; exit 1; }
  sleep 0.05
done
grep -E 'model loaded|ready' "$log" || true

step "MLflow scoring protocol: POST /invocations (dataframe_split)"
show "curl -sS $URL/invocations -H 'Content-Type: application/json' -d '{\"dataframe_split\": {\"columns\": [\"sepal_length\", \"sepal_width\", \"petal_length\", \"petal_width\"], \"data\": [[5.1, 3.5, 1.4, 0.2], [6.9, 3.2, 5.7, 2.3]]}}'"

step "MLflow scoring protocol: POST /invocations (text/csv)"
show "printf 'sepal_length,sepal_width,petal_length,petal_width\n5.9,3.0,4.2,1.5\n' | curl -sS $URL/invocations -H 'Content-Type: text/csv' --data-binary @-"

step "Open Inference Protocol v2: POST /v2/models/iris/infer"
show "curl -sS $URL/v2/models/iris/infer -H 'Content-Type: application/json' -d '{\"inputs\": [{\"name\": \"input\", \"shape\": [2, 4], \"datatype\": \"FP32\", \"data\": [5.1, 3.5, 1.4, 0.2, 6.9, 3.2, 5.7, 2.3]}]}'"

step "KServe V1: POST /v1/models/iris:predict"
show "curl -sS $URL/v1/models/iris:predict -H 'Content-Type: application/json' -d '{\"instances\": [[5.1, 3.5, 1.4, 0.2]]}'"

step "A client's mistake gets a 4xx that names the problem"
show "curl -sS -w ' (HTTP %{http_code})' $URL/invocations -H 'Content-Type: application/json' -d '{\"dataframe_split\": {\"columns\": [\"sepal_length\"], \"data\": [[5.1]]}}'"

step "Prometheus metrics (excerpt)"
curl -sS "$URL/metrics" | grep -E '^berth_(requests_total|model_info|model_load)' | head -n 8
