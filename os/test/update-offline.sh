#!/usr/bin/env bash
# The OS update tool without a VM (run as root: loop devices, mkfs, mount):
#   sudo os/test/update-offline.sh
# A small disk image with the four GPT partitions of the x86_64 layout (os/lib/common.sh labels,
# tiny sizes) is attached (a loop device per partition); /usr/lib/archipelago-os/update runs against it with
# its device dir, kernel command line and root prefix pointed at the test's own (ARCHY_OS_*),
# with bundles made by os/make-update.sh and signed by keys generated here. Checks: a bad
# signature, a changed root.erofs, a root larger than the slot and an older version are refused
# with the ESP and the slot byte-for-byte unchanged; a good bundle lands in slot b, reads back
# as the same erofs, and gets its kernel, initrd and a "+3" loader entry (last, whole, with the
# slot swapped on the command line); stale entries of slot b are removed; and the same works
# through a mounted ESP. The boot loader's part (counting, fallback) is the qemu boot test's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
os_dir=$(dirname "$here")
# shellcheck source=os/lib/common.sh
source "$os_dir/lib/common.sh"
update="$os_dir/rootfs/usr/lib/archipelago-os/update"
export MTOOLS_SKIP_CHECK=1 MTOOLSRC=/dev/null

((EUID == 0)) || os_fail "run as root (loop devices): sudo $0"
for tool in sfdisk losetup mkfs.vfat mcopy mtype mdir mkfs.erofs fsck.erofs gpg gpgv node; do
  command -v "$tool" >/dev/null || os_fail "$tool is missing (apt-get install fdisk dosfstools mtools erofs-utils gnupg gpgv)"
done

t=$(mktemp -d /var/tmp/archy-update-test.XXXXXX)
loops=()
cleanup() {
  local status=$?
  mountpoint -q "$t/esp" 2>/dev/null && umount "$t/esp"
  for dev in "${loops[@]}"; do losetup -d "$dev"; done
  for home in "$t"/gnupg-*; do [[ -d "$home" ]] && gpgconf --homedir "$home" --kill all 2>/dev/null; done
  rm -rf "$t"
  ((status == 0)) && echo "update-offline: all checks passed" || echo "update-offline: FAILED" >&2
}
trap cleanup EXIT

checks=0
ok() {
  checks=$((checks + 1))
  printf '  ok %d - %s\n' "$checks" "$*"
}
die() {
  printf '  not ok - %s\n' "$*" >&2
  exit 1
}

# --- keys: the image's update key and a stranger's ---------------------------------------------
make_key() { # make_key NAME → $t/NAME.asc (secret, armored), $t/NAME.gpg (public, binary)
  local home="$t/gnupg-$1"
  mkdir -m 0700 "$home"
  GNUPGHOME="$home" gpg --batch --quiet --passphrase '' --quick-gen-key "$1 <$1@archipelago.invalid>" ed25519 sign never
  GNUPGHOME="$home" gpg --batch --armor --export-secret-keys >"$t/$1.asc"
  GNUPGHOME="$home" gpg --batch --export >"$t/$1.gpg"
}
make_key release
make_key stranger

# --- the running system as the update tool sees it ---------------------------------------------
osroot="$t/osroot"
mkdir -p "$osroot/usr/lib/archipelago-os" "$osroot/usr/share/archipelago-os" "$osroot/var/lib/archipelago-os"
echo 0.1.0 >"$osroot/usr/lib/archipelago-os/version"
# What os/build.sh installs from --update-key FILE.asc: `gpg --dearmor` of it (gpgv reads binary).
cp "$t/release.gpg" "$osroot/usr/share/archipelago-os/update-keys.gpg"
machine_id=0123456789abcdef0123456789abcdef
printf '%s\n' "initrd=\\a\\initrd.img root=PARTLABEL=$OS_LABEL_ROOT_A rootfstype=erofs ro archy.slot=a panic=10 console=tty0 console=ttyS0,115200n8 systemd.machine_id=$machine_id" >"$t/cmdline"

# --- a staged root (as os/build.sh keeps in <out>/root-<arch>/) ---------------------------------
stage="$t/stage"
mkdir -p "$stage/usr/lib/archipelago-os" "$stage/usr/bin" "$stage/boot" "$stage/etc"
echo 0.1.0 >"$stage/usr/lib/archipelago-os/version"
printf 'PRETTY_NAME="Archipelago OS 0.1.0 (Debian 12)"\nNAME="Archipelago OS"\nIMAGE_VERSION=0.1.0\n' >"$stage/usr/lib/os-release"
echo 'the daemon would be here' >"$stage/usr/bin/archy"
head -c 300000 /dev/urandom >"$stage/boot/vmlinuz-6.1.0-28-amd64"
head -c 500000 /dev/urandom >"$stage/boot/initrd.img-6.1.0-28-amd64"
stage_sum=$(cd "$stage" && find . -type f -exec sha256sum {} + | sort | sha256sum)

