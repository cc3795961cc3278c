#!/usr/bin/env bash
# Prepares a Debian host to run Archipelago's rootless Podman apps. Idempotent: every step
# checks before it changes, so running it again is harmless. Must run as root; the daemon
# itself never does.
#
# Usage: scripts/host-setup.sh [--test | --image | --print-packages]
#   --test            also install what the test suite needs (registry, Chromium, AppArmor tools,
#                     Tor, a C compiler, mmdebstrap) and set up a second rootless user that runs
#                     the tests
#   --image           prepare a root filesystem that is being built (os/build.sh runs this inside
#                     the Archipelago OS root): the packages must be there already; makes the user
#                     and its Podman configuration, and skips what needs a running system (the
#                     tun device, the runtime dir, the rootless check, system services)
#   --print-packages  print the run-time package list, one per line, and exit (the OS build
#                     installs exactly these)
# Env:    ARCHY_USER (default: archy) — the unprivileged user that owns Podman and the node's data.
#         ARCHY_USER_HOME, ARCHY_USER_UID — where the user's home is and its uid when this script
#         creates it (default: useradd's choice; the OS puts the home on its data partition).
#         ARCHY_TEST_USER (default: archy-test) — with --test: the user the tests run as, so their
#         images, containers, networks and volumes live in a rootless storage of their own and
#         never in the node's.
#
# scripts/check-fresh-debian.sh proves on a minimal Debian root (mmdebstrap --variant=minbase)
# that this list is complete: extend the list, then run that check.
set -euo pipefail

ARCHY_USER="${ARCHY_USER:-archy}"
ARCHY_TEST_USER="${ARCHY_TEST_USER:-archy-test}"
WITH_TEST=0 IMAGE=0 PRINT_PACKAGES=0
case "${1:-}" in
  --test) WITH_TEST=1 ;;
  --image) IMAGE=1 ;;
  --print-packages) PRINT_PACKAGES=1 ;;
  "") ;;
  *)
    echo "unknown option '$1'; usage: scripts/host-setup.sh [--test | --image | --print-packages]" >&2
    exit 1
    ;;
esac

log() { printf '[host-setup] %s\n' "$*"; }

if [ "$(id -u)" -ne 0 ] && [ "$PRINT_PACKAGES" -eq 0 ]; then
  echo "host-setup must run as root (it installs packages and creates the '$ARCHY_USER' user); re-run with sudo" >&2
  exit 1
fi
if [ "$WITH_TEST" -eq 1 ] && [ "$ARCHY_TEST_USER" = "$ARCHY_USER" ]; then
  echo "ARCHY_TEST_USER and ARCHY_USER are both '$ARCHY_USER': the tests need a user of their own, or they share the node's containers and images" >&2
  exit 1
fi

# --- packages --------------------------------------------------------------------------------
# Installed with --no-install-recommends, so everything used at run time is named here, even
# what a full Debian install happens to have. Who needs what:
#   podman runc conmon*    the container engine (*a dependency); crun fails on hybrid-cgroup hosts
#   uidmap                 newuidmap/newgidmap: the rootless user's subordinate id ranges
#   slirp4netns            rootless networking for containers not on a bridge network
#   netavark aardvark-dns  bridge networks with DNS by container name and `isolate`
#   iptables               netavark's firewall driver (without it no container starts on a bridge
#                          network: "netavark: No such file or directory (os error 2)", or
#                          "Permission denied (os error 13)") and the daemon's isolation guard
#                          (`podman unshare --rootless-netns iptables`)
#   fuse-overlayfs         overlay storage where the kernel cannot do rootless overlay
#   catatonit              Podman's init for the rootless pause process and `--init`
#   busybox-static         /bin/busybox: the demo app's image, health probes run in an app's
#                          network namespace, and the base of the images the node builds
#   util-linux             nsenter (those probes), setpriv (scripts/as-archy.sh), runuser (below)
#   tar gzip               unpacking release tarballs and writing image layers
#   dpkg                   dpkg-query: which Debian package each base file of a built image came from
#   passwd                 useradd (below)
#   tor                    the apps' own Tor and the web UI's onion: the node builds its Tor image
#                          from this package's files (its system service is not used; see below)
#   restic                 backups: encrypted, deduplicating snapshots (archy backup)
# Node's HTTPS uses Node's own CA store, so ca-certificates is not needed. The image's libc
# comes from the host's libc6, which every Debian has.
packages=(podman runc uidmap slirp4netns netavark aardvark-dns iptables fuse-overlayfs catatonit
  busybox-static util-linux tar gzip dpkg passwd tor restic)
