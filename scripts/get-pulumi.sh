#!/usr/bin/env bash
# Finds or builds the Pulumi CLI and its Node.js language host for the end-to-end tests, and prints, on
# its LAST stdout line, the absolute path of a directory that contains both `pulumi` and
# `pulumi-language-nodejs` (what `pulumi up` of a `runtime: nodejs` project starts). Progress goes to stderr.
#
# Order: 1) `pulumi` on PATH at version >= MIN_VERSION with `pulumi-language-nodejs` next to it (as every
# official install has it); 2) a cached build at
# ${PULUMI_ONTAP_CACHE:-$HOME/.cache/pulumi-ontap-keymanager}/pulumi-v<version>/; 3) a build into that cache:
# the CLI from the Go module proxy, the language host from its source in ../shared/pulumi-language-nodejs.
#
# Why build from source: the CLI is not installable from npm or Debian, and get.pulumi.com / GitHub
# releases may be unreachable, while the Go module proxy serves github.com/pulumi/pulumi/{pkg,sdk}/v3.
# The proxy refuses the language host's own module path, so its source (pulumi/pulumi at the same tag,
# unmodified .go files) sits in the shared directory beside the clone; it builds against the modules the
# CLI build already fetched.
#
# Usage: dir="$(scripts/get-pulumi.sh | tail -n 1)"; PATH="$dir:$PATH" pulumi up
# Env: PULUMI_VERSION (default below), PULUMI_ONTAP_CACHE, PULUMI_BUILD_JOBS (go build -p, default 2),
#      PULUMI_LOCK_TIMEOUT (seconds to wait for another caller's build, default 3600),
#      PULUMI_LANGUAGE_NODEJS_SRC (the language host's source; default ../shared/pulumi-language-nodejs
#      from the repository root, else ../../shared/... for a worktree one level down).
set -euo pipefail

# Keep in step with @pulumi/pulumi in package.json: the CLI and the SDK speak the same engine protocol.
PULUMI_VERSION="${PULUMI_VERSION:-3.248.0}"
PULUMI_VERSION="${PULUMI_VERSION#v}"
# 3.216 is the first engine that accepts `inputs` returned by a dynamic provider's read.
MIN_VERSION="3.216.0"

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
# shared/ sits beside the clone (CI), or beside the directory that holds a git worktree of it.
host_src="${PULUMI_LANGUAGE_NODEJS_SRC:-}"
if [[ -z "$host_src" ]]; then
	host_src="$repo_root/../shared/pulumi-language-nodejs"
	if [[ ! -f "$host_src/go.mod" && -f "$repo_root/../../shared/pulumi-language-nodejs/go.mod" ]]; then
		host_src="$repo_root/../../shared/pulumi-language-nodejs"
	fi
fi
host_name=pulumi-language-nodejs

log() { printf 'get-pulumi: %s\n' "$*" >&2; }
die() {
	log "$*"
	exit 1
}

# version_ge A B: true when version A >= version B (pre-release and build suffixes ignored).
version_ge() {
	local a="${1#v}" b="${2#v}"
	a="${a%%[-+]*}"
	b="${b%%[-+]*}"
	[[ "$(printf '%s\n%s\n' "$b" "$a" | sort -V | head -n 1)" == "$b" ]]
}

# cli_version BIN: prints the version BIN reports (e.g. v3.248.0), empty when it does not run.
cli_version() {
	PULUMI_SKIP_UPDATE_CHECK=true "$1" version 2>/dev/null | tail -n 1 | tr -d '[:space:]' || true
}

case "$PULUMI_VERSION" in
[0-9]*.[0-9]*.[0-9]*) ;;
*) die "PULUMI_VERSION must look like 3.248.0, got '$PULUMI_VERSION'" ;;
esac
version_ge "$PULUMI_VERSION" "$MIN_VERSION" ||
	die "PULUMI_VERSION=$PULUMI_VERSION is older than the minimum $MIN_VERSION"

install_hint="  Install the Pulumi CLI (https://www.pulumi.com/docs/install/, e.g. curl -fsSL https://get.pulumi.com | sh):
  it ships pulumi-language-nodejs next to pulumi. Then put its directory (~/.pulumi/bin) first on PATH."

