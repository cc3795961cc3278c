#!/bin/bash
# Structural check of a Raspberry Pi image (os/build.sh --arch arm64). There is no Pi emulator in
# this QEMU (7.2 has no raspi4b/raspi5 machine), so this is NOT a boot test: it checks, from the
# image file alone (no loop devices, no mounts), that every piece the Pi's bootloader, firmware,
# kernel and initramfs look for is where the design (os/README.md, "ARM64 (Raspberry Pi 4/5)")
# puts it: the partition table, the FAT partitions' files (listed with mdir), autoboot.txt,
# config.txt and cmdline.txt, the kernel's architecture, the initramfs's modules, and the erofs
# root (checked whole by fsck.erofs, then its version, Node's architecture and its kernel modules).
#
#   os/test/rpi-image-check.sh IMAGE [VERSION]      (IMAGE may be .img or .img.zst)
# Exit status 0 when every check passed; the failed ones are listed.
set -euo pipefail

img="${1:?usage: os/test/rpi-image-check.sh IMAGE [VERSION]}"
want_version="${2:-}"
export MTOOLS_SKIP_CHECK=1 LC_ALL=C
for tool in sfdisk mdir mtype mcopy fsck.erofs dump.erofs blkid file zstd jq; do
  command -v "$tool" >/dev/null || {
    echo "rpi-image-check: needs $tool (apt-get install fdisk mtools erofs-utils util-linux file zstd jq)" >&2
    exit 2
  }
done

work="$(mktemp -d /tmp/rpi-image-check.XXXXXX)"
trap 'rm -rf "$work"' EXIT
if [[ "$img" == *.zst ]]; then
  zstd -dqc "$img" >"$work/image.img"
  img="$work/image.img"
fi

failures=()
pass() { printf '  ok    %s\n' "$*"; }
fail() {
  printf '  FAIL  %s\n' "$*"
  failures+=("$*")
}
note() { printf '  note  %s\n' "$*"; }
# expect DESCRIPTION COMMAND…: pass when COMMAND succeeds.
expect() {
  local what="$1"
  shift
  if "$@" >/dev/null 2>&1; then pass "$what"; else fail "$what"; fi
}

echo "== partition table ($img)"
table="$(sfdisk --json "$img")"
expect "GPT partition table" test "$(jq -r .partitiontable.label <<<"$table")" = gpt
expect "six partitions" test "$(jq '.partitiontable.partitions | length' <<<"$table")" -eq 6
names=(archy-config archy-boot-a archy-boot-b archy-root-a archy-root-b archy-data)
types=(EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
  EBD0A0A2-B9E5-4433-87C0-68B6B72699C7 B921B045-1DF0-41C3-AF44-4C6F280D3FAE
  B921B045-1DF0-41C3-AF44-4C6F280D3FAE 0FC63DAF-8483-4772-8E79-3D69D8477DE4)
declare -A offset size
for i in "${!names[@]}"; do
  part="$(jq -c ".partitiontable.partitions[$i]" <<<"$table")"
  name="$(jq -r .name <<<"$part")"
  expect "partition $((i + 1)) is ${names[$i]} (${types[$i]})" \
    test "$name" = "${names[$i]}" -a "$(jq -r .type <<<"$part")" = "${types[$i]}"
  offset[${names[$i]}]=$(($(jq .start <<<"$part") * 512))
  size[${names[$i]}]=$(($(jq .size <<<"$part") * 512))
  expect "partition $((i + 1)) starts on a 4 MiB boundary" test $((offset[${names[$i]}] % 4194304)) -eq 0
done
sfdisk --dump "$img" | sed 's/^/        /'

# fat NAME: the mtools image argument for a FAT partition.
fat() { printf '%s@@%s' "$img" "${offset[$1]}"; }
# fat_text NAME FILE: a text file of a FAT partition, without DOS line ends.
fat_text() { mtype -i "$(fat "$1")" "::/$2" | tr -d '\r'; }

echo "== archy-config (partition 1): the bootloader's autoboot.txt"
mdir -i "$(fat archy-config)" ::/ | sed 's/^/        /'
fat_text archy-config autoboot.txt >"$work/autoboot.txt" || true
sed 's/^/        /' "$work/autoboot.txt"
expect "autoboot.txt fits the bootloader's 512 bytes" test "$(wc -c <"$work/autoboot.txt")" -le 512
# The section each setting is in matters: [all] names the default, [tryboot] the trial slot.
sections="$(awk '/^\[/{s=$0; next} NF{print s" "$0}' "$work/autoboot.txt")"
expect "autoboot.txt: [all] tryboot_a_b=1" grep -qx '\[all\] tryboot_a_b=1' <<<"$sections"
expect "autoboot.txt: [all] boot_partition=2 (slot a boots by default)" grep -qx '\[all\] boot_partition=2' <<<"$sections"
expect "autoboot.txt: [tryboot] boot_partition=3 (a tryboot tries slot b)" grep -qx '\[tryboot\] boot_partition=3' <<<"$sections"

