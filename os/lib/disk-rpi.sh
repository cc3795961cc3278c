# shellcheck shell=bash
# The Raspberry Pi 4/5 disk image (sourced): GPT with a small FAT partition the Pi's EEPROM
# bootloader reads first (autoboot.txt: which boot partition is the default, which one a
# `reboot "0 tryboot"` tries), one FAT boot partition per slot (firmware, kernel, initramfs, dtbs,
# config.txt, cmdline.txt), the two erofs root slots and the data partition. The design, and what
# is and is not verified: os/README.md "ARM64 (Raspberry Pi 4/5)". Made from files, without loop
# devices or mounts: mkfs.vfat -C + mtools, mkfs.ext4 on a file, sfdisk on the image file, dd.
#
# The layout follows the one Raspberry Pi's own image tool uses for A/B with tryboot
# (rpi-image-gen, image/gpt/ab_userdata: GPT, partition 1 a FAT "bootconfig" with autoboot.txt,
# partitions 2 and 3 the slots' FAT boot partitions). GPT rather than MBR: the Pi 4 EEPROM reads
# GPT since its 2020-05 releases and the Pi 5 always has; and a GPT gives the partitions the same
# PARTLABELs as on x86_64, which the initramfs (root=PARTLABEL=…), /etc/fstab, grow-data,
# firstboot and the update tool find them by. MBR would also cap us at four primary partitions.

# Partition labels only the Pi has (the roots and the data partition use common.sh's).
readonly OS_RPI_LABEL_CONFIG=archy-config
readonly OS_RPI_LABEL_BOOT_A=archy-boot-a
readonly OS_RPI_LABEL_BOOT_B=archy-boot-b

# Sizes in MiB. The config partition holds autoboot.txt (and whatever a person or os/flash.sh
# leaves there). A boot slot holds the Pi 4 firmware (2.3 MB), the kernel (32 MB: Debian's arm64
# Image is uncompressed) and the initramfs, with room for a larger kernel later (an update must fit
# the slot the image was flashed with). Everything starts on a 4 MiB boundary: SD cards erase in
# 4 MiB allocation units, and Raspberry Pi OS's own images start their first partition there.
readonly OS_RPI_ALIGN_MIB=4
readonly OS_RPI_CONFIG_MIB=32
readonly OS_RPI_BOOT_SLOT_MIB=256

# GPT partition types: "Microsoft basic data" for the FAT partitions (the Pi bootloader looks for
# basic-data or EFI-system FAT partitions in a GPT; rpi-eeprom issue #130); "Linux root (ARM-64)"
# from the UAPI Discoverable Partitions Specification for the slots; a plain Linux filesystem for
# the data, as on x86_64 (fstab mounts it by label).
readonly OS_RPI_GPT_TYPE_FAT=EBD0A0A2-B9E5-4433-87C0-68B6B72699C7
readonly OS_RPI_GPT_TYPE_ROOT_ARM64=B921B045-1DF0-41C3-AF44-4C6F280D3FAE
readonly OS_RPI_GPT_TYPE_LINUX=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# The Pi 4 family's firmware (the VideoCore's start4.elf and its matching fixup4.dat, from
# Debian's raspi-firmware). The Pi 5 has its firmware in the EEPROM and ignores these files.
readonly OS_RPI_FIRMWARE_FILES=(start4.elf fixup4.dat)

# os_rpi_kernel_version ROOT: the newest kernel's version in ROOT/boot (its initramfs must exist).
os_rpi_kernel_version() {
  local root="$1" kernel kver
  kernel="$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | LC_ALL=C sort -V | tail -n1)"
  [ -n "$kernel" ] || os_fail "no kernel in $root/boot (is linux-image-arm64 in the package list?)"
  kver="${kernel##*/vmlinuz-}"
  [ -f "$root/boot/initrd.img-$kver" ] || os_fail "no initramfs for kernel $kver in $root/boot"
  printf '%s\n' "$kver"
}

# os_rpi_autoboot_txt DEFAULT_PARTITION TRYBOOT_PARTITION: the bootloader's autoboot.txt (at most
# 512 bytes, read from partition 1). tryboot_a_b=1: a tryboot loads the other partition's normal
# config.txt, so the slots' boot partitions are alike and never need a tryboot.txt.
os_rpi_autoboot_txt() {
  printf '[all]\ntryboot_a_b=1\nboot_partition=%s\n[tryboot]\nboot_partition=%s\n' "$1" "$2"
}

# os_rpi_config_txt SLOT VERSION: the firmware's config.txt in a slot's boot partition. The
# settings Debian's raspi-firmware writes for its arm64 kernel (arm_64bit, enable_uart,
# upstream_kernel: the mainline kernel's dtb names), with fixed file names instead of versioned
# ones, so an update replaces files without editing this one.
os_rpi_config_txt() {
  cat <<CONFIG
# Archipelago OS $2, slot $1. Read by the Raspberry Pi firmware; written by the image build and
# by OS updates (changes made here are lost at the next update).
[all]
arm_64bit=1
upstream_kernel=1
enable_uart=1
kernel=vmlinuz
initramfs initrd.img followkernel
cmdline=cmdline.txt
disable_splash=1
CONFIG
}

