#!/usr/bin/env bash
# The recipe part of `make bench` (docs/recipes.md, "Speed"): the scaffolded
# classification recipe (berth recipe init classification) against a local
# berth server on SQLite. Prints one Markdown table: each step's time on the
# first run, the berth-native half (evaluate -> register -> promote -> pack
# -> smoke; target <= 15 s), and a cached run with nothing changed (median
# of 5 wall times; target <= 1 s) against the baseline of starting the same
# binary (`berth --version`, median of 5, same run). Needs bin/berth (make
# build), ONNX Runtime (make ort) and Debian's python3-sklearn python3-onnx.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH=$(realpath "${BERTH:-bin/berth}")
PORT=${BERTH_BENCH_RECIPE_PORT:-18975}
BERTH_ORT_LIB=${BERTH_ORT_LIB:-$(scripts/fetch-ort.sh)}
export BERTH_ORT_LIB
/usr/bin/python3 -c 'import sklearn, onnx' || { echo "recipe bench: needs /usr/bin/python3 with sklearn and onnx (apt-get install python3-sklearn python3-onnx)" >&2; exit 1; }
work=$(mktemp -d)
pid=
trap '[ -n "$pid" ] && { kill $pid 2>/dev/null; wait $pid 2>/dev/null; }; rm -rf "$work"' EXIT
"$BERTH" server --port "$PORT" --backend-store-uri "sqlite:///$work/berth.db" --artifacts-destination "$work/artifacts" 2>"$work/server.log" &
pid=$!
for _ in $(seq 1 200); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 0.05; done
curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null || { cat "$work/server.log"; exit 1; }
export BERTH_REGISTRY_URI=http://127.0.0.1:$PORT BERTH_CACHE_DIR=$work/cache
"$BERTH" recipe init classification -C "$work/iris" >/dev/null 2>&1

# ms CMD...: the wall time of CMD in milliseconds (its output kept in $work/out).
ms() {
  local t0 t1
  t0=$(date +%s%N)
  "$@" >"$work/out" 2>"$work/err" || { cat "$work/out" "$work/err" >&2; return 1; }
  t1=$(date +%s%N)
  echo $(((t1 - t0) / 1000000))
}
median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

first=$(ms "$BERTH" recipe run -C "$work/iris")
cp "$work/out" "$work/first"
# The table berth recipe run prints: STEP KIND STATUS SECONDSs.
secs() { awk -v s="$1" '$1 == s { sub(/s$/, "", $4); print $4 }' "$work/first"; }
native=$(awk '$1 ~ /^(evaluate|register|promote|pack|smoke)$/ { sub(/s$/, "", $4); t += $4 } END { printf "%.2f", t }' "$work/first")
cached=$(for _ in 1 2 3 4 5; do ms "$BERTH" recipe run -C "$work/iris"; done | median)
grep -q 'cached' "$work/out" && ! grep -Eq ' (ok|failed) ' "$work/out" || { cat "$work/out"; echo "recipe bench: the second run was not all cached" >&2; exit 1; }
start=$(for _ in 1 2 3 4 5; do ms "$BERTH" --version; done | median)
verdict() { awk -v v="$1" -v t="$2" 'BEGIN { print (v <= t ? "met" : "**missed**") }'; }

echo
echo "berth recipe, scaffolded classification recipe, local berth server (SQLite); load average: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| measure | figure | target |"
echo "|---|---|---|"
echo "| first run, wall | $(awk -v m="$first" 'BEGIN { printf "%.2f s", m / 1000 }') | |"
for s in train evaluate register promote pack smoke; do echo "| step $s | $(secs $s) s | |"; done
echo "| native half (evaluate + register + promote + pack + smoke) | $native s | ≤ 15 s: $(verdict "$native" 15) |"
echo "| cached run, nothing changed (median of 5, wall) | $(awk -v m="$cached" 'BEGIN { printf "%.3f s", m / 1000 }') | ≤ 1 s: $(verdict "$cached" 1000) |"
echo "| baseline: \`berth --version\` (median of 5, wall) | $(awk -v m="$start" 'BEGIN { printf "%.3f s", m / 1000 }') | |"
echo "| cached run / baseline | $(awk -v a="$cached" -v b="$start" 'BEGIN { printf "%.1f×", a / (b > 0 ? b : 1) }') | |"