bundle() { # bundle VERSION OUT [STAGE]
  "$os_dir/make-update.sh" --root "${3:-$stage}" --version "$1" --arch x86_64 --key "$t/release.asc" --out "$2" 2>/dev/null
}
bundle 0.2.0 "$t/good.tar"
[[ "$(cd "$stage" && find . -type f -exec sha256sum {} + | sort | sha256sum)" == "$stage_sum" ]] ||
  die "make-update.sh changed the staged root"
ok "make-update.sh made a bundle and left the staged root as it was"
tar -tf "$t/good.tar" | tr '\n' ' ' | grep -qx 'manifest.json manifest.json.sig root.erofs vmlinuz initrd.img ' ||
  die "the bundle's members are $(tar -tf "$t/good.tar" | tr '\n' ' ')"
mkdir "$t/good" && tar -xf "$t/good.tar" -C "$t/good"
gpgv --keyring "$t/release.gpg" "$t/good/manifest.json.sig" "$t/good/manifest.json" 2>/dev/null ||
  die "the bundle's signature does not verify with the release key"
node -e '
  const m = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  if (m.format !== 1 || m.version !== "0.2.0" || m.arch !== "x86_64") process.exit(1);
  if (m.files["root.erofs"].size !== require("fs").statSync(process.argv[2]).size) process.exit(1);
' "$t/good/manifest.json" "$t/good/root.erofs" || die "manifest.json is $(cat "$t/good/manifest.json")"
ok "the bundle holds the five files, a good signature and a manifest that matches them"

# Reproducible root: the same tree and version give the same erofs.
bundle 0.2.0 "$t/again.tar"
[[ "$(tar -xOf "$t/again.tar" root.erofs | sha256sum)" == "$(sha256sum <"$t/good/root.erofs")" ]] ||
  die "two bundles of the same tree and version have different root.erofs"
ok "root.erofs is reproducible"

