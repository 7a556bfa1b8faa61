#!/usr/bin/env bash
# Installs bench/node's dependencies (onnxruntime-node, pinned in package.json
# and package-lock.json) into bench/node/node_modules, unless they are there.
#
# --ignore-scripts keeps onnxruntime-node's postinstall from running: it
# downloads CUDA / TensorRT libraries, which the CPU-only benchmark does not
# use. The CPU binding and libonnxruntime.so.1 ship prebuilt in the package
# (bin/napi-v6/linux/x64/) and load without it. `npm ci` installs exactly
# what the lockfile says and never rewrites it.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

die() {
	echo "bench/node/install.sh: $*" >&2
	exit 1
}

installed() {
	[[ -f $here/node_modules/onnxruntime-node/package.json ]] &&
		[[ -f $here/node_modules/.package-lock.json ]] &&
		[[ $here/node_modules/.package-lock.json -nt $here/package-lock.json ]]
}

installed && exit 0

# Two installs at once (two benchmark scripts starting together) would
# clobber each other's node_modules: take turns, and let the second one
# find the first one's work done.
if command -v flock >/dev/null; then
	exec 9>"$here/.install.lock"
	flock 9
	installed && exit 0
fi

command -v node >/dev/null || die "node is not installed (Node.js 18 or later is needed)"
command -v npm >/dev/null || die "npm is not installed (it comes with Node.js; on Debian: apt-get install npm)"

log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd "$here" && npm ci --ignore-scripts --no-audit --no-fund --loglevel=error) >"$log" 2>&1; then
	cat "$log" >&2
	die "npm ci failed"
fi
(cd "$here" && node -e 'require("onnxruntime-node")') >"$log" 2>&1 || {
	cat "$log" >&2
	die "onnxruntime-node was installed but its native binding does not load"
}