# os_rpi_cmdline_txt SLOT EXTRA: the kernel's command line (one line). The same root, slot and
# panic options as x86_64's loader entries. Consoles: the HDMI screen and the serial port on the
# GPIO header, which Debian's mainline kernel names ttyS1 on a Pi 3/4 (Debian's raspi-firmware
# hook; Raspberry Pi's own kernel would call it serial0/ttyS0); the last one is /dev/console.
# rootwait: the SD card and USB disks appear some time after the kernel starts.
os_rpi_cmdline_txt() {
  printf 'root=PARTLABEL=archy-root-%s rootfstype=erofs ro rootwait archy.slot=%s panic=10 console=tty0 console=ttyS1,115200%s\n' \
    "$1" "$1" "${2:+ $2}"
}

# os_rpi_slot_files ROOT KVER SLOT VERSION EXTRA DIR: everything a slot's boot partition holds,
# into DIR (also what an OS update writes to the other slot's boot partition).
os_rpi_slot_files() {
  local root="$1" kver="$2" slot="$3" version="$4" extra="$5" dir="$6" file dtbs=0
  local fw="$root/usr/lib/raspi-firmware" dtb_dir="$root/usr/lib/linux-image-$kver/broadcom"
  rm -rf "$dir"
  mkdir -p "$dir"
  for file in "${OS_RPI_FIRMWARE_FILES[@]}"; do
    [ -f "$fw/$file" ] || os_fail "no $fw/$file (is raspi-firmware, from Debian's non-free-firmware component, in the package list?)"
    cp "$fw/$file" "$dir/"
  done
  # The firmware picks the dtb by board: bcm2711-rpi-4-b, -400, -cm4-io (Pi 4 family); the Pi 5's
  # bcm2712-rpi-5-b where the kernel ships one (Debian 12's 6.1 kernel does not).
  for file in "$dtb_dir"/bcm2711-*.dtb "$dtb_dir"/bcm2712-*.dtb; do
    [ -f "$file" ] || continue
    cp "$file" "$dir/"
    dtbs=$((dtbs + 1))
  done
  [ "$dtbs" -gt 0 ] || os_fail "no Raspberry Pi 4/5 device trees in $dtb_dir"
  cp "$root/boot/vmlinuz-$kver" "$dir/vmlinuz"
  cp "$root/boot/initrd.img-$kver" "$dir/initrd.img"
  os_rpi_config_txt "$slot" "$version" >"$dir/config.txt"
  os_rpi_cmdline_txt "$slot" "$extra" >"$dir/cmdline.txt"
  # What this slot boots, for the update tool and a person looking at the card.
  printf 'slot=%s\nversion=%s\nkernel=%s\n' "$slot" "$version" "$kver" >"$dir/archipelago-os.txt"
}