# 1) An installed CLI, with its language host beside it.
if on_path="$(command -v pulumi 2>/dev/null)"; then
	on_path="$(readlink -f "$on_path")"
	found="$(cli_version "$on_path")"
	if [[ -n "$found" ]] && version_ge "$found" "$MIN_VERSION" && [[ -x "$(dirname "$on_path")/$host_name" ]]; then
		log "using pulumi $found and its $host_name from PATH ($(dirname "$on_path"))"
		cd "$(dirname "$on_path")" && pwd -P
		exit 0
	fi
	if [[ -n "$found" ]] && version_ge "$found" "$MIN_VERSION"; then
		log "ignoring pulumi on PATH ($on_path): no $host_name next to it"
	else
		log "ignoring pulumi on PATH ($on_path, version '${found:-unknown}'): need >= $MIN_VERSION"
	fi
fi

# 2) A cached build, outside the clone so that every clone and CI run on this machine shares it.
cache_root="${PULUMI_ONTAP_CACHE:-$HOME/.cache/pulumi-ontap-keymanager}"
mkdir -p "$cache_root"
cache_root="$(cd "$cache_root" && pwd -P)"
out_dir="$cache_root/pulumi-v$PULUMI_VERSION"
out_bin="$out_dir/pulumi"
out_host="$out_dir/$host_name"

cli_ok() {
	[[ -x "$out_bin" ]] && [[ "$(cli_version "$out_bin")" == "v$PULUMI_VERSION" ]]
}
host_ok() {
	[[ -x "$out_host" ]] && [[ "$("$out_host" -version 2>/dev/null | tr -d '[:space:]')" == "v$PULUMI_VERSION" ]]
}
cached_ok() { cli_ok && host_ok; }

# The official CLI ships the dynamic provider's launcher, pulumi-resource-pulumi-nodejs, next to the
# binary; @pulumi/pulumi carries the same script. Putting a copy here lets the engine find it as a
# bundled plugin: no need for node_modules/@pulumi/pulumi on PATH, and no "using ... from $PATH"
# warning. The launcher resolves @pulumi/pulumi from its working directory, so one copy serves all
# clones and SDK versions.
bundle_launcher() {
	local name=pulumi-resource-pulumi-nodejs
	local src="$repo_root/node_modules/@pulumi/pulumi/$name"
	if [[ -x "$out_dir/$name" ]]; then
		return 0
	fi
	if [[ ! -f "$src" ]]; then
		log "note: $src not found (run npm ci); put node_modules/@pulumi/pulumi on PATH instead"
		return 0
	fi
	cp "$src" "$out_dir/.$name.tmp.$$"
	chmod 755 "$out_dir/.$name.tmp.$$"
	mv -f "$out_dir/.$name.tmp.$$" "$out_dir/$name"
}

finish() {
	bundle_launcher
	printf '%s\n' "$out_dir"
	exit 0
}

if cached_ok; then
	log "using cached pulumi v$PULUMI_VERSION"
	finish
fi

# 3) Build what is missing.
go_bin="$(command -v go 2>/dev/null || true)"
if [[ -z "$go_bin" && -x /usr/local/go/bin/go ]]; then
	go_bin=/usr/local/go/bin/go
fi
if [[ -z "$go_bin" ]]; then
	die "no 'pulumi' (>= $MIN_VERSION) with $host_name on PATH, and no Go toolchain to build them.