echo "== archy-boot-a (partition 2): slot a's firmware, kernel, initramfs, dtbs"
mdir -i "$(fat archy-boot-a)" ::/ | sed 's/^/        /'
for file in start4.elf fixup4.dat vmlinuz initrd.img config.txt cmdline.txt bcm2711-rpi-4-b.dtb \
  bcm2711-rpi-400.dtb bcm2711-rpi-cm4-io.dtb archipelago-os.txt; do
  expect "boot-a has $file" mtype -i "$(fat archy-boot-a)" "::/$file"
done
if mtype -i "$(fat archy-boot-a)" ::/bcm2712-rpi-5-b.dtb >/dev/null 2>&1; then
  pass "boot-a has bcm2712-rpi-5-b.dtb (Pi 5)"
else
  note "no bcm2712-rpi-5-b.dtb: this kernel has no Raspberry Pi 5 device tree, the image boots Pi 4/400/CM4 only"
fi

fat_text archy-boot-a config.txt >"$work/config.txt"
sed 's/^/        /' "$work/config.txt"
for line in arm_64bit=1 kernel=vmlinuz 'initramfs initrd.img followkernel' cmdline=cmdline.txt \
  enable_uart=1 upstream_kernel=1; do
  expect "config.txt: $line" grep -qx "$line" "$work/config.txt"
done

fat_text archy-boot-a cmdline.txt >"$work/cmdline.txt"
sed 's/^/        /' "$work/cmdline.txt"
expect "cmdline.txt is one line" test "$(wc -l <"$work/cmdline.txt")" -eq 1
for word in root=PARTLABEL=archy-root-a rootfstype=erofs ro rootwait archy.slot=a panic=10 console=tty0 console=ttyS1,115200; do
  expect "cmdline.txt: $word" grep -qxF -- "$word" <(tr ' ' '\n' <"$work/cmdline.txt")
done

mcopy -i "$(fat archy-boot-a)" ::/vmlinuz "$work/vmlinuz"
kernel_type="$(file -b "$work/vmlinuz")"
note "vmlinuz: $kernel_type"
expect "the kernel is an ARM64 Linux image" grep -q 'ARM64' <<<"$kernel_type"

mcopy -i "$(fat archy-boot-a)" ::/initrd.img "$work/initrd.img"
initrd_type="$(file -b "$work/initrd.img")"
note "initrd.img: $initrd_type ($(stat -c %s "$work/initrd.img") bytes)"
case "$initrd_type" in
  Zstandard*) zstd -dqc "$work/initrd.img" >"$work/initrd.cpio" ;;
  gzip*) gzip -dc "$work/initrd.img" >"$work/initrd.cpio" ;;
  XZ*) xz -dc "$work/initrd.img" >"$work/initrd.cpio" ;;
  *) cp "$work/initrd.img" "$work/initrd.cpio" ;;
esac
# A newc cpio archive carries each member's name in clear text: enough to see what it holds
# without cpio. Which modules it must hold is checked below, against the root's kernel config.
modules="$(grep -aoE 'lib/modules/[^/]+/kernel/[A-Za-z0-9_./-]+\.ko(\.xz|\.zst)?' "$work/initrd.cpio" | sort -u || true)"
note "the initramfs holds $(grep -c . <<<"$modules" || true) kernel modules"
expect "the initramfs's init is initramfs-tools'" grep -aq 'scripts/local' "$work/initrd.cpio"
rm -f "$work/initrd.cpio" "$work/initrd.img"

echo "== archy-boot-b (partition 3): slot b, empty until the first update"
mdir -i "$(fat archy-boot-b)" ::/ 2>&1 | sed 's/^/        /'
expect "boot-b is a FAT filesystem" mdir -i "$(fat archy-boot-b)" ::/
if mtype -i "$(fat archy-boot-b)" ::/config.txt >/dev/null 2>&1; then
  fail "boot-b has no config.txt (a fresh image's slot b must not look bootable)"
else
  pass "boot-b has no config.txt (a fresh image's slot b must not look bootable)"
fi

