#!/usr/bin/env bash
# Builds Archipelago OS: a bootable disk image with a read-only root, from Debian 12 packages
# and this checkout's built daemon and UI (os/README.md).
#
# Usage (as root): os/build.sh [--arch x86_64|arm64] [--version V] [--out DIR]
#                              [--update-key KEY.asc] [--no-compress]
#   --arch         x86_64 (UEFI PCs and VMs, the default) or arm64 (Raspberry Pi 4/5)
#   --version      the OS version the image carries (default: the daemon's version from
#                  core/package.json); an update must carry a higher one
#   --out          where the image goes (default: os/out)
#   --update-key   the armored OpenPGP public key whose signatures the node accepts on OS
#                  updates (without it the image accepts none: updates are reflashes)
#   --no-compress  skip the .zst copy (the boot test boots the raw image)
# Writes: DIR/archipelago-os-V-ARCH.img (raw, sparse), .img.zst, DIR/archipelago-os-V-ARCH.manifest/
# (packages.txt, files.txt, sha256sums.txt, sizes.txt), and DIR/root-ARCH/ (the sealed root tree,
# which os/make-update.sh turns into update bundles).
# Env: ARCHY_OS_MIRROR (default http://deb.debian.org), ARCHY_OS_APT_CACHE (a folder to keep
# downloaded packages in between builds), SOURCE_DATE_EPOCH (default: the last commit's time).
set -euo pipefail
OS_DIR="$(cd "$(dirname "$0")" && pwd)"
REPO="$(dirname "$OS_DIR")"
# shellcheck source=os/lib/common.sh
. "$OS_DIR/lib/common.sh"
# shellcheck source=os/lib/rootfs.sh
. "$OS_DIR/lib/rootfs.sh"
# shellcheck source=os/lib/erofs.sh
. "$OS_DIR/lib/erofs.sh"
# shellcheck source=os/lib/disk-x86_64.sh
. "$OS_DIR/lib/disk-x86_64.sh"

usage="usage: os/build.sh [--arch x86_64|arm64] [--version V] [--out DIR] [--update-key KEY.asc] [--no-compress]"
arch=x86_64 version="" out="$OS_DIR/out" update_key="" compress=1
while [ "$#" -gt 0 ]; do
  case "$1" in
    --arch) arch="${2:?$usage}" && shift ;;
    --version) version="${2:?$usage}" && shift ;;
    --out) out="${2:?$usage}" && shift ;;
    --update-key) update_key="${2:?$usage}" && shift ;;
    --no-compress) compress=0 ;;
    *) os_fail "unknown option '$1'; $usage" ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || os_fail "the build must run as root (mmdebstrap installs packages as root into the new root); run: sudo os/build.sh"
os_debian_arch "$arch" >/dev/null
[ -n "$version" ] || version="$(node -p "require('$REPO/core/package.json').version")"
[[ "$version" =~ ^[0-9]+(\.[0-9]+){1,3}([-+~][0-9A-Za-z.]+)?$ ]] ||
  os_fail "version '$version' is not a version like 1.2.0: systemd-boot orders the slots by it"
[ -z "$update_key" ] || [ -s "$update_key" ] || os_fail "--update-key $update_key: no such file"
for tool in mmdebstrap mkfs.erofs mkfs.vfat mcopy sfdisk mkfs.ext4 npm zstd unshare gpg dpkg-query; do
  command -v "$tool" >/dev/null ||
    os_fail "$tool is missing; install what the OS build needs with: scripts/host-setup.sh --test"
done
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$REPO" log -1 --format=%ct 2>/dev/null || echo 0)}"

mkdir -p "$out"
out="$(cd "$out" && pwd)"
name="archipelago-os-$version-$arch"
root="$out/root-$arch" work="$out/work-$arch" manifest="$out/$name.manifest"
started=$(date +%s)
phase() { os_log "[$(($(date +%s) - started))s] $*"; }

rm -rf "$root" "$work"
mkdir -p "$work"
trap 'rm -rf "$work"' EXIT

phase "Debian $OS_SUITE root ($arch)"
os_bootstrap "$root" "$arch" "$REPO" "${ARCHY_OS_APT_CACHE:-}"
phase "Node $OS_NODE_VERSION and Archipelago"
node_bin="$(os_fetch_node "$arch" "${ARCHY_OS_NODE_CACHE:-$out/cache}")"
os_install_archipelago "$root" "$REPO" "$node_bin"
phase "configuration, services, initramfs"
os_customize "$root" "$REPO" "$version" "$arch"
if [ -n "$update_key" ]; then
  # gpgv reads binary keyrings only.
  mkdir -p "$root/usr/share/archipelago-os"
  gpg --dearmor <"$update_key" >"$root/usr/share/archipelago-os/update-keys.gpg"
fi
phase "sealing the root"
os_seal "$root"
os_write_manifest "$root" "$manifest"
phase "erofs root"
os_make_erofs "$root" "$work/root.erofs" "$version"
sha256sum <"$work/root.erofs" | cut -d' ' -f1 >"$manifest/root.erofs.sha256"
phase "disk image"
case "$arch" in
  x86_64) os_build_disk_x86_64 "$root" "$work/root.erofs" "$out/$name.img" "$version" "$work" ;;
  arm64)
    # shellcheck source=os/lib/disk-rpi.sh
    . "$OS_DIR/lib/disk-rpi.sh"
    os_build_disk_rpi "$root" "$work/root.erofs" "$out/$name.img" "$version" "$work"
    ;;
esac
if [ "$compress" -eq 1 ]; then
  phase "compressing"
  zstd -q -f -T0 -19 "$out/$name.img" -o "$out/$name.img.zst"
fi

{
  printf 'root tree (installed)\t%s MiB\n' "$(($(du -sx --block-size=1M "$root" | cut -f1)))"
  printf 'erofs root\t%s MiB\n' "$(($(stat -c %s "$work/root.erofs") / 1048576))"
  printf 'disk image (raw)\t%s MiB\n' "$(($(stat -c %s "$out/$name.img") / 1048576))"
  printf 'disk image (allocated)\t%s MiB\n' "$(($(du --block-size=1M "$out/$name.img" | cut -f1)))"
  [ ! -f "$out/$name.img.zst" ] || printf 'disk image (zstd -19)\t%s MiB\n' "$(($(stat -c %s "$out/$name.img.zst") / 1048576))"
  printf '\nlargest packages (installed KiB)\n'
  sort -t$'\t' -k4 -n -r "$manifest/packages.txt" | sed -n '1,25p' | awk -F'\t' '{printf "%s\t%s\n", $4, $1}'
  printf '\nlargest folders (MiB)\n'
  du -x --block-size=1M --max-depth=3 "$root" | sort -n -r | sed -n '1,25p' | sed "s|$root||"
} >"$manifest/sizes.txt"
phase "done: $out/$name.img"
head -n 6 "$manifest/sizes.txt" >&2
