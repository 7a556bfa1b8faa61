#!/usr/bin/env bash
# make demo: build berth, then start a registry, register the iris model, serve
# it and score it over each protocol, pack it, watch it drift, evaluate it and
# gate a promotion, and print the web UI's links.
#
# It installs what it needs when missing (curl, jq, gcc; npm only to fetch ONNX
# Runtime), as root through apt-get, or says what to install.
#
# BERTH_DEMO_WAIT  unset: at the end, keep the servers up until Enter or Ctrl-C
#                  when stdin is a terminal, else stop them and say how to
#                  browse; 1: keep them up (until Enter on a terminal, else
#                  until Ctrl-C or SIGTERM); 0: never wait.
# BERTH_DEMO_PORT, BERTH_DEMO_REGISTRY_PORT  the two servers' ports (8765, 8766).
set -euo pipefail
cd "$(dirname "$0")/.."

MAKE=${MAKE:-make}
BERTH=${BERTH:-bin/berth}
PORT=${BERTH_DEMO_PORT:-8765}
REGISTRY_PORT=${BERTH_DEMO_REGISTRY_PORT:-8766}
MODEL=testdata/models/iris_logreg
URL=http://127.0.0.1:$PORT
REGISTRY=http://127.0.0.1:$REGISTRY_PORT

if [ -t 1 ]; then b=$'\033[1m' n=$'\033[0m'; else b= n=; fi
step() { printf '\n%s== %s%s\n' "$b" "$*" "$n"; }
show() { printf '$ %s\n' "$*"; eval "$@"; echo; }
die() { echo "demo: $*" >&2; exit 1; }

# --- What the demo needs ------------------------------------------------------
command -v go >/dev/null || die "berth needs Go 1.26 or later (https://go.dev/dl/), and none is on PATH"
need=()
command -v gcc >/dev/null || need+=(gcc libc6-dev) # ONNX Runtime's Go binding uses cgo
command -v curl >/dev/null || need+=(curl)
command -v jq >/dev/null || need+=(jq)
# npm fetches ONNX Runtime, which fetch-ort.sh finds in place without it.
if ! command -v npm >/dev/null && ! scripts/fetch-ort.sh >/dev/null 2>&1; then need+=(npm); fi
if [ ${#need[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ] || ! command -v apt-get >/dev/null; then
    die "missing ${need[*]}: install them (Debian/Ubuntu: sudo apt-get install ${need[*]}) and run make demo again"
  fi
  step "Installing ${need[*]} (apt-get)"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
fi

# --- Build -----------------------------------------------------------------------
# go build -v names each package it compiles: count them instead of printing
# them, on one line that a terminal redraws (every 100 elsewhere); anything
# else (a compiler error) is printed as is.
step "Building $BERTH (the first build compiles ~500 packages: a few minutes; later builds take seconds)"
GOFLAGS="${GOFLAGS:+$GOFLAGS }-v" "$MAKE" -s --no-print-directory build 2>&1 | {
  pkgs=0 mods=0
  while IFS= read -r line; do
    case $line in
    "go: downloading "*) mods=$((mods + 1)) counted=$((mods % 20 == 0)) ;;
    "" | *[[:space:]]*) [ -t 1 ] && printf '\r\033[K'; printf '%s\n' "$line"; counted=0 ;;
    *) pkgs=$((pkgs + 1)) counted=$((pkgs % 100 == 0)) ;;
    esac
    msg="$pkgs packages compiled"
    [ $mods -gt 0 ] && msg="$mods modules downloaded, $msg"
    if [ -t 1 ]; then
      printf '\r\033[K%s' "$msg"
    elif [ $counted = 1 ]; then
      echo "$msg..."
    fi
  done
  if [ -t 1 ]; then printf '\r\033[K'; fi
  case $pkgs in 0) echo "up to date" ;; 1) echo "1 package compiled" ;; *) echo "$pkgs packages compiled" ;; esac
}
ls -l "$BERTH" | awk '{ printf "%s: %.1f MiB\n", $NF, $5 / 1048576 }'

step "ONNX Runtime 1.30.0 (fetched once with npm pack into the user cache, sha256-checked)"
BERTH_ORT_LIB=$(scripts/fetch-ort.sh)
export BERTH_ORT_LIB
echo "$BERTH_ORT_LIB"

