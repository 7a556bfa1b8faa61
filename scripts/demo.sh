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

step "Profile the training data into the model's drift reference (inputs and the model's outputs)"
cp -r "$MODEL" "$work/iris"
show "$BERTH drift profile $work/iris --data testdata/data/iris.csv"

step "Register the sample model (its drift reference goes with it) and point the alias champion at it"
show "$BERTH models register $work/iris --name iris --alias champion --registry-uri $REGISTRY"
show "$BERTH models show iris --registry-uri $REGISTRY"

step "berth serve models:/iris@champion (port $PORT)"
"$BERTH" serve models:/iris@champion --registry-uri "$REGISTRY" --cache-dir "$work/cache" \
  --port "$PORT" --drift-window-rows 150 --report-interval 2s --log-requests "$work/requests.jsonl" >"$work/serve.log" 2>&1 &
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

step "Drift, live: the iris data itself, then the same flowers with petal_length scaled by 1.3"
awk -F, 'BEGIN { OFS = "," } { print $1, $2, $3, $4 }' testdata/data/iris.csv >"$work/iris.csv"
awk -F, 'BEGIN { OFS = "," } NR == 1 { print $1, $2, $3, $4; next } { print $1, $2, $3 * 1.3, $4 }' testdata/data/iris.csv >"$work/shifted.csv"
curl -fsS "$URL/invocations" -H 'Content-Type: text/csv' --data-binary "@$work/iris.csv" >/dev/null
curl -fsS "$URL/invocations" -H 'Content-Type: text/csv' --data-binary "@$work/shifted.csv" >/dev/null
echo "scored 150 + 150 rows; each 150 closes a drift window"
show "curl -sS $URL/v2/models/iris/drift | jq -c '.history[] | {window, status, drifted: [.features[] | select(.drifted) | .feature]}' 2>/dev/null || curl -sS $URL/v2/models/iris/drift | head -c 600"
curl -sS "$URL/metrics" | grep -E '^berth_drift_(detected|model_detected)\{' | grep -E 'petal_length|model_detected' || true
echo "drift page: $URL/drift/iris"
sleep 1.5 # the write-back is asynchronous
step "The registry knows: the version's drift tags, written back by berth serve"
show "$BERTH models show iris --registry-uri $REGISTRY"

step "Drift, offline: the request log berth serve wrote, against the reference (inputs and outputs)"
tail -n 150 "$work/requests.jsonl" >"$work/shifted.jsonl"
show "head -c 300 $work/shifted.jsonl; echo ..."
show "$BERTH drift report --reference $work/iris/drift_reference.json --current $work/shifted.jsonl"

step "Evaluate the champion on labelled data: MLflow's default metrics, logged to a run with its plots"
show "$BERTH evaluate models:/iris@champion --data testdata/data/iris.csv --target target --model-type classifier --registry-uri $REGISTRY --cache-dir $work/cache --artifacts-dir $work/eval"

step "Gate a promotion: a decision tree as version 2 must beat @champion by a point of accuracy"
"$BERTH" models register testdata/models/iris_tree --name iris --registry-uri "$REGISTRY" >/dev/null
show "$BERTH promote models:/iris/2 --alias champion --data testdata/data/iris.csv --target target --model-type classifier --require 'accuracy_score>=0.9' --min-absolute-change accuracy_score=0.01 --registry-uri $REGISTRY --cache-dir $work/cache || true"

step "Prometheus metrics (excerpt)"
curl -sS "$URL/metrics" | grep -E '^berth_(requests_total|model_info|model_load)' | head -n 8

step "The web UI (berth server, port $REGISTRY_PORT): what serves, how it answers, whether it drifts"
sleep 2 # one more serving report
show "$BERTH runs list --experiment berth-monitoring --registry-uri $REGISTRY"
echo "runs and comparison:   $REGISTRY/"
echo "iris v1 in production: $REGISTRY/#/models/iris?version=1  (request rate, latency, errors, drift per feature)"
echo "every served version:  $REGISTRY/#/production"
if [ -n "${BERTH_DEMO_WAIT:-}" ]; then
  read -r -p "BERTH_DEMO_WAIT is set: the servers stay up; press Enter to stop them. " _
fi
