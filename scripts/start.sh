#!/usr/bin/env bash
# From a fresh Debian machine with Node and npm to a running Archipelago: sets up rootless
# Podman (when run as root), installs and builds, and runs the daemon in the foreground on an
# embedded default: data in ./.archy/data, the bundled apps in ./apps, the API on 127.0.0.1:5959.
# No registry and no development switches: the demo app's image is built by the node itself and
# Bitcoin Core/Knots from their verified official releases, with image verification on.
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
user="${ARCHY_USER:-archy}"

if [ "$(id -u)" -eq 0 ]; then
  scripts/host-setup.sh
  # The daemon runs as $user and reads this checkout (the bundle, apps/, catalog/, ui/dist).
  # Debian makes home folders 0700: a checkout under one is invisible to it.
  if ! setpriv --reuid="$user" --regid="$(id -gn "$user")" --clear-groups test -r "$repo/package.json"; then
    echo "the user '$user' the daemon runs as cannot read this checkout ($repo): a folder above it is" \
      "closed to other users (e.g. a 0700 home). Move the checkout (e.g. to /srv/archipelago) or" \
      "open the folders on the way (chmod o+x <folder>), then run npm start again." >&2
    exit 1
  fi
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

# `archy` on the PATH: /usr/local/bin/archy runs this checkout's CLI against this node's data dir
# (its .cookie is the API token, its run/daemon.json the address), so `archy list` works from any
# terminal. Never replaces an `archy` that this script did not write.
if [ "$(id -u)" -eq 0 ]; then
  wrapper=/usr/local/bin/archy
  if [ ! -e "$wrapper" ] || grep -q "^# Written by Archipelago's scripts/start.sh" "$wrapper"; then
    quote() { printf "'%s'" "$(printf '%s' "$1" | sed "s/'/'\\\\''/g")"; }
    tmp="$(mktemp)"
    cat >"$tmp" <<WRAPPER
#!/bin/sh
# Written by Archipelago's scripts/start.sh: the archy CLI of the checkout in $repo.
[ -n "\${ARCHY_DATA_DIR:-}" ] || ARCHY_DATA_DIR=$(quote "$data")
export ARCHY_DATA_DIR
exec node $(quote "$repo/core/bin/archy.mjs") "\$@"
WRAPPER
    install -m 0755 "$tmp" "$wrapper"
    rm -f "$tmp"
    echo "[start] installed $wrapper: try 'archy list' in another terminal"
  else
    echo "[start] $wrapper is not ours, leaving it; this checkout's CLI is $repo/node_modules/.bin/archy" >&2
  fi
fi

listen="${ARCHY_LISTEN:-127.0.0.1:5959}"
echo "[start] Archipelago at http://$listen — data in $data"
echo "[start] try, in another terminal: archy install hello"
# V8 sizes itself for throughput; a long-lived daemon that mostly waits wants memory instead:
# core/daemon-node-flags (a 1 MiB young generation, optimise for size, one GC/compile helper
# thread, WebAssembly (undici's HTTP parser) on the baseline compiler only, no eager compilation,
# no Sparkplug tier) keeps idle RSS ~30 MB lower. They only work as launch flags; the tests and
# the bench launch the daemon with the same file.
# shellcheck disable=SC2046 # one flag per word, on purpose
exec scripts/as-archy.sh node $(cat core/daemon-node-flags) core/dist/bundle/archy.mjs daemon --data-dir "$data" --listen "$listen"
