#!/usr/bin/env bash
# make demo: build berth, then start a registry, register the iris model, serve
# it and score it over each protocol, pack it, watch it drift, evaluate it and
# gate a promotion, run a recipe (berth recipe init classification, run, run
# again cached, inspect), and print the web UI's links.
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

# --- Prompts: a template tried, saved, registered, served and evaluated --------
# The LLM engine is the tests' own: llama.cpp (node-llama-cpp, installed once
# by scripts/fetch-llama.sh) loading a tiny random-weight model, so its
# answers are gibberish, but real tokens from a real engine, and the same
# every time (greedy decoding), so the promotion at the end is refused every
# time: version 2's shorter answers do not match version 1's. A berth server of its own (port
# $BERTH_DEMO_PROMPT_PORT, 8767) mounts the gateway; berth serve answers the
# registered prompt on $BERTH_DEMO_PROMPT_SERVE_PORT (8768). Without Node.js
# 20+ or npm the block is skipped with the reason.
PROMPT_PORT=${BERTH_DEMO_PROMPT_PORT:-8767}
PROMPT_SERVE_PORT=${BERTH_DEMO_PROMPT_SERVE_PORT:-8768}
LAB=http://127.0.0.1:$PROMPT_PORT
prompt_demo() {
  local template='Write a {{ style }} about {{ topic }}.' llama engine rows run_id
  step "Prompts: the LLM engine (llama.cpp as node-llama-cpp 3.21.1, the tests' tiny random-weight model)"
  if ! command -v node >/dev/null || ! command -v npm >/dev/null; then
    echo "skipped: the prompt part needs Node.js 20 or later and npm (Debian/Ubuntu: apt-get install nodejs npm)"
    return 0
  fi
  echo "node-llama-cpp 3.21.1: npm ci into the user cache the first time (about 85 MB), found there later"
  if ! llama=$(scripts/fetch-llama.sh 2>"$work/fetch-llama.log"); then
    echo "skipped: scripts/fetch-llama.sh failed: $(tail -n 1 "$work/fetch-llama.log")"
    return 0
  fi
  echo "$llama"
  go build -o "$work/llmengine" ./internal/cmd/llmengine
  BERTH_LLAMA_DIR=$llama "$work/llmengine" -dir "$work" >"$work/llmengine.out" 2>"$work/llmengine.log" &
  pids+=($!)
  for _ in $(seq 1 600); do
    grep -q '^listening on ' "$work/llmengine.out" && break
    kill -0 "${pids[-1]}" 2>/dev/null || { cat "$work/llmengine.log"; exit 1; }
    sleep 0.1
  done
  engine=$(sed -n 's/^listening on //p' "$work/llmengine.out")
  [ -n "$engine" ] || { cat "$work/llmengine.log"; die "the LLM engine did not start in 60 s"; }
  echo "OpenAI-compatible API on $engine/v1"

  step "berth server --gateway-config: a chat endpoint in front of the engine, the prompt lab at $LAB/#/promptlab"
  cat >"$work/gateway.yaml" <<YAML
endpoints:
  - name: chat
    endpoint_type: llm/v1/chat
    model: {provider: openai, name: tiny, config: {openai_api_key: unused, openai_api_base: '$engine/v1'}}
YAML
  show "cat $work/gateway.yaml"
  "$BERTH" server --port "$PROMPT_PORT" --backend-store-uri "sqlite:///$work/prompts.db" \
    --artifacts-destination "$work/prompt-artifacts" --gateway-config "$work/gateway.yaml" >"$work/prompt-server.log" 2>&1 &
  pids+=($!)
  wait_ready "$LAB/health" "$work/prompt-server.log" "${pids[-1]}"

  step "Try: the template '$template' on 3 rows through the prompt lab's gateway proxy"
  rows='[{"style": "haiku", "topic": "the sea"}, {"style": "limerick", "topic": "a cat"}, {"style": "riddle", "topic": "autumn"}]'
  : >"$work/lab.jsonl"
  echo "$rows" | jq -c '.[]' | while IFS= read -r row; do
    prompt=$(jq -rn --arg t "$template" --argjson r "$row" \
      'reduce ($r | to_entries[]) as $e ($t; gsub("\\{\\{ *" + $e.key + " *\\}\\}"; $e.value))')
    jq -n --arg p "$prompt" '{gateway_path: "endpoints/chat/invocations",
      json_data: {messages: [{role: "user", content: $p}], temperature: 0, max_tokens: 6}}' >"$work/req.json"
    start=$(date +%s%N)
    answer=$(curl -fsS "$LAB/ajax-api/2.0/mlflow/gateway-proxy" -H 'Content-Type: application/json' -d "@$work/req.json")
    ms=$((($(date +%s%N) - start) / 1000000))
    jq -nc --argjson r "$row" --arg p "$prompt" --argjson a "$answer" --argjson ms "$ms" \
      '$r + {prompt: $p, output: $a.choices[0].message.content, latency: $ms, tokens: $a.usage.completion_tokens}' >>"$work/lab.jsonl"
  done
  echo "$ curl -sS $LAB/ajax-api/2.0/mlflow/gateway-proxy -d '$(jq -c . "$work/req.json")'   (one per row)"
  jq -r '"\(.prompt)  →  \(.output | @json)  (\(.tokens) tokens, \(.latency) ms)"' "$work/lab.jsonl"

  step "Save: the try as MLflow's prompt lab run (POST /ajax-api/2.0/mlflow/runs/create-promptlab-run)"
  exp=$(curl -fsS "$LAB/api/2.0/mlflow/experiments/create" -H 'Content-Type: application/json' -d '{"name": "prompt-lab"}' | jq -r .experiment_id)
  jq -s --arg t "$template" --arg exp "$exp" '.[0] as $f | {experiment_id: $exp, run_name: "poems",
      prompt_template: $t, prompt_parameters: [{key: "style", value: $f.style}, {key: "topic", value: $f.topic}],
      model_route: "chat", model_parameters: [{key: "temperature", value: 0}, {key: "max_tokens", value: 6}],
      model_input: $f.prompt, model_output: $f.output,
      model_output_parameters: [{key: "latency", value: $f.latency}, {key: "token_count", value: $f.tokens}],
      mlflow_version: "2.17.2"}' "$work/lab.jsonl" >"$work/promptlab-run.json"
  run_id=$(curl -fsS "$LAB/ajax-api/2.0/mlflow/runs/create-promptlab-run" -H 'Content-Type: application/json' \
    -d "@$work/promptlab-run.json" | jq -r .run.info.run_id)
  jq -s '{columns: ["style", "topic", "prompt", "output", "latency", "token_count"],
      data: map([.style, .topic, .prompt, .output, (.latency | tostring), (.tokens | tostring)])}' "$work/lab.jsonl" |
    curl -fsS "$LAB/ajax-api/2.0/mlflow/upload-artifact?run_uuid=$run_id&path=eval_results_table.json" --data-binary @- >/dev/null
  echo "run $run_id: params, tags and artifacts as MLflow 2.17.2 writes them"
  curl -fsS "$LAB/api/2.0/mlflow/runs/get?run_id=$run_id" | jq -c '{params: [.run.data.params[] | "\(.key)=\(.value)"],
      runSourceType: (.run.data.tags[] | select(.key == "mlflow.runSourceType") | .value)}'
  curl -fsS "$LAB/api/2.0/mlflow/artifacts/list?run_id=$run_id" | jq -c '[.files[].path]'

  step "Register: the template as prompt poem v1 (MLflow 3's prompt registry tags and model config), alias production"
  post() { curl -fsS "$LAB/api/2.0/mlflow/$1" -H 'Content-Type: application/json' -d "$2"; }
  post registered-models/create '{"name": "poem", "tags": [{"key": "mlflow.prompt.is_prompt", "value": "true"}]}' >/dev/null
  post model-versions/create "$(jq -nc --arg t "$template" '{name: "poem", source: "dummy-source", description: "first try",
      tags: [{key: "mlflow.prompt.is_prompt", value: "true"}, {key: "_mlflow_prompt_type", value: "text"},
        {key: "mlflow.prompt.text", value: $t},
        {key: "_mlflow_prompt_model_config", value: ({model_name: "chat", temperature: 0, max_tokens: 6} | tojson)}]}')" >/dev/null
  post registered-models/alias '{"name": "poem", "alias": "production", "version": "1"}' >/dev/null
  show "$BERTH models show poem --registry-uri $LAB"

  step "Serve: berth serve prompts:/poem@production (port $PROMPT_SERVE_PORT), the gateway as MLFLOW_DEPLOYMENTS_TARGET"
  MLFLOW_DEPLOYMENTS_TARGET=$LAB "$BERTH" serve prompts:/poem@production --registry-uri "$LAB" --cache-dir "$work/cache" \
    --port "$PROMPT_SERVE_PORT" >"$work/prompt-serve.log" 2>&1 &
  pids+=($!)
  wait_ready "http://127.0.0.1:$PROMPT_SERVE_PORT/v2/health/ready" "$work/prompt-serve.log" "${pids[-1]}"
  show "curl -sS http://127.0.0.1:$PROMPT_SERVE_PORT/invocations -H 'Content-Type: application/json' -d '{\"dataframe_records\": $(echo "$rows" | jq -c .)}'"
  echo "the same texts as the tries above: the prompt carries the endpoint and parameters the lab used"

  step "Evaluate: berth evaluate --model-type text on the template through the gateway, logged to a run"
  jq -r '["style", "topic"], (.[] | [.style, .topic]) | @csv' <<<"$rows" >"$work/rows.csv"
  show "$BERTH evaluate --data $work/rows.csv --model-type text --gateway-uri $LAB --endpoint chat --prompt-template '$template' --max-tokens 6 --temperature 0 --registry-uri $LAB --experiment prompt-lab"

  step "Promote: prompt poem v2 (max_tokens 3, shorter answers) must answer the rows as @production's v1 did"
  post model-versions/create "$(jq -nc --arg t "$template" '{name: "poem", source: "dummy-source", description: "shorter answers",
      tags: [{key: "mlflow.prompt.is_prompt", value: "true"}, {key: "_mlflow_prompt_type", value: "text"},
        {key: "mlflow.prompt.text", value: $t},
        {key: "_mlflow_prompt_model_config", value: ({model_name: "chat", temperature: 0, max_tokens: 3} | tojson)}]}')" >/dev/null
  # The reference answers: the ones the lab's try gave, kept as column expected.
  jq -rs '["style", "topic", "expected"], (.[] | [.style, .topic, .output]) | @csv' "$work/lab.jsonl" >"$work/expected.csv"
  show "cat $work/expected.csv"
  show "MLFLOW_DEPLOYMENTS_TARGET=$LAB $BERTH promote prompts:/poem/2 --alias production --data $work/expected.csv --target expected --model-type question-answering --require 'exact_match/v1>=0.5' --registry-uri $LAB --cache-dir $work/cache || true"
  show "$BERTH models show poem --registry-uri $LAB"
  echo "@production stays on version 1, which berth serve above keeps serving"
  echo "prompt lab (runs saved to experiment $exp): $LAB/#/promptlab?experiment=$exp   prompts: $LAB/#/prompts"
}
prompt_block_start=$(date +%s)
prompt_demo
echo "(prompt part: $(($(date +%s) - prompt_block_start)) s)"

