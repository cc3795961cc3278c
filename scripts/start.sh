#!/usr/bin/env bash
# From a fresh Debian machine with Node and npm to a running Archipelago: sets up rootless
# Podman (when run as root), installs and builds, serves the bundled apps' images locally,
# and runs the daemon in the foreground on an embedded default: data in ./.archy/data, the
# bundled apps in ./apps, the API on 127.0.0.1:5959.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
user="${ARCHY_USER:-archy}"

if [ "$(id -u)" -eq 0 ]; then
  scripts/host-setup.sh
elif ! podman info --format '{{.Host.Security.Rootless}}' 2>/dev/null | grep -q true; then
  echo "rootless Podman is not set up for $(id -un); run 'sudo npm start' once (it runs scripts/host-setup.sh)" >&2
  exit 1
fi
scripts/ensure-deps.sh

state="$repo/.archy"
data="${ARCHY_DATA_DIR:-$state/data}"
mkdir -p "$state" "$data"
# The daemon runs as the rootless user, which must own its state (Podman's :U needs the group too).
if [ "$(id -u)" -eq 0 ]; then chown -R "$user:$(id -gn "$user")" "$state" "$data"; fi

scripts/as-archy.sh scripts/local-registry.sh "$state"

listen="${ARCHY_LISTEN:-127.0.0.1:5959}"
echo "[start] Archipelago at http://$listen — data in $data"
echo "[start] try: ARCHY_DATA_DIR=$data node core/dist/bundle/archy.mjs install hello"
export ARCHY_INSECURE_REGISTRIES="${ARCHY_INSECURE_REGISTRIES:-127.0.0.1:5000}"
# The bundled demo images are built on this machine and not signed yet: dev mode, logged loudly.
export ARCHY_ALLOW_UNSIGNED="${ARCHY_ALLOW_UNSIGNED:-1}"
# V8 sizes itself for throughput; a long-lived daemon that mostly waits wants memory instead:
# core/daemon-node-flags (a 1 MiB young generation, optimise for size, one GC/compile helper
# thread, WebAssembly (undici's HTTP parser) on the baseline compiler only, no eager compilation,
# no Sparkplug tier) keeps idle RSS ~30 MB lower. They only work as launch flags; the tests and
# the bench launch the daemon with the same file.
# shellcheck disable=SC2046 # one flag per word, on purpose
exec scripts/as-archy.sh node $(cat core/daemon-node-flags) core/dist/bundle/archy.mjs daemon --data-dir "$data" --listen "$listen"