# gcc + libc6-dev: the tests compile their bitcoind test double statically (core/test/support/bitcoind-double).
# mmdebstrap: scripts/check-fresh-debian.sh builds a minimal Debian root with it.
# openssl: the Lightning-shaped test double's self-signed TLS certificate (core/test/support).
# rclone: `rclone serve restic`, the REST backup server the backup tests run on 127.0.0.1.
if [ "$PRINT_PACKAGES" -eq 1 ]; then
  printf '%s\n' "${packages[@]}"
  exit 0
fi
# qemu-system-x86 ovmf erofs-utils dosfstools mtools fdisk zstd gnupg: scripts/check-os-image.sh
# builds the Archipelago OS image (os/build.sh) and boots it in a VM (UEFI firmware from ovmf);
# openssh-client: that test logs in over SSH with the key os/flash.sh --ssh-key put on the disk.
[ "$WITH_TEST" -eq 1 ] && packages+=(docker-registry chromium apparmor gcc libc6-dev mmdebstrap openssl rclone
  qemu-system-x86 ovmf erofs-utils dosfstools mtools fdisk zstd gnupg openssh-client)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ] && [ "$IMAGE" -eq 1 ]; then
  echo "the root being built lacks ${missing[*]}: os/build.sh installs the list --print-packages prints" >&2
  exit 1
elif [ "${#missing[@]}" -gt 0 ]; then
  log "installing: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# Debian starts docker-registry as a system service on :5000 when it can; tests run their own
# registries on free loopback ports, so a system one is neither needed nor wanted.

# Debian's tor package starts a system-wide Tor (tor@default) where systemd runs. Archipelago runs
# each app's Tor itself, rootless, in the app's own network namespace, and the web UI's onion in a
# container of its own (README "Tor"): a second, root-started Tor would only be an open SOCKS port.
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  systemctl disable --now tor.service >/dev/null 2>&1 || true
elif [ "$IMAGE" -eq 1 ]; then
  systemctl disable tor.service >/dev/null 2>&1 || true
fi

# slirp4netns and rootless bridge networks open /dev/net/tun, which is 0600 on these hosts.
# (A booted Archipelago OS has udev, whose rules give it 0666.)
if [ "$IMAGE" -eq 1 ]; then
  :
elif [ -e /dev/net/tun ]; then
  chmod 666 /dev/net/tun
else
  mkdir -p /dev/net && mknod -m 666 /dev/net/tun c 10 200
fi

# --- a rootless user -------------------------------------------------------------------------

# write_conf USER FILE: replaces FILE with stdin when it differs, owned by USER.
write_conf() {
  local user="$1" target="$2" tmp
  tmp="$(mktemp)"
  cat >"$tmp"
  if cmp -s "$tmp" "$target"; then
    rm -f "$tmp"
  else
    install -m 0644 -o "$user" -g "$(id -gn "$user")" "$tmp" "$target"
    rm -f "$tmp"
    log "wrote $target"
  fi
}