# --- The servers ---------------------------------------------------------------
work=$(mktemp -d)
pids=()
cleanup() {
  # berth serve first: it writes its last report to the registry as it stops.
  for ((i = ${#pids[@]} - 1; i >= 0; i--)); do
    kill "${pids[i]}" 2>/dev/null || true
    wait "${pids[i]}" 2>/dev/null || true
  done
  rm -rf "$work"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

# wait_ready URL LOG PID: poll URL until it answers 200.
wait_ready() {
  for _ in $(seq 1 200); do
    curl -fsS "$1" >/dev/null 2>&1 && return 0
    kill -0 "$3" 2>/dev/null || { cat "$2"; exit 1; }
    sleep 0.05
  done
  cat "$2"
  exit 1
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
grep -E 'downloaded model|model loaded|ready' "$work/serve.log" || true

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
# twice: the model's status is drift once two windows in a row drifted (--drift-persistence 2)
curl -fsS "$URL/invocations" -H 'Content-Type: text/csv' --data-binary "@$work/shifted.csv" >/dev/null
curl -fsS "$URL/invocations" -H 'Content-Type: text/csv' --data-binary "@$work/shifted.csv" >/dev/null
echo "scored 150 + 2 × 150 rows; each 150 closes a drift window: ok, then warning (one drifting window), then drift"
show "curl -sS $URL/v2/models/iris/drift | jq -c '.history[] | {window, status, verdict, drifted: [.features[] | select(.drifted) | .feature]}'"
show "curl -sS $URL/v2/models/iris/drift | jq -r .last.summary"
curl -sS "$URL/metrics" | grep -E '^berth_drift_(detected|model_detected|consecutive_windows)\{' | grep -E 'petal_length|model_detected|consecutive' || true
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

step "Prometheus metrics (excerpt of $URL/metrics)"
curl -sS "$URL/metrics" | grep -E '^berth_(requests_total|model_info|model_load)' | head -n 8

step "What berth serve reported to the registry: a monitoring run per serving process"
sleep 2 # one more serving report
# The run's latest drift window (its step is the window number) and the sum of
# its serving reports, from the run's metrics and their history.
"$BERTH" runs list --experiment berth-monitoring --registry-uri "$REGISTRY" -o json | jq -r '.[] |
  (.data.metrics | map({(.key): .}) | add) as $m |
  [.info.run_id, .info.run_name, .info.status, $m["drift.status"].step, (["ok", "warning", "drift"][$m["drift.status"].value]),
   ([.data.metrics[] | select((.key | test("^drift\\..+\\.drifted$")) and .value == 1) | .key | ltrimstr("drift.") | rtrimstr(".drifted")] | join(", ")),
   ($m["serving.latency_p95_ms"].value * 100 | round / 100)] | @tsv' |
  while IFS=$'\t' read -r id name status window drift drifted p95; do
    served=$(curl -fsS "$REGISTRY/api/2.0/mlflow/metrics/get-history?run_id=$id&metric_key=serving.requests" |
      jq '[.metrics[].value] | add | floor')
    echo "$name ($status): $served requests reported in 2-second intervals (the latest p95: $p95 ms);"
    echo "  drift window $window: $drift${drifted:+ ($drifted drifted)}"
  done

step "The web UI (berth server, port $REGISTRY_PORT): what serves, how it answers, whether it drifts"
echo "runs and comparison:   $REGISTRY/"
echo "iris v1 in production: $REGISTRY/#/models/iris?version=1  (request rate, latency, errors, drift per feature)"
echo "every served version:  $REGISTRY/#/production"
echo "berth serve's drift page: $URL/drift/iris"

case ${BERTH_DEMO_WAIT:-} in
0 | false | no) wait=no ;;
"") if [ -t 0 ]; then wait=yes; else wait=no; fi ;;
*) wait=yes ;;
esac
echo
if [ $wait = no ]; then
  echo "The servers stop now, with this script, and these links stop answering. To browse them, run make demo"
  echo "in a terminal (it waits for Enter), or BERTH_DEMO_WAIT=1 make demo (it waits for Ctrl-C). A registry of"
  echo "your own: bin/berth server (web UI at http://127.0.0.1:5000/, data in ./berth-data)."
  exit 0
fi
trap 'echo; echo "stopping the servers"; exit 0' INT TERM
if [ -t 0 ]; then
  read -r -p "The servers stay up so these links work: press Enter or Ctrl-C to stop them. " _ || true
else
  echo "BERTH_DEMO_WAIT=$BERTH_DEMO_WAIT: the servers stay up until Ctrl-C or SIGTERM (kill $$)."
  wait "${pids[@]}" || true
fi
