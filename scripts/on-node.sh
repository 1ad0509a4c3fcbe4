#!/usr/bin/env bash
# Runs a command under a Node this package supports (22 or later): the `node` on PATH when it is one, else Node
# 24 from scripts/get-node.sh (the npm registry's build, cached), put first on PATH for the command and all it
# starts. Why: the README's commands must work on a fresh machine whose own Node may be older (Node 20 machines
# are common in CI images), and a user's or developer's own current Node must be used as is.
#
# Usage (from package.json scripts): bash scripts/on-node.sh jest ...
set -euo pipefail
MIN_MAJOR=22
DEFAULT_MAJOR=24

current="$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)"
if ((current < MIN_MAJOR)); then
	dir="$(bash "$(dirname "${BASH_SOURCE[0]}")/get-node.sh" "$DEFAULT_MAJOR" | tail -n 1)"
	printf 'on-node: node %s is older than %s; running under %s\n' "$(node --version 2>/dev/null || echo none)" \
		"$MIN_MAJOR" "$("$dir/node" --version)" >&2
	export PATH="$dir:$PATH"
fi
exec "$@"