$install_hint
  Or install Go >= 1.25 (https://go.dev/doc/install) so this script can build pulumi v$PULUMI_VERSION."
fi

# The language host must come from the same release as the CLI: check the source before a long CLI build.
if ! host_ok; then
	if [[ ! -f "$host_src/go.mod" ]]; then
		die "no $host_name: its source is not at $host_src (the Go module proxy does not serve it).
$install_hint
  Or put the pulumi-language-nodejs source of v$PULUMI_VERSION there (or set PULUMI_LANGUAGE_NODEJS_SRC)."
	fi
	grep -q "github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION\$" "$host_src/go.mod" ||
		die "$host_src/go.mod does not require github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION: the language host
  must match the CLI (PULUMI_VERSION=$PULUMI_VERSION)."
fi

mkdir -p "$out_dir"
# One build at a time per version: a second caller waits, then finds the first one's binaries.
if command -v flock >/dev/null 2>&1; then
	exec 9>"$out_dir/.lock"
	if ! flock -n 9; then
		log "another process holds $out_dir/.lock: waiting for its build (at most ${PULUMI_LOCK_TIMEOUT:-3600}s)"
		flock -w "${PULUMI_LOCK_TIMEOUT:-3600}" 9 || die "timed out waiting for $out_dir/.lock"
	fi
	if cached_ok; then
		log "another process built pulumi v$PULUMI_VERSION and $host_name"
		finish
	fi
else
	log "flock not found: building without a lock (the final renames are still atomic)"
fi

work_dir="$(mktemp -d "${TMPDIR:-/tmp}/pulumi-build.XXXXXX")"
tmp_bin="$out_dir/.pulumi.tmp.$$"
tmp_host="$out_dir/.$host_name.tmp.$$"
# shellcheck disable=SC2317 # called by the EXIT trap
cleanup() { rm -rf "$work_dir" "$tmp_bin" "$tmp_host"; }
trap cleanup EXIT
trap 'exit 130' INT TERM

export GOFLAGS="${GOFLAGS:+$GOFLAGS }-mod=mod"
# Static binaries: no C compiler needed, and they run wherever the cache directory is shared.
export CGO_ENABLED=0
ldflags="-X github.com/pulumi/pulumi/sdk/v3/go/common/version.Version=v$PULUMI_VERSION"

if ! cli_ok; then
	# pkg/v3's own go.mod replaces sdk/v3 with ../sdk, so `go install pkg/v3/cmd/pulumi@v…` is refused;
	# a throwaway main module that requires both at the same version builds the same code. Replace
	# directives of dependencies are ignored, so pkg/v3's clipboard fork is repeated here.
	mkdir -p "$work_dir/cli"
	cat >"$work_dir/cli/go.mod" <<EOF
module pulumi-cli-build

go 1.25

tool github.com/pulumi/pulumi/pkg/v3/cmd/pulumi

require (
	github.com/pulumi/pulumi/pkg/v3 v$PULUMI_VERSION
	github.com/pulumi/pulumi/sdk/v3 v$PULUMI_VERSION
)

replace github.com/atotto/clipboard => github.com/tgummerer/clipboard v0.0.0-20241001131231-d02d263e614e
EOF
	start=$SECONDS
	log "building pulumi v$PULUMI_VERSION with $("$go_bin" version) in $work_dir/cli (several minutes on 2 cores)"
	(cd "$work_dir/cli" && "$go_bin" mod tidy) >&2 ||
		die "go mod tidy failed (see above): it needs Go >= 1.25 and the Go module proxy ($("$go_bin" env GOPROXY))"
	(cd "$work_dir/cli" && nice -n 10 "$go_bin" build -p "${PULUMI_BUILD_JOBS:-2}" -o "$tmp_bin" -ldflags "$ldflags" \
		github.com/pulumi/pulumi/pkg/v3/cmd/pulumi) >&2 || die "go build of pulumi v$PULUMI_VERSION failed"
	built="$(cli_version "$tmp_bin")"
	[[ "$built" == "v$PULUMI_VERSION" ]] || die "the built binary reports version '$built', expected v$PULUMI_VERSION"
	mv -f "$tmp_bin" "$out_bin"
	log "built $out_bin ($built) in $((SECONDS - start))s"
fi

if ! host_ok; then
	# A writable copy: the shared directory may be read-only, and -mod=mod may touch go.sum.
	cp -R "$host_src" "$work_dir/host"
	chmod -R u+w "$work_dir/host"
	start=$SECONDS
	log "building $host_name v$PULUMI_VERSION from $host_src (about a minute once the CLI's modules are cached)"
	(cd "$work_dir/host" && nice -n 10 "$go_bin" build -p "${PULUMI_BUILD_JOBS:-2}" -trimpath -o "$tmp_host" \
		-ldflags "$ldflags" .) >&2 || die "go build of $host_name from $host_src failed (see above)"
	built="$("$tmp_host" -version | tr -d '[:space:]')"
	[[ "$built" == "v$PULUMI_VERSION" ]] || die "the built $host_name reports version '$built', expected v$PULUMI_VERSION"
	mv -f "$tmp_host" "$out_host"
	log "built $out_host in $((SECONDS - start))s"
fi
finish
