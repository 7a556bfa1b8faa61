#!/usr/bin/env bash
# Installs the ONNX Runtime CPU library that berth's onnx flavor loads, and
# prints its path. It comes from the npm package onnxruntime-node, fetched
# with `npm pack` (which runs no package scripts; `npm install` would, and
# its postinstall downloads CUDA libraries). Both the tarball and the
# library are checked against pinned sha256 sums. Nothing is done when the
# library is already in place.
#
# Destination: $BERTH_ORT_DIR/libonnxruntime.so.1, by default
# <user cache dir>/berth/onnxruntime-<version>/libonnxruntime.so.1 with the
# cache dir found as Go's os.UserCacheDir does ($XDG_CACHE_HOME, else
# $HOME/.cache), which is where onnx.DefaultLibraryPath looks. Elsewhere,
# point berth at it with --ort-lib or BERTH_ORT_LIB.
set -euo pipefail

version=1.30.0 # keep equal to onnx.LibraryVersion
tarball_sha256=6e3390d6b783e7be946fad629292799da28d0b42f84856e50d2c1b0383291e75
lib_sha256=ffb75a925ba05e47b235bb66e3e3911714a80b328a9c9425539feb204aa32a23
member=package/bin/napi-v6/linux/x64/libonnxruntime.so.1

die() {
	echo "fetch-ort: $*" >&2
	exit 1
}

if [[ -z ${BERTH_ORT_DIR:-} ]]; then
	cache=${XDG_CACHE_HOME:-}
	if [[ -z $cache ]]; then
		[[ -n ${HOME:-} ]] || die "neither XDG_CACHE_HOME nor HOME is set"
		cache=$HOME/.cache
	fi
	[[ $cache == /* ]] || die "XDG_CACHE_HOME must be an absolute path, got $cache"
	BERTH_ORT_DIR=$cache/berth/onnxruntime-$version
fi
lib=$BERTH_ORT_DIR/libonnxruntime.so.1

sha_ok() { # sha_ok SUM FILE
	[[ -f $2 ]] && echo "$1  $2" | sha256sum --check --status
}

if sha_ok "$lib_sha256" "$lib"; then
	echo "$lib"
	exit 0
fi

command -v npm >/dev/null || die "npm is needed to fetch onnxruntime-node@$version"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! (cd "$tmp" && npm pack --silent --ignore-scripts "onnxruntime-node@$version") >"$tmp/npm.log" 2>&1; then
	cat "$tmp/npm.log" >&2
	die "npm pack onnxruntime-node@$version failed"
fi
tarball=$tmp/onnxruntime-node-$version.tgz
sha_ok "$tarball_sha256" "$tarball" || die "onnxruntime-node-$version.tgz: sha256 mismatch, want $tarball_sha256"
tar -xzf "$tarball" -C "$tmp" "$member" || die "extracting $member failed"
sha_ok "$lib_sha256" "$tmp/$member" || die "$member: sha256 mismatch, want $lib_sha256"

mkdir -p "$BERTH_ORT_DIR"
install -m 0644 "$tmp/$member" "$lib.part.$$"
mv -f "$lib.part.$$" "$lib"
echo "$lib"