# Bad bundles: a stranger's signature; a root.erofs that is not the manifest's; a root bigger
# than the slot (8 MiB: random data does not compress); a version older than the running one.
mkdir "$t/bad-sig" && cp "$t/good"/* "$t/bad-sig/"
GNUPGHOME="$t/gnupg-stranger" gpg --batch --yes --armor --detach-sign --output "$t/bad-sig/manifest.json.sig" "$t/bad-sig/manifest.json"
tar -cf "$t/bad-sig.tar" -C "$t/bad-sig" manifest.json manifest.json.sig root.erofs vmlinuz initrd.img
mkdir "$t/bad-sha" && cp "$t/good"/* "$t/bad-sha/"
printf 'x' | dd of="$t/bad-sha/root.erofs" bs=1 seek=5000 conv=notrunc status=none
tar -cf "$t/bad-sha.tar" -C "$t/bad-sha" manifest.json manifest.json.sig root.erofs vmlinuz initrd.img
cp -a "$stage" "$t/stage-big"
head -c $((10 * 1024 * 1024)) /dev/urandom >"$t/stage-big/usr/lib/big.bin"
bundle 0.3.0 "$t/big.tar" "$t/stage-big"
bundle 0.0.9 "$t/older.tar"

# --- the disk: ESP, two root slots, data --------------------------------------------------------
truncate -s 48M "$t/disk.img"
sfdisk --quiet "$t/disk.img" <<TABLE
label: gpt
size=16MiB, type=C12A7328-F81F-11D2-BA4B-00A0C93EC93B, name=$OS_LABEL_ESP
size=8MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=$OS_LABEL_ROOT_A
size=8MiB, type=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709, name=$OS_LABEL_ROOT_B
type=4D21B016-B534-45C2-A9FB-5C16E091FD2D, name=$OS_LABEL_DATA
TABLE
# One loop device per partition, at its offset in the image: `losetup -P` gives no partition
# devices in containers without udev/partscan (as on our CI machines), and the tool only needs
# block devices by label.
while read -r name start size; do
  dev=$(losetup --find --show --offset $((start * 512)) --sizelimit $((size * 512)) "$t/disk.img")
  loops+=("$dev")
  case "$name" in
    "$OS_LABEL_ESP") esp="$dev" ;;
    "$OS_LABEL_ROOT_A") slot_a="$dev" ;;
    "$OS_LABEL_ROOT_B") slot_b="$dev" ;;
    "$OS_LABEL_DATA") data="$dev" ;;
  esac
done < <(sfdisk --json "$t/disk.img" | node -e '
  const table = JSON.parse(require("fs").readFileSync(0, "utf8")).partitiontable;
  for (const p of table.partitions) console.log(p.name, p.start, p.size);')
[[ -n "${esp:-}" && -n "${slot_a:-}" && -n "${slot_b:-}" && -n "${data:-}" ]] || die "the disk image lacks a partition"
mkdir "$t/dev"
ln -s "$esp" "$t/dev/$OS_LABEL_ESP"
ln -s "$slot_a" "$t/dev/$OS_LABEL_ROOT_A"
ln -s "$slot_b" "$t/dev/$OS_LABEL_ROOT_B"
ln -s "$data" "$t/dev/$OS_LABEL_DATA"
mkfs.vfat -n ARCHY-ESP "$esp" >/dev/null
# What the image ships with: slot a's kernel and entry (the build writes it without a counter).
mmd -i "$esp" ::/loader ::/loader/entries ::/a 2>/dev/null
mcopy -i "$esp" "$stage/boot/vmlinuz-6.1.0-28-amd64" ::/a/vmlinuz 2>/dev/null
printf 'title Archipelago OS 0.1.0\nversion 0.1.0\nsort-key archipelago-os\nlinux /a/vmlinuz\ninitrd /a/initrd.img\noptions root=PARTLABEL=%s rootfstype=erofs ro archy.slot=a\n' \
  "$OS_LABEL_ROOT_A" >"$t/entry-a.conf"
mcopy -i "$esp" "$t/entry-a.conf" ::/loader/entries/archipelago-os-a.conf 2>/dev/null
# A stale slot-b entry, as a failed earlier update leaves it ("+0-3": no tries left).
mcopy -i "$esp" "$t/entry-a.conf" "::/loader/entries/archipelago-os-b+0-3.conf" 2>/dev/null
head -c $((8 * 1024 * 1024)) /dev/zero | tr '\0' 'z' >"$slot_b" || true
sync

run_update() { # run_update BUNDLE → the tool's exit status; its stderr in $t/update.log
  ARCHY_OS_ROOT="$osroot" ARCHY_OS_DEVICE_DIR="$t/dev" ARCHY_OS_CMDLINE="$t/cmdline" \
    "$update" "$1" 2>"$t/update.log"
}
state_field() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log(s[process.argv[2]] ?? "")' "$osroot/var/lib/archipelago-os/update-state.json" "$1"; }
esp_before=$(sha256sum <"$esp")
slot_before=$(sha256sum <"$slot_b")

refused() { # refused BUNDLE WORDS_EXPECTED DESCRIPTION
  if run_update "$1"; then die "$3: the update was applied"; fi
  grep -q "$2" "$t/update.log" || die "$3: expected '$2' in: $(cat "$t/update.log")"
  [[ "$(state_field state)" == failed ]] || die "$3: update-state.json says $(state_field state)"
  [[ "$(state_field error)" == *"$2"* ]] || die "$3: update-state.json's error is '$(state_field error)'"
  [[ "$(sha256sum <"$esp")" == "$esp_before" ]] || die "$3: the ESP changed"
  [[ "$(sha256sum <"$slot_b")" == "$slot_before" ]] || die "$3: slot b changed"
  ok "$3: refused ('$2'), ESP and slot b untouched"
}
refused "$t/bad-sig.tar" 'signature is not good' 'a bundle signed by another key'
refused "$t/bad-sha.tar" 'root.erofs in the bundle does not match' 'a root.erofs that is not the signed one'
refused "$t/big.tar" 'is larger than the slot' 'a root larger than the slot'
refused "$t/older.tar" 'is not newer than the running 0.1.0' 'an older version'
# The running slot still on trial (its entry counts tries): the other slot's entry is its only
# fallback, so nothing may replace it yet.
mren -i "$esp" ::/loader/entries/archipelago-os-a.conf "::/loader/entries/archipelago-os-a+2-1.conf" 2>/dev/null
esp_before=$(sha256sum <"$esp")
refused "$t/good.tar" 'has not been confirmed yet' 'an update while the running slot is not confirmed'
mren -i "$esp" "::/loader/entries/archipelago-os-a+2-1.conf" ::/loader/entries/archipelago-os-a.conf 2>/dev/null
esp_before=$(sha256sum <"$esp")
printf 'root=PARTLABEL=archy-root-a ro\n' >"$t/cmdline.plain"
cp "$t/cmdline" "$t/cmdline.keep" && cp "$t/cmdline.plain" "$t/cmdline"
refused "$t/good.tar" 'not booted from an Archipelago OS slot' 'a system without archy.slot='
cp "$t/cmdline.keep" "$t/cmdline"

# --- the good bundle ---------------------------------------------------------------------------
esp_dir='' # set while the ESP is mounted: read it there
esp_cat() { if [[ -n "$esp_dir" ]]; then cat "$esp_dir/$1"; else mtype -i "$esp" "::/$1" 2>/dev/null; fi; }
esp_ls() { if [[ -n "$esp_dir" ]]; then ls -1 "$esp_dir/$1"; else mdir -b -i "$esp" "::/$1" 2>/dev/null | sed 's|.*/||'; fi; }
check_applied() { # check_applied DESCRIPTION
  [[ "$(state_field state)" == applied && "$(state_field version)" == 0.2.0 && "$(state_field slot)" == b ]] ||
    die "$1: update-state.json is $(cat "$osroot/var/lib/archipelago-os/update-state.json")"
  local size
  size=$(stat -c %s "$t/good/root.erofs")
  [[ "$(head -c "$size" "$slot_b" | sha256sum)" == "$(sha256sum <"$t/good/root.erofs")" ]] || die "$1: slot b is not root.erofs"
  rm -rf "$t/extract"
  fsck.erofs --extract="$t/extract" "$slot_b" >/dev/null 2>&1 || die "$1: slot b is not a good erofs"
  [[ "$(cat "$t/extract/usr/lib/archipelago-os/version")" == 0.2.0 ]] || die "$1: slot b's version file says $(cat "$t/extract/usr/lib/archipelago-os/version")"
  grep -qx 'IMAGE_VERSION=0.2.0' "$t/extract/usr/lib/os-release" || die "$1: slot b's os-release has no IMAGE_VERSION=0.2.0"
  grep -qx 'PRETTY_NAME="Archipelago OS 0.2.0 (Debian 12)"' "$t/extract/usr/lib/os-release" || die "$1: slot b's PRETTY_NAME is not 0.2.0's"
  esp_cat b/vmlinuz | cmp -s - "$t/good/vmlinuz" || die "$1: /b/vmlinuz is not the bundle's"
  esp_cat b/initrd.img | cmp -s - "$t/good/initrd.img" || die "$1: /b/initrd.img is not the bundle's"
  local entries
  entries=$(esp_ls loader/entries | sort | tr '\n' ' ')
  [[ "$entries" == 'archipelago-os-a.conf archipelago-os-b+3.conf ' ]] || die "$1: the entries are $entries"
  esp_cat loader/entries/archipelago-os-a.conf | cmp -s - "$t/entry-a.conf" || die "$1: slot a's entry changed"
  esp_cat "loader/entries/archipelago-os-b+3.conf" >"$t/entry-b.conf"
  local want
  want=$(printf 'title Archipelago OS 0.2.0 (slot b)\nversion 0.2.0\nsort-key archipelago-os\nlinux /b/vmlinuz\ninitrd /b/initrd.img\noptions root=PARTLABEL=%s rootfstype=erofs ro archy.slot=b panic=10 console=tty0 console=ttyS0,115200n8 systemd.machine_id=%s' "$OS_LABEL_ROOT_B" "$machine_id")
  [[ "$(cat "$t/entry-b.conf")" == "$want" ]] || die "$1: the new entry is:
$(cat "$t/entry-b.conf")"
  ok "$1: slot b holds the new root (version 0.2.0), /b has its kernel and initrd, entry archipelago-os-b+3.conf swaps the slot and keeps the machine id, the stale b entry is gone, a's entry is as it was"
}
run_update "$t/good.tar" || die "the good bundle was refused: $(cat "$t/update.log")"
check_applied 'through mtools (ESP not mounted)'

