#!/usr/bin/env bash
# Builds the Archipelago OS image for x86_64 from this checkout (os/build.sh) and boots it in a
# VM: qemu-system-x86_64 with software emulation (no KVM on CI machines), UEFI firmware, and a
# user network that reaches nothing outside (restrict=on; only forwarded ports on 127.0.0.1).
# The tests (os/test/*.test.ts) take the node through first-run setup, install the demo app, power
# it off and on, and apply OS updates. npm test runs this last, as root, with its own time budget
# (ARCHY_OS_CHECK_MINUTES, default 45); ARCHY_SKIP_OS_IMAGE_CHECK=1 skips it.
#
# Usage (as root): scripts/check-os-image.sh [--keep]
#   --keep   keep the build output and the VMs' disks (in the folder it prints)
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
log() { printf '[os-check] %s\n' "$*"; }
fail() {
  printf '[os-check] FAILED: %s\n' "$*" >&2
  exit 1
}
keep=0
[ "${1:-}" = "--keep" ] && keep=1
[ "$(id -u)" -eq 0 ] || fail "the check must run as root (os/build.sh bootstraps a Debian root); run: sudo scripts/check-os-image.sh"
for tool in qemu-system-x86_64 mmdebstrap mkfs.erofs mkfs.vfat ssh ssh-keygen; do
  command -v "$tool" >/dev/null || fail "$tool is missing; install what the tests need with: scripts/host-setup.sh --test"
done
[ -f /usr/share/OVMF/OVMF_CODE_4M.fd ] || fail "no UEFI firmware (package ovmf); run: scripts/host-setup.sh --test"
[ -s core/dist/bundle/archy.mjs ] || fail "Archipelago is not built; run: npm ci && npm run build"

work="$(mktemp -d /var/tmp/archy-os-check.XXXXXX)"
cleanup() {
  # QEMU processes the tests started and could not end (a killed test run): by their pid files.
  local pidfile pid
  for pidfile in "$work"/vms/*/qemu.pid; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile")"
    if [ -d "/proc/$pid" ] && grep -q qemu "/proc/$pid/comm"; then kill -9 "$pid" 2>/dev/null || true; fi
  done
  # The gpg-agent gpg started for the test key.
  gpgconf --homedir "$work/gnupg" --kill all >/dev/null 2>&1 || true
  if [ "$keep" -eq 1 ]; then log "kept $work"; else rm -rf "$work"; fi
}
trap cleanup EXIT
started=$(date +%s)
budget=$((${ARCHY_OS_CHECK_MINUTES:-45} * 60))

# The key the image trusts for OS updates: made for this run, never a real release key.
export GNUPGHOME="$work/gnupg"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --pinentry-mode loopback --passphrase '' \
  --quick-generate-key 'Archipelago OS test updates <os-check@archipelago.invalid>' ed25519 sign never
gpg --batch --armor --export >"$work/update-key.asc"
gpg --batch --armor --export-secret-keys >"$work/update-key.secret.asc"

# The boot-partition SSH switch on a FAT image file (seconds; the VM test then logs in with a key).
bash os/test/ssh-switch.sh

log "building the image"
timeout "$budget" os/build.sh --out "$work/out" --update-key "$work/update-key.asc" --no-compress
image="$(find "$work/out" -maxdepth 1 -name 'archipelago-os-*-x86_64.img' | head -n1)"
[ -n "$image" ] || fail "os/build.sh made no image"
log "built in $(($(date +%s) - started)) s: $image"
sed -n '1,6p' "$work/out/"*.manifest/sizes.txt

left=$((budget - ($(date +%s) - started)))
[ "$left" -gt 300 ] || fail "the build used the time budget ($budget s)"
log "booting it (os/test, up to $left s)"
mkdir -p "$work/vms"
ARCHY_OS_IMAGE="$image" ARCHY_OS_WORK="$work/vms" ARCHY_OS_ROOT_TREE="$work/out/root-x86_64" ARCHY_OS_UPDATE_KEY="$work/update-key.secret.asc" \
  ARCHY_OS_KEEP="$keep" timeout "$left" "$repo/node_modules/.bin/vitest" run --config os/test/vitest.config.ts
log "passed in $(($(date +%s) - started)) s"