echo "== archy-root-a (partition 4): the erofs root"
dd if="$img" of="$work/root-a.erofs" bs=1M skip=$((offset[archy-root-a] / 1048576)) \
  count=$((size[archy-root-a] / 1048576)) status=none
dump.erofs -s "$work/root-a.erofs" | sed 's/^/        /'
expect "blkid sees erofs on root-a" test "$(blkid -p -o value -s TYPE "$work/root-a.erofs")" = erofs
mkdir "$work/root"
if fsck.erofs --extract="$work/root" "$work/root-a.erofs" >"$work/fsck.log" 2>&1; then
  pass "fsck.erofs: every file of root-a decodes ($(du -sm "$work/root" | cut -f1) MiB)"
else
  fail "fsck.erofs on root-a: $(tail -n3 "$work/fsck.log")"
fi
rm -f "$work/root-a.erofs"
version="$(cat "$work/root/usr/lib/archipelago-os/version" 2>/dev/null || true)"
note "OS version in the root: ${version:-none}"
if [ -n "$want_version" ]; then
  expect "the root's version is $want_version" test "$version" = "$want_version"
fi
expect "boot-a's archipelago-os.txt names this version" grep -qx "version=$version" <(fat_text archy-boot-a archipelago-os.txt)
node_type="$(file -b "$work/root/usr/bin/node" 2>/dev/null || true)"
note "node: ${node_type:0:120}"
expect "Node is an aarch64 binary" grep -q 'ARM aarch64' <<<"$node_type"
kver="$(fat_text archy-boot-a archipelago-os.txt | sed -n 's/^kernel=//p')"
expect "the root has the modules of boot-a's kernel ($kver)" test -d "$work/root/usr/lib/modules/$kver"
# What the initramfs needs to find and mount the root on a Pi 4, by kernel option: built in (=y)
# is fine, a module (=m) must be in the initramfs. erofs; the SD card (sdhci-iproc, mmc_block,
# gpio-regulator: the card's supply and 1.8 V I/O regulators); USB disks (xhci-pci for the VL805
# on PCIe, reset-raspberrypi to reset it, usb-storage, uas).
kconfig="$work/root/boot/config-$kver"
expect "the root has the kernel's config (/boot/config-$kver)" test -f "$kconfig"
for pair in EROFS_FS:erofs MMC_SDHCI_IPROC:sdhci-iproc MMC_BLOCK:mmc_block REGULATOR_GPIO:gpio-regulator \
  USB_XHCI_PCI:xhci-pci RESET_RASPBERRYPI:reset-raspberrypi USB_STORAGE:usb-storage USB_UAS:uas; do
  option="CONFIG_${pair%%:*}" module="${pair#*:}"
  case "$(sed -n "s/^$option=//p" "$kconfig" 2>/dev/null)" in
    y) pass "$module is built into the kernel ($option=y)" ;;
    m) expect "the initramfs carries $module ($option=m)" grep -qE "/$module\.ko" <<<"$modules" ;;
    *) fail "the kernel has $module ($option is not set)" ;;
  esac
done
expect "the root's systemd is aarch64" grep -q 'ARM aarch64' <(file -bL "$work/root/usr/lib/systemd/systemd")
expect "the root's fstab mounts archy-data at /var" grep -qE '^(PART)?LABEL=archy-data[[:space:]]+/var[[:space:]]' "$work/root/etc/fstab"
expect "the root has the daemon bundle" test -s "$work/root/usr/lib/archipelago/core/dist/bundle/archy.mjs"
rm -rf "$work/root"

echo "== archy-root-b (partition 5): empty until the first update"
dd if="$img" of="$work/root-b" bs=1M skip=$((offset[archy-root-b] / 1048576)) count=4 status=none
expect "root-b holds no filesystem yet" test -z "$(blkid -p -o value -s TYPE "$work/root-b" || true)"
rm -f "$work/root-b"

echo "== archy-data (partition 6)"
dd if="$img" of="$work/data" bs=1M skip=$((offset[archy-data] / 1048576)) count=$((size[archy-data] / 1048576)) status=none
note "$(blkid -p "$work/data" | sed "s|$work/data: ||")"
expect "data is ext4 labelled archy-data" test "$(blkid -p -o value -s TYPE "$work/data")-$(blkid -p -o value -s LABEL "$work/data")" = ext4-archy-data
rm -f "$work/data"

echo
if [ "${#failures[@]}" -eq 0 ]; then
  echo "rpi-image-check: all checks passed (structure only: this image has not been booted on a Pi)"
else
  echo "rpi-image-check: ${#failures[@]} check(s) failed:"
  printf '  - %s\n' "${failures[@]}"
  exit 1
fi
