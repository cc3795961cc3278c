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
echo "[start] try: ARCHY_DATA_DIR=$data node core/dist/cli/main.js install hello"
export ARCHY_INSECURE_REGISTRIES="${ARCHY_INSECURE_REGISTRIES:-127.0.0.1:5000}"
# The bundled demo images are built on this machine and not signed yet: dev mode, logged loudly.
export ARCHY_ALLOW_UNSIGNED="${ARCHY_ALLOW_UNSIGNED:-1}"
# A 1 MiB young generation keeps the long-lived daemon's idle memory ~10 MB lower (V8 sizes it
# for throughput by default); it only works as a launch flag.
exec scripts/as-archy.sh node --max-semi-space-size=1 core/dist/cli/main.js daemon --data-dir "$data" --listen "$listen"
