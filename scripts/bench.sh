#!/usr/bin/env bash
# Runs the benchmarks (bench/) against real rootless Podman, each measured against raw Podman
# in the same run. Usage: npm run bench [-- name...]
#   (names: core-lifecycle, supervision, sha256-throughput, pipeline; pipeline needs `npm run build`)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
if [ "$(id -u)" -eq 0 ]; then scripts/host-setup.sh; fi
scripts/ensure-deps.sh
npx tsc -p bench
state="$(mktemp -d /tmp/archy-bench-state.XXXXXX)"
if [ "$(id -u)" -eq 0 ]; then chown "${ARCHY_USER:-archy}:" "$state"; fi
scripts/as-archy.sh scripts/local-registry.sh "$state"
for name in "${@:-core-lifecycle}"; do
  echo "== $name"
  scripts/as-archy.sh env BENCH_ROUNDS="${BENCH_ROUNDS:-7}" node "$repo/bench/dist/$name.js"
done
if [ -f "$state/registry.pid" ]; then kill "$(cat "$state/registry.pid")" 2>/dev/null || true; fi
rm -rf "$state" 2>/dev/null || scripts/as-archy.sh podman unshare rm -rf "$state"
