#!/usr/bin/env bash
# Builds SeaweedFS's `weed` binary, the S3-compatible server that berth's
# object-storage tests (internal/s3test) run against, and prints its path.
# `go install .../weed@VERSION` is refused (SeaweedFS's go.mod has replace
# lines), so the module is downloaded through the Go module proxy, copied to a
# writable temp dir and built there. The build takes minutes: the binary is
# cached by version and nothing is done when it is already in place.
#
# Destination: $BERTH_SEAWEEDFS_DIR/weed, by default
# <user cache dir>/berth/seaweedfs-<version>/weed, with the cache dir found as
# Go's os.UserCacheDir does ($XDG_CACHE_HOME, else $HOME/.cache), which is
# where internal/s3test looks. Elsewhere, point the tests at it with
# BERTH_WEED_BIN.
set -euo pipefail

version=v0.0.0-20261109003541-7506e5f91cd6 # keep equal to s3test.SeaweedFSVersion
module=github.com/seaweedfs/seaweedfs

die() {
	echo "fetch-seaweedfs: $*" >&2
	exit 1
}

if [[ -z ${BERTH_SEAWEEDFS_DIR:-} ]]; then
	cache=${XDG_CACHE_HOME:-}
	if [[ -z $cache ]]; then
		[[ -n ${HOME:-} ]] || die "neither XDG_CACHE_HOME nor HOME is set"
		cache=$HOME/.cache
	fi
	[[ $cache == /* ]] || die "XDG_CACHE_HOME must be an absolute path, got $cache"
	BERTH_SEAWEEDFS_DIR=$cache/berth/seaweedfs-$version
fi
bin=$BERTH_SEAWEEDFS_DIR/weed

if [[ -x $bin ]] && "$bin" version >/dev/null 2>&1; then
	echo "$bin"
	exit 0
fi

command -v go >/dev/null || die "go is needed to build $module@$version"
tmp=$(mktemp -d)
trap 'chmod -R u+w "$tmp" 2>/dev/null; rm -rf "$tmp"' EXIT

# GOFLAGS=-mod=mod: the module's vendor state must not matter; a fresh
# GOWORK=off keeps any go.work around the caller out of it.
export GOWORK=off GOFLAGS=-mod=mod
dir=$(cd "$tmp" && go mod download -json "$module@$version" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
[[ -n $dir && -d $dir ]] || die "go mod download $module@$version gave no directory"
cp -r "$dir" "$tmp/src"
chmod -R u+w "$tmp/src"
echo "fetch-seaweedfs: building $module@$version (several minutes)" >&2
(cd "$tmp/src" && CGO_ENABLED=0 nice -n 10 go build -trimpath -o "$tmp/weed" ./weed) ||
	die "building $module@$version failed"
"$tmp/weed" version >/dev/null || die "the built weed binary does not run"

mkdir -p "$BERTH_SEAWEEDFS_DIR"
install -m 0755 "$tmp/weed" "$bin.part.$$"
mv -f "$bin.part.$$" "$bin"
echo "$bin"
