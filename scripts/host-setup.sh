#!/usr/bin/env bash
# Prepares a Debian host to run Archipelago's rootless Podman apps. Idempotent: every step
# checks before it changes, so running it again is harmless. Must run as root; the daemon
# itself never does.
#
# Usage: scripts/host-setup.sh [--test]
#   --test   also install what the test suite needs (registry, Chromium, AppArmor tools, Tor)
# Env:    ARCHY_USER (default: archy) — the unprivileged user that owns Podman and the data.
set -euo pipefail

ARCHY_USER="${ARCHY_USER:-archy}"
WITH_TEST=0
[ "${1:-}" = "--test" ] && WITH_TEST=1

log() { printf '[host-setup] %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ]; then
  echo "host-setup must run as root (it installs packages and creates the '$ARCHY_USER' user); re-run with sudo" >&2
  exit 1
fi

# --- packages --------------------------------------------------------------------------------
packages=(podman runc uidmap slirp4netns fuse-overlayfs netavark aardvark-dns busybox-static catatonit)
# gcc + libc6-dev: the tests compile their bitcoind test double statically (core/test/support/bitcoind-double).
[ "$WITH_TEST" -eq 1 ] && packages+=(docker-registry chromium apparmor tor gcc libc6-dev)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts docker-registry as a system service on :5000 when it can; tests run their own
# registries on free loopback ports, so a system one is neither needed nor wanted.

# --- the rootless user -----------------------------------------------------------------------
if ! id -u "$ARCHY_USER" >/dev/null 2>&1; then
  log "creating user $ARCHY_USER"
  useradd --create-home --shell /bin/bash "$ARCHY_USER"
fi
uid="$(id -u "$ARCHY_USER")"
home="$(getent passwd "$ARCHY_USER" | cut -d: -f6)"

# Rootless Podman maps container uids onto a subordinate range; without one, pulls of any
# image with files owned by non-root users fail.
ranges_added=0
for f in /etc/subuid /etc/subgid; do
  touch "$f"
  if ! grep -q "^$ARCHY_USER:" "$f"; then
    ranges_added=1
    # Pick a 65536-wide range above every range already handed out.
    start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' /etc/subuid /etc/subgid)
    log "adding $f range $start:65536 for $ARCHY_USER"
    echo "$ARCHY_USER:$start:65536" >>"$f"
  fi
done

# slirp4netns and rootless bridge networks open /dev/net/tun, which is 0600 on these hosts.
if [ -e /dev/net/tun ]; then
  chmod 666 /dev/net/tun
else
  mkdir -p /dev/net && mknod -m 666 /dev/net/tun c 10 200
fi

# No systemd-logind here, so nobody creates the user's runtime dir; Podman keeps its socket,
# locks and network state there.
runtime_dir="/run/user/$uid"
install -d -m 0700 -o "$ARCHY_USER" -g "$(id -gn "$ARCHY_USER")" "$runtime_dir"

conf_dir="$home/.config/containers"
install -d -o "$ARCHY_USER" -g "$(id -gn "$ARCHY_USER")" "$home/.config" "$conf_dir"

# write_conf FILE: replaces FILE with stdin when it differs, owned by the rootless user.
write_conf() {
  local target="$1" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
  else
    install -m 0644 -o "$ARCHY_USER" -g "$(id -gn "$ARCHY_USER")" "$tmp" "$target"
    rm -f "$tmp"
    log "wrote $target"
  fi
}

# crun fails on these hybrid-cgroup hosts ("cgroups in hybrid mode not supported"); the
# default RLIMIT_NOFILE/NPROC exceed the hard limits here, so every container start would
# fail; and netavark (with aardvark-dns) gives per-network DNS by container name plus the
# `isolate` option that keeps app networks apart — CNI, Podman 4.3's fallback, has neither.
write_conf "$conf_dir/containers.conf" <<'CONF'
# Written by Archipelago's scripts/host-setup.sh
[containers]
default_ulimits = ["nofile=1024:1024", "nproc=4096:4096"]

[engine]
runtime = "runc"

[network]
network_backend = "netavark"
CONF

# Podman 4.3 falls back to the vfs driver, which copies every layer in full: slow pulls and
# gigabytes of disk on a Pi. The kernel's native rootless overlay is fast and shares layers.
# (Set before Podman first touches storage; an existing vfs store needs `podman system reset`.)
write_conf "$conf_dir/storage.conf" <<'CONF'
# Written by Archipelago's scripts/host-setup.sh
[storage]
driver = "overlay"
CONF

# Apply a new subuid range to existing storage. Only then: `podman system migrate` stops the
# rootless pause process, which takes every running container's namespaces with it.
if [ "$ranges_added" -eq 1 ]; then
  runuser -u "$ARCHY_USER" -- env XDG_RUNTIME_DIR="$runtime_dir" podman system migrate >/dev/null 2>&1 || true
fi

if ! runuser -u "$ARCHY_USER" -- env XDG_RUNTIME_DIR="$runtime_dir" podman info --format '{{.Host.Security.Rootless}}' | grep -q true; then
  echo "podman info does not report rootless for $ARCHY_USER; see the output of: runuser -u $ARCHY_USER -- podman info" >&2
  exit 1
fi
log "ready: rootless Podman for user $ARCHY_USER (uid $uid, XDG_RUNTIME_DIR=$runtime_dir)"