# setup_rootless_user USER: creates USER if needed and gives it a working rootless Podman.
setup_rootless_user() {
  local user="$1" uid home group ranges_added=0 f start runtime_dir conf_dir
  if ! id -u "$user" >/dev/null 2>&1; then
    log "creating user $user"
    useradd --create-home --shell /bin/bash ${ARCHY_USER_HOME:+--home-dir "$ARCHY_USER_HOME"} \
      ${ARCHY_USER_UID:+--uid "$ARCHY_USER_UID"} "$user"
  fi
  uid="$(id -u "$user")"
  group="$(id -gn "$user")"
  home="$(getent passwd "$user" | cut -d: -f6)"

  # Rootless Podman maps container uids onto a subordinate range; without one, pulls of any
  # image with files owned by non-root users fail. (useradd may have added one already.)
  for f in /etc/subuid /etc/subgid; do
    touch "$f"
    if ! grep -q "^$user:" "$f"; then
      ranges_added=1
      # A 65536-wide range above every range already handed out, so no two users overlap.
      start=$(awk -F: 'BEGIN{m=100000} {e=$2+$3; if (e>m) m=e} END{print m}' /etc/subuid /etc/subgid)
      log "adding $f range $start:65536 for $user"
      echo "$user:$start:65536" >>"$f"
    fi
  done

  # No systemd-logind here, so nobody creates the user's runtime dir; Podman keeps its socket,
  # locks and network state there.
  runtime_dir="/run/user/$uid"
  [ "$IMAGE" -eq 1 ] || install -d -m 0700 -o "$user" -g "$group" "$runtime_dir"

  conf_dir="$home/.config/containers"
  install -d -o "$user" -g "$group" "$home/.config" "$conf_dir"

  # crun fails on these hybrid-cgroup hosts ("cgroups in hybrid mode not supported"); the
  # default RLIMIT_NOFILE/NPROC exceed the hard limits here, so every container start would
  # fail; and netavark (with aardvark-dns) gives per-network DNS by container name plus the
  # `isolate` option that keeps app networks apart — CNI, Podman 4.3's fallback, has neither.
  write_conf "$user" "$conf_dir/containers.conf" <<'CONF'
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
  write_conf "$user" "$conf_dir/storage.conf" <<'CONF'
# Written by Archipelago's scripts/host-setup.sh
[storage]
driver = "overlay"
CONF

  # A root being built has no running system to check against: the OS's first boot does.
  if [ "$IMAGE" -eq 1 ]; then
    log "prepared rootless Podman for user $user (uid $uid, home $home) in the image"
    return
  fi

  # Apply a new subuid range to existing storage. Only then: `podman system migrate` stops the
  # rootless pause process, which takes every running container's namespaces with it.
  if [ "$ranges_added" -eq 1 ]; then
    runuser -u "$user" -- env XDG_RUNTIME_DIR="$runtime_dir" podman system migrate >/dev/null 2>&1 || true
  fi

  # A rootless pause process that died while its pid file survived (a killed process, or a
  # restart that kept /run) makes every podman call fail with "invalid internal status ...
  # podman system migrate". With the pause process gone there are no namespaces left to lose,
  # so the migrate Podman asks for is safe; any other failure is reported as it is.
  rootless_info() { runuser -u "$user" -- env XDG_RUNTIME_DIR="$runtime_dir" podman info --format '{{.Host.Security.Rootless}}' 2>&1; }
  info="$(rootless_info || true)"
  if [[ "$info" == *"podman system migrate"* ]]; then
    log "the rootless pause process of $user is gone; resetting it (podman system migrate)"
    runuser -u "$user" -- env XDG_RUNTIME_DIR="$runtime_dir" podman system migrate >/dev/null 2>&1 || true
    info="$(rootless_info || true)"
  fi
  if ! grep -qx true <<<"$info"; then
    echo "podman info does not report rootless for $user; see the output of: runuser -u $user -- podman info" >&2
    exit 1
  fi
  log "ready: rootless Podman for user $user (uid $uid, XDG_RUNTIME_DIR=$runtime_dir)"
}

setup_rootless_user "$ARCHY_USER"
# The tests' own user: `npm test` runs the suite as this user (scripts/test.sh), so nothing a
# test builds or starts ever lands in the storage of the node that `npm start` runs.
if [ "$WITH_TEST" -eq 1 ]; then setup_rootless_user "$ARCHY_TEST_USER"; fi