# Again, with the ESP mounted: the tool must then write through the mount, not under it. This
# kernel may lack vfat (containers): the mount path does not depend on the file system, so an
# ext4 stand-in with the same files is used then. A blessed slot-b entry from an earlier good
# update is there to be replaced.
mkdir "$t/esp" "$t/esp-copy"
mcopy -s -i "$esp" ::/loader ::/a "$t/esp-copy/" 2>/dev/null
mv "$t/esp-copy/loader/entries/archipelago-os-b+3.conf" "$t/esp-copy/loader/entries/archipelago-os-b.conf"
if grep -qw vfat /proc/filesystems; then
  mkfs.vfat -n ARCHY-ESP "$esp" >/dev/null
else
  echo "  (no vfat in this kernel: the mounted ESP is an ext4 stand-in)"
  mkfs.ext4 -q -F "$esp"
fi
mount "$esp" "$t/esp"
cp -r "$t/esp-copy"/. "$t/esp/"
rm -rf "$t/esp/lost+found"
head -c $((8 * 1024 * 1024)) /dev/zero >"$slot_b" 2>/dev/null || true
run_update "$t/good.tar" || die "the good bundle was refused with the ESP mounted: $(cat "$t/update.log")"
grep -q "boot partition: $t/esp" "$t/update.log" || die "the tool did not use the mount point: $(cat "$t/update.log")"
esp_dir="$t/esp"
check_applied 'through the mounted ESP'
[[ -z "$(find "$t/esp" -name '*.tmp')" ]] || die "a .tmp entry was left on the ESP"
umount "$t/esp"