# os_rpi_fat FILE MIB LABEL SEED [DIR]: a FAT filesystem image holding DIR's files (flat).
os_rpi_fat() {
  local file="$1" mib="$2" label="$3" seed="$4" dir="${5:-}" fat=16
  # FAT32 needs 65525 clusters; the 32 MiB config partition is FAT16 (the bootloader reads
  # FAT12/16/32), the 256 MiB boot partitions FAT32 like Raspberry Pi OS's.
  [ "$mib" -ge 128 ] && fat=32
  rm -f "$file"
  mkfs.vfat -F "$fat" -n "$label" -i "$(printf '%s' "$seed" | sha256sum | cut -c1-8)" \
    -C "$file" $((mib * 1024)) >/dev/null
  if [ -n "$dir" ]; then
    MTOOLS_SKIP_CHECK=1 mcopy -i "$file" "$dir"/* ::/
  fi
}

# os_build_disk_rpi ROOT EROFS OUT_IMG VERSION WORK_DIR
os_build_disk_rpi() {
  local root="$1" erofs="$2" out="$3" version="$4" work="$5" kver extra=""
  local config="$work/rpi-config.img" boot_a="$work/rpi-boot-a.img" boot_b="$work/rpi-boot-b.img"
  local data="$work/rpi-data.img" mib=2048 # sectors per MiB
  kver="$(os_rpi_kernel_version "$root")"
  local erofs_mib=$((($(stat -c %s "$erofs") + 1048575) / 1048576))
  [ "$erofs_mib" -le "$OS_ROOT_SLOT_MIB" ] ||
    os_fail "the root ($erofs_mib MiB) does not fit a slot ($OS_ROOT_SLOT_MIB MiB): make it smaller or the slots bigger (os/lib/common.sh)"
  # The kernel's hardening options, as on x86_64 (os/README.md "Hardening"; vsyscall= is x86-only
  # and an arm64 kernel ignores it).
  extra="$(cat "$(dirname "${BASH_SOURCE[0]}")/cmdline-hardening.txt")"

  # Partition 1: autoboot.txt. Slot a (partition 2) is the default; a tryboot tries slot b
  # (partition 3). The update tool swaps the two numbers once an updated slot proved healthy.
  mkdir -p "$work/rpi-config"
  os_rpi_autoboot_txt 2 3 >"$work/rpi-config/autoboot.txt"
  os_rpi_fat "$config" "$OS_RPI_CONFIG_MIB" ARCHY-CONF "config $version" "$work/rpi-config"

  # Partition 2: slot a's boot files. Partition 3: slot b's, empty until the first update (an
  # empty FAT has no config.txt, so the bootloader never counts it as bootable).
  os_rpi_slot_files "$root" "$kver" a "$version" "$extra" "$work/rpi-boot-a"
  local need=$(($(du -sm "$work/rpi-boot-a" | cut -f1) + 1))
  [ "$need" -lt "$OS_RPI_BOOT_SLOT_MIB" ] ||
    os_fail "the boot files ($need MiB) do not fit a boot slot ($OS_RPI_BOOT_SLOT_MIB MiB, os/lib/disk-rpi.sh)"
  os_rpi_fat "$boot_a" "$OS_RPI_BOOT_SLOT_MIB" ARCHY-BOOTA "boot-a $version" "$work/rpi-boot-a"
  os_rpi_fat "$boot_b" "$OS_RPI_BOOT_SLOT_MIB" ARCHY-BOOTB "boot-b $version"

  # The data partition: an empty ext4 (the factory service seeds /var at first boot).
  rm -f "$data"
  mkfs.ext4 -q -L "$OS_LABEL_DATA" -U "$(os_uuid "data $version")" -E root_owner=0:0 \
    "$data" "${OS_DATA_INITIAL_MIB}M" >/dev/null

  # The disk: 4 MiB for the GPT (and alignment), six partitions, 1 MiB for the backup GPT.
  local align=$((OS_RPI_ALIGN_MIB * mib)) boot_size=$((OS_RPI_BOOT_SLOT_MIB * mib))
  local slot_size=$((OS_ROOT_SLOT_MIB * mib)) data_size=$((OS_DATA_INITIAL_MIB * mib))
  local config_start=$align config_size=$((OS_RPI_CONFIG_MIB * mib))
  local boot_a_start=$((config_start + config_size))
  local boot_b_start=$((boot_a_start + boot_size))
  local root_a_start=$((boot_b_start + boot_size))
  local root_b_start=$((root_a_start + slot_size))
  local data_start=$((root_b_start + slot_size))
  rm -f "$out"
  truncate -s $(((data_start + data_size + mib) * 512)) "$out"
  # LegacyBIOSBootable on the FAT partitions: what Raspberry Pi's rpi-image-gen sets on them
  # (genimage's bootable=true); the bootloader does not need it, it does no harm.
  sfdisk --quiet "$out" <<TABLE
label: gpt
label-id: $(os_uuid "rpi disk $version")
unit: sectors
first-lba: 2048
start=$config_start, size=$config_size, type=$OS_RPI_GPT_TYPE_FAT, uuid=$(os_uuid "rpi config $version"), name="$OS_RPI_LABEL_CONFIG", attrs="LegacyBIOSBootable"
start=$boot_a_start, size=$boot_size, type=$OS_RPI_GPT_TYPE_FAT, uuid=$(os_uuid "rpi boot-a $version"), name="$OS_RPI_LABEL_BOOT_A", attrs="LegacyBIOSBootable"
start=$boot_b_start, size=$boot_size, type=$OS_RPI_GPT_TYPE_FAT, uuid=$(os_uuid "rpi boot-b $version"), name="$OS_RPI_LABEL_BOOT_B", attrs="LegacyBIOSBootable"
start=$root_a_start, size=$slot_size, type=$OS_RPI_GPT_TYPE_ROOT_ARM64, uuid=$(os_uuid "rpi root-a $version"), name="$OS_LABEL_ROOT_A"
start=$root_b_start, size=$slot_size, type=$OS_RPI_GPT_TYPE_ROOT_ARM64, uuid=$(os_uuid "rpi root-b $version"), name="$OS_LABEL_ROOT_B"
start=$data_start, size=$data_size, type=$OS_RPI_GPT_TYPE_LINUX, uuid=$(os_uuid "rpi data $version"), name="$OS_LABEL_DATA"
TABLE
  dd if="$config" of="$out" bs=1M seek=$((config_start / mib)) conv=notrunc,sparse status=none
  dd if="$boot_a" of="$out" bs=1M seek=$((boot_a_start / mib)) conv=notrunc,sparse status=none
  dd if="$boot_b" of="$out" bs=1M seek=$((boot_b_start / mib)) conv=notrunc,sparse status=none
  dd if="$erofs" of="$out" bs=1M seek=$((root_a_start / mib)) conv=notrunc,sparse status=none
  dd if="$data" of="$out" bs=1M seek=$((data_start / mib)) conv=notrunc,sparse status=none
  rm -rf "$config" "$boot_a" "$boot_b" "$data" "$work/rpi-config" "$work/rpi-boot-a"
}
