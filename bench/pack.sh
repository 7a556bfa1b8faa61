#!/usr/bin/env bash
# The pack part of `make bench`: the iris image's size, berth pack --tag
# against crane append + crane mutate of the same files (median of 3 runs,
# to Debian's docker-registry on 127.0.0.1) and the blob bytes a push sends
# when only the model changed. One Markdown table, from bench/cmd/packbench.
# Needs bin/berth (make build), ONNX Runtime (make ort) and docker-registry
# (make tools); installs crane v0.22.1 into a temporary GOBIN when it is not
# on PATH.
set -euo pipefail
cd "$(dirname "$0")/.."
BERTH=${BERTH:-bin/berth}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
crane=$(command -v crane || true)
if [ -z "$crane" ]; then
  GOBIN="$work/bin" go install github.com/google/go-containerregistry/cmd/crane@v0.22.1
  crane="$work/bin/crane"
fi
go run ./bench/cmd/packbench -berth "$BERTH" -crane "$crane" "$@"
