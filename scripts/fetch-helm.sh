#!/usr/bin/env bash
# fetch-helm.sh: builds the helm CLI (helm.sh/helm/v4, pinned v4.3.2) from
# the Go module proxy, once, and prints the binary's path. The build runs in
# a throwaway module (GOFLAGS=-mod=mod) so berth's go.mod does not carry
# helm's dependencies; `go mod download` checks every module against
# go.sum's checksum database entries as usual.
#
# Destination: $BERTH_HELM_DIR, by default
# <user cache dir>/berth/helm-<version>/helm ($XDG_CACHE_HOME, else
# $HOME/.cache), where deploy's chart tests look. Nothing is done when the
# binary there already reports the pinned version.
set -euo pipefail

version=v4.3.2 # keep equal to deploy.HelmVersion (deploy/helm_test.go)

die() {
	echo "fetch-helm: $*" >&2
	exit 1
}

if [[ -z ${BERTH_HELM_DIR:-} ]]; then
	cache=${XDG_CACHE_HOME:-}
	if [[ -z $cache ]]; then
		[[ -n ${HOME:-} ]] || die "neither XDG_CACHE_HOME nor HOME is set"
		cache=$HOME/.cache
	fi
	[[ $cache == /* ]] || die "XDG_CACHE_HOME must be an absolute path, got $cache"
	BERTH_HELM_DIR=$cache/berth/helm-$version
fi
bin=$BERTH_HELM_DIR/helm

if [[ -x $bin ]] && "$bin" version --template '{{.Version}}' 2>/dev/null | grep -qx "$version"; then
	echo "$bin"
	exit 0
fi

command -v go >/dev/null || die "go is not on PATH"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$BERTH_HELM_DIR"
(
	cd "$work"
	go mod init berth.local/fetchhelm >/dev/null 2>&1
	echo "fetch-helm: building helm $version (a few minutes, once)" >&2
	GOFLAGS=-mod=mod go get "helm.sh/helm/v4@$version" >/dev/null 2>&1 || die "go get helm.sh/helm/v4@$version failed"
	GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath \
		-ldflags "-s -w -X helm.sh/helm/v4/internal/version.version=$version" \
		-o "$bin.tmp" helm.sh/helm/v4/cmd/helm
) || die "build failed"
mv "$bin.tmp" "$bin"
"$bin" version --template '{{.Version}}' | grep -qx "$version" || die "$bin does not report $version"
echo "$bin"
