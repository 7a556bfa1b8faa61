#!/usr/bin/env bash
# install-tools.sh: installs the Debian packages berth's tests run against,
# when they are missing: promtool (prometheus), PostgreSQL, docker-registry,
# podman and runc, skopeo, chromium (the drift page's browser test), wrk (for `make bench`) and npm (for
# `make ort`). Quiet; runs apt-get update once,
# only when something is missing. Needs root (as on CI and these machines).
set -euo pipefail
need=()
command -v promtool >/dev/null || need+=(prometheus)
command -v npm >/dev/null || need+=(npm)
command -v docker-registry >/dev/null || need+=(docker-registry)
command -v podman >/dev/null || need+=(podman)
command -v runc >/dev/null || need+=(runc)
command -v wrk >/dev/null || need+=(wrk)
command -v skopeo >/dev/null || need+=(skopeo)
command -v chromium >/dev/null || need+=(chromium)
command -v haproxy >/dev/null || need+=(haproxy)                          # the load balancer in front of berth server replicas (internal/replicatest)
[ -x /bin/busybox ] || need+=(busybox-static) # berth pack --modelcar's shell
ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 || need+=(postgresql)
command -v python3 >/dev/null || need+=(python3)                          # berth run's recorded projects (project/)
[ -x /usr/lib/git-core/git-http-backend ] || need+=(git)                  # berth run's git projects over HTTP (project/)
/usr/bin/python3 -c 'import sklearn' 2>/dev/null || need+=(python3-sklearn) # berth recipe init's train step (recipe/, cmd/berth)
/usr/bin/python3 -c 'import onnx' 2>/dev/null || need+=(python3-onnx)       # berth recipe init's train step: ONNX export with onnx.helper
[ ${#need[@]} -eq 0 ] && exit 0
if [ "$(id -u)" -ne 0 ]; then
  echo "install-tools: missing ${need[*]}: run as root, or apt-get install them" >&2
  exit 1
fi
echo "install-tools: installing ${need[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