# --- A recipe: from data to a promoted, packed, smoke-tested model ------------
# Its train step runs Debian's /usr/bin/python3 with python3-sklearn and
# python3-onnx: installed here as root through apt-get, else this part is
# left out with what to install.
recipe_run=
recipe_block_start=$(date +%s)
if ! /usr/bin/python3 -c 'import sklearn, onnx' 2>/dev/null && [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null; then
  step "Installing python3-sklearn python3-onnx (apt-get) for the recipe's train step"
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-sklearn python3-onnx >/dev/null || true
fi
if /usr/bin/python3 -c 'import sklearn, onnx' 2>/dev/null; then
  step "berth recipe init classification: a recipe scaffolded offline (scikit-learn train step exported to ONNX, eval data, criteria)"
  show "$BERTH recipe init classification -C $work/recipe --name iris_recipe"
  step "berth recipe run: train -> evaluate -> register -> promote -> pack -> smoke, each step cached under a key of its inputs"
  show "$BERTH recipe run -C $work/recipe --registry-uri $REGISTRY 2>&1 | tee $work/recipe-run.log"
  step "The same recipe again, nothing changed: every step cached"
  t0=$(date +%s%N)
  show "$BERTH recipe run -C $work/recipe --registry-uri $REGISTRY 2>&1 | tee $work/recipe-run2.log"
  t1=$(date +%s%N)
  echo "the cached run took $(((t1 - t0) / 1000000)) ms"
  recipe_run=$(sed -n 's/^recipe: recorded as run \([0-9a-f]*\):.*/\1/p' "$work/recipe-run2.log" | tail -n 1)
  step "berth recipe inspect: the graph and each step's card (what it read, wrote, measured; its runs)"
  show "$BERTH recipe inspect -C $work/recipe"
  echo "(recipe part: $(($(date +%s) - recipe_block_start)) s)"
else
  step "A recipe (left out): its train step needs Debian's python3-sklearn and python3-onnx"
  echo "install them (sudo apt-get install python3-sklearn python3-onnx) and run make demo again to see berth recipe"
fi

step "The web UI (berth server, port $REGISTRY_PORT): what serves, how it answers, whether it drifts"
echo "runs and comparison:   $REGISTRY/"
echo "iris v1 in production: $REGISTRY/#/models/iris?version=1  (request rate, latency, errors, drift per feature)"
echo "every served version:  $REGISTRY/#/production"
echo "berth serve's drift page: $URL/drift/iris"
if [ -n "$recipe_run" ]; then
  echo "the recipe's graph and cards: $REGISTRY/#/recipes/$recipe_run  (every recipe run: $REGISTRY/#/recipes)"
fi

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
