#!/usr/bin/env bash
# Regenerates the third-party files that the web UI embeds (ui/assets/vendor)
# from the npm registry, or with --check verifies the committed copies. The
# files are committed so that `go build` alone yields a working UI with no
# network; this script is how they were made and how to update them.
#
# uPlot (MIT, https://github.com/leeoniya/uPlot) draws the metric charts. It
# is fetched with `npm pack` (which runs no package scripts) and both the
# tarball and the extracted files are checked against pinned sha256 sums.
# To update: bump version, run with --print-sums, review, pin the new sums.
set -euo pipefail

version=1.6.32
tarball_sha256=4b8a8191e425658e3ea8c8c1314b0fc679c861ee3a1af2b20c7b16ba50b5133d
js_sha256=19c8d4c6ad88929a79f4ae49d6f7161566dfd0ba3d15cc495e974f787eb78f1f
css_sha256=df630c6a8d6f8eeaff264b50f73ce5b114f646ffd9a0bb74f049b0a00135fa04

root=$(cd "$(dirname "$0")/.." && pwd)
dest=$root/ui/assets/vendor
mode=${1:-write}

die() {
	echo "fetch-ui-deps: $*" >&2
	exit 1
}

sha_ok() { # sha_ok SUM FILE
	[[ -f $2 ]] && echo "$1  $2" | sha256sum --check --status
}

case $mode in
write | --print-sums) ;;
--check)
	sha_ok "$js_sha256" "$dest/uPlot.iife.min.js" || die "$dest/uPlot.iife.min.js: missing or sha256 mismatch, want $js_sha256"
	sha_ok "$css_sha256" "$dest/uPlot.min.css" || die "$dest/uPlot.min.css: missing or sha256 mismatch, want $css_sha256"
	grep -q "^uplot $version " "$dest/VERSIONS" || die "$dest/VERSIONS does not record uplot $version"
	echo "ui/assets/vendor: uplot $version ok"
	exit 0
	;;
*) die "usage: $0 [--check | --print-sums]" ;;
esac

command -v npm >/dev/null || die "npm is needed to fetch uplot@$version"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

if ! (cd "$tmp" && npm pack --silent --ignore-scripts "uplot@$version") >"$tmp/npm.log" 2>&1; then
	cat "$tmp/npm.log" >&2
	die "npm pack uplot@$version failed"
fi
tarball=$tmp/uplot-$version.tgz
tar -xzf "$tarball" -C "$tmp" package/dist/uPlot.iife.min.js package/dist/uPlot.min.css package/LICENSE ||
	die "extracting uplot-$version.tgz failed"
if [[ $mode == --print-sums ]]; then
	sha256sum "$tarball" "$tmp/package/dist/uPlot.iife.min.js" "$tmp/package/dist/uPlot.min.css"
	exit 0
fi
sha_ok "$tarball_sha256" "$tarball" || die "uplot-$version.tgz: sha256 mismatch, want $tarball_sha256"
sha_ok "$js_sha256" "$tmp/package/dist/uPlot.iife.min.js" || die "uPlot.iife.min.js: sha256 mismatch, want $js_sha256"
sha_ok "$css_sha256" "$tmp/package/dist/uPlot.min.css" || die "uPlot.min.css: sha256 mismatch, want $css_sha256"

mkdir -p "$dest"
install -m 0644 "$tmp/package/dist/uPlot.iife.min.js" "$dest/uPlot.iife.min.js"
install -m 0644 "$tmp/package/dist/uPlot.min.css" "$dest/uPlot.min.css"
install -m 0644 "$tmp/package/LICENSE" "$dest/LICENSE.uPlot"
cat >"$dest/VERSIONS" <<END
# Made by scripts/fetch-ui-deps.sh; do not edit. name version source sha256-of-tarball
uplot $version https://registry.npmjs.org/uplot/-/uplot-$version.tgz $tarball_sha256
END
echo "ui/assets/vendor: uplot $version written"
