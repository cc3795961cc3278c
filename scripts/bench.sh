#!/usr/bin/env bash
# Runs the benchmarks (bench/) against real rootless Podman, each measured against the raw tool
# in the same run. Usage: npm run bench [-- name...]
#   names: core-lifecycle (default), supervision, sha256-throughput, download, release-install,
#   pipeline, bitcoin-probe, multi-service, log-capture, umbrel-report (needs ARCHY_UMBREL_APPS: a store checkout)
#   backup (1 GiB of app data: archy backup create vs restic by hand; BENCH_ROUNDS_BACKUP, default 3)
# Like the tests, benchmarks run as their own rootless user (ARCHY_TEST_USER, default
# archy-test), so they never touch the images or containers of the node `npm start` runs.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
user="${ARCHY_TEST_USER:-archy-test}"
if [ "$(id -u)" -eq 0 ]; then scripts/host-setup.sh --test; fi
scripts/ensure-deps.sh
npx tsc -p bench
as_bench() { ARCHY_USER="$user" scripts/as-archy.sh "$@"; }

# Only the pipeline bench pushes images: it gets a registry of its own on 127.0.0.1:5000 for the run.
registry_pid=''
state="$(mktemp -d /tmp/archy-bench-state.XXXXXX)"
cleanup() {
  if [ -n "$registry_pid" ]; then kill "$registry_pid" 2>/dev/null || true; fi
  rm -rf "$state" 2>/dev/null || as_bench podman unshare rm -rf "$state"
}
trap cleanup EXIT
if [ "$(id -u)" -eq 0 ]; then chown "$user:" "$state"; fi
if printf '%s\n' "$@" | grep -qx pipeline; then
  printf 'version: 0.1\nlog: { level: warn }\nstorage: { filesystem: { rootdirectory: %s/registry } }\nhttp: { addr: 127.0.0.1:5000 }\n' \
    "$state" >"$state/registry.yml"
  as_bench docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 &
  registry_pid=$!
  for _ in $(seq 50); do curl -fsS -o /dev/null http://127.0.0.1:5000/v2/ && break; sleep 0.1; done
fi

for name in "${@:-core-lifecycle}"; do
  echo "== $name"
  as_bench env BENCH_ROUNDS="${BENCH_ROUNDS:-7}" node "$repo/bench/dist/$name.js"
done
