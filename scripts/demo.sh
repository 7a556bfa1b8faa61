#!/usr/bin/env bash
# make demo: serve the iris model with berth and score it over each protocol.
set -euo pipefail
cd "$(dirname "$0")/.."

BERTH=${BERTH:-bin/berth}
PORT=${BERTH_DEMO_PORT:-8765}
REGISTRY_PORT=${BERTH_DEMO_REGISTRY_PORT:-8766}
MODEL=testdata/models/iris_logreg
URL=http://127.0.0.1:$PORT
REGISTRY=http://127.0.0.1:$REGISTRY_PORT
work=$(mktemp -d)
pids=()
trap 'for p in "${pids[@]}"; do kill $p 2>/dev/null || true; wait $p 2>/dev/null || true; done; rm -rf "$work"' EXIT

step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
show() { printf '$ %s\n' "$*"; eval "$@"; echo; }
# wait_ready URL LOG PID: poll URL until it answers 200.
wait_ready() {
  for _ in $(seq 1 200); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { cat "$2"; exit 1; }
    sleep 0.05
  done
  cat "$2"; exit 1
}

step "berth server: the registry and tracking server, embedded SQLite + local artifacts in $work"
"$BERTH" server --port "$REGISTRY_PORT" --backend-store-uri "sqlite:///$work/berth.db" \
  --artifacts-destination "$work/artifacts" >"$work/server.log" 2>&1 &
pids+=($!)
wait_ready "$REGISTRY/health" "$work/server.log" "${pids[-1]}"
echo "listening on $REGISTRY (MLflow clients: MLFLOW_TRACKING_URI=$REGISTRY)"

step "Register the sample model and point the alias champion at it"
show "$BERTH models register $MODEL --name iris --alias champion --registry-uri $REGISTRY"
show "$BERTH models show iris --registry-uri $REGISTRY"

step "berth serve models:/iris@champion (port $PORT)"
"$BERTH" serve models:/iris@champion --registry-uri "$REGISTRY" --cache-dir "$work/cache" \
  --port "$PORT" >"$work/serve.log" 2>&1 &
pids+=($!)
wait_ready "$URL/v2/health/ready" "$work/serve.log" "${pids[-1]}"
grep -E 'model loaded|ready' "$work/serve.log" || true

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

step "berth pack models:/iris@champion: a runnable OCI image, built without Docker"
show "$BERTH pack models:/iris@champion --registry-uri $REGISTRY --cache-dir $work/cache --oci-layout $work/oci --name berth/iris:champion"
echo "run it with: podman run --rm --network=host oci:$work/oci:champion --host 127.0.0.1 --port 8080"

step "Drift, offline: a reference profile of iris, then a sample with petal_length scaled by 1.3"
show "$BERTH drift profile $MODEL --data testdata/data/iris.csv --out $work/drift_reference.json"
awk -F, 'NR == 1 { print; next } { OFS = ","; $3 = $3 * 1.3; print }' testdata/data/iris.csv >"$work/shifted.csv"
show "$BERTH drift report --reference $work/drift_reference.json --current $work/shifted.csv"

step "Prometheus metrics (excerpt)"
curl -sS "$URL/metrics" | grep -E '^berth_(requests_total|model_info|model_load)' | head -n 8
