#!/usr/bin/env bash
# fetch-llama.sh: installs llama.cpp as the npm package node-llama-cpp
# (pinned 3.21.1, with its prebuilt Linux x64 libraries from
# @node-llama-cpp/linux-x64) for the OpenAI-compatible test engine
# testdata/llm/server.mjs, and prints the directory to pass as its
# --modules. The install is `npm ci` from the committed
# testdata/llm/package-lock.json (integrity-checked), with --ignore-scripts
# (node-llama-cpp's postinstall would try to download or build llama.cpp)
# and --omit=optional (the CUDA and Vulkan builds); the Linux x64 package is
# a direct dependency, so it is installed. Nothing is fetched at run time:
# server.mjs loads the prebuilt library with build: "never".
#
# Destination: $BERTH_LLAMA_DIR, by default
# <user cache dir>/berth/node-llama-cpp-<version> ($XDG_CACHE_HOME, else
# $HOME/.cache), where internal/llmtest looks. Nothing is done when the
# install there matches the lockfile.
set -euo pipefail

version=3.21.1 # keep equal to testdata/llm/package.json and llmtest.LlamaVersion
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
src=$root/testdata/llm

die() {
	echo "fetch-llama: $*" >&2
	exit 1
}

if [[ -z ${BERTH_LLAMA_DIR:-} ]]; then
	cache=${XDG_CACHE_HOME:-}
	if [[ -z $cache ]]; then
		[[ -n ${HOME:-} ]] || die "neither XDG_CACHE_HOME nor HOME is set"
		cache=$HOME/.cache
	fi
	[[ $cache == /* ]] || die "XDG_CACHE_HOME must be an absolute path, got $cache"
	BERTH_LLAMA_DIR=$cache/berth/node-llama-cpp-$version
fi

lock_sum=$(sha256sum "$src/package-lock.json" | cut -d' ' -f1)
addon=node_modules/@node-llama-cpp/linux-x64/bins/linux-x64/llama-addon.node
if [[ -f $BERTH_LLAMA_DIR/.lock-sha256 && $(cat "$BERTH_LLAMA_DIR/.lock-sha256") == "$lock_sum" && -f $BERTH_LLAMA_DIR/$addon ]]; then
	echo "$BERTH_LLAMA_DIR"
	exit 0
fi

command -v node >/dev/null || die "node is needed (Debian: apt-get install nodejs npm)"
command -v npm >/dev/null || die "npm is needed to install node-llama-cpp@$version"
major=$(node -p 'process.versions.node.split(".")[0]')
((major >= 20)) || die "node-llama-cpp@$version needs Node.js 20 or later, found $(node --version)"

mkdir -p "$(dirname "$BERTH_LLAMA_DIR")"
tmp=$(mktemp -d "$BERTH_LLAMA_DIR.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
cp "$src/package.json" "$src/package-lock.json" "$tmp/"
if ! (cd "$tmp" && npm ci --ignore-scripts --omit=optional --no-audit --no-fund --loglevel=error) >"$tmp/npm.log" 2>&1; then
	cat "$tmp/npm.log" >&2
	die "npm ci node-llama-cpp@$version failed"
fi
[[ -f $tmp/$addon ]] || die "$addon missing after npm ci"
got=$(node -p "require('$tmp/node_modules/node-llama-cpp/package.json').version")
[[ $got == "$version" ]] || die "installed node-llama-cpp $got, want $version"
rm -f "$tmp/npm.log"
echo "$lock_sum" >"$tmp/.lock-sha256"
rm -rf "$BERTH_LLAMA_DIR"
mv "$tmp" "$BERTH_LLAMA_DIR"
trap - EXIT
echo "$BERTH_LLAMA_DIR"
