# shellcheck shell=bash disable=SC2034 # a sourced library: its constants are used by the scripts that source it
# The x86_64 UEFI disk image (sourced): GPT with an ESP (systemd-boot), two root slots and the
# data partition (design: os/README.md "Disk layout"). Made from files, without loop devices or
# mounts: mkfs.vfat -C + mtools for the ESP, mkfs.ext4 for the data, sfdisk on the image file.

# GPT partition types (UAPI Discoverable Partitions Specification): the ESP; "Linux root
# (x86-64)" for the slots; a plain Linux filesystem for the data, so systemd's gpt-auto
# generator never mounts it on its own (fstab mounts it at /var by label).
readonly GPT_TYPE_ESP=C12A7328-F81F-11D2-BA4B-00A0C93EC93B
readonly GPT_TYPE_ROOT_X86_64=4F68BCE3-E8CD-4DB1-96E7-FBCAF984B709
readonly GPT_TYPE_LINUX=0FC63DAF-8483-4772-8E79-3D69D8477DE4

# os_kernel_files ROOT: the newest kernel and its initramfs in ROOT/boot ("vmlinuz initrd").
os_kernel_files() {
  local root="$1" kernel version
  kernel="$(find "$root/boot" -maxdepth 1 -name 'vmlinuz-*' | LC_ALL=C sort -V | tail -n1)"
  [ -n "$kernel" ] || os_fail "no kernel in $root/boot"
  version="${kernel##*/vmlinuz-}"
  [ -f "$root/boot/initrd.img-$version" ] || os_fail "no initramfs for kernel $version in $root/boot"
  printf '%s %s\n' "$kernel" "$root/boot/initrd.img-$version"
}

# os_loader_entry SLOT VERSION CMDLINE_EXTRA: a Boot Loader Specification entry for a slot.
os_loader_entry() {
  local slot="$1" version="$2" extra="$3"
  cat <<ENTRY
title      Archipelago OS $version (slot $slot)
version    $version
sort-key   archipelago-os
linux      /$slot/vmlinuz
initrd     /$slot/initrd.img
options    root=PARTLABEL=archy-root-$slot rootfstype=erofs ro archy.slot=$slot panic=10 console=tty0 console=ttyS0,115200n8 $extra
ENTRY
}

# os_build_disk_x86_64 ROOT EROFS OUT_IMG VERSION WORK_DIR
os_build_disk_x86_64() {
  local root="$1" erofs="$2" out="$3" version="$4" work="$5" kernel initrd extra=""
  local esp="$work/esp.img" data="$work/data.img" loader="$work/loader" mib=2048 # sectors per MiB
  read -r kernel initrd < <(os_kernel_files "$root")
  local erofs_mib=$((($(stat -c %s "$erofs") + 1048575) / 1048576))
  [ "$erofs_mib" -le "$OS_ROOT_SLOT_MIB" ] ||
    os_fail "the root ($erofs_mib MiB) does not fit a slot ($OS_ROOT_SLOT_MIB MiB): make it smaller or the slots bigger (os/lib/common.sh)"
  # The kernel's hardening options (os/README.md "Hardening"), on every slot's command line.
  extra="$(cat "$OS_DIR/lib/cmdline-hardening.txt")"

  # The ESP: systemd-boot as the firmware's default loader, slot a's kernel and entry. No menu
  # (timeout 0) and no editing of the kernel's command line from the keyboard (editor no).
  export MTOOLS_SKIP_CHECK=1
  rm -f "$esp"
  mkfs.vfat -F 32 -n ARCHY-ESP -i "$(printf '%s' "esp $version" | sha256sum | cut -c1-8)" \
    -C "$esp" $((OS_ESP_MIB * 1024)) >/dev/null
  mmd -i "$esp" ::/EFI ::/EFI/BOOT ::/EFI/systemd ::/loader ::/loader/entries ::/a ::/b
  mcopy -i "$esp" "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/BOOT/BOOTX64.EFI
  mcopy -i "$esp" "$root/usr/lib/systemd/boot/efi/systemd-bootx64.efi" ::/EFI/systemd/systemd-bootx64.efi
  mcopy -i "$esp" "$kernel" ::/a/vmlinuz
  mcopy -i "$esp" "$initrd" ::/a/initrd.img
  mkdir -p "$loader"
  printf 'timeout 0\neditor no\nauto-entries no\nauto-firmware no\nconsole-mode keep\n' >"$loader/loader.conf"
  os_loader_entry a "$version" "$extra" >"$loader/archipelago-os-a.conf"
  mcopy -i "$esp" "$loader/loader.conf" ::/loader/loader.conf
  mcopy -i "$esp" "$loader/archipelago-os-a.conf" ::/loader/entries/archipelago-os-a.conf

  # The data partition: an empty ext4 (the factory service seeds it at first boot).
  rm -f "$data"
  mkfs.ext4 -q -L "$OS_LABEL_DATA" -U "$(os_uuid "data $version")" -E root_owner=0:0 \
    "$data" "${OS_DATA_INITIAL_MIB}M"

  # The disk: 1 MiB for the GPT, the four partitions, 1 MiB for the backup GPT.
  local esp_start=$mib esp_size=$((OS_ESP_MIB * mib)) slot_size=$((OS_ROOT_SLOT_MIB * mib))
  local a_start=$((esp_start + esp_size)) b_start=$((esp_start + esp_size + slot_size))
  local data_start=$((b_start + slot_size)) data_size=$((OS_DATA_INITIAL_MIB * mib))
  rm -f "$out"
  truncate -s $(((data_start + data_size + mib) * 512)) "$out"
  sfdisk --quiet "$out" <<TABLE
label: gpt
label-id: $(os_uuid "disk $version")
unit: sectors
first-lba: 2048
start=$esp_start, size=$esp_size, type=$GPT_TYPE_ESP, uuid=$(os_uuid "esp $version"), name="$OS_LABEL_ESP"
start=$a_start, size=$slot_size, type=$GPT_TYPE_ROOT_X86_64, uuid=$(os_uuid "root-a $version"), name="$OS_LABEL_ROOT_A"
start=$b_start, size=$slot_size, type=$GPT_TYPE_ROOT_X86_64, uuid=$(os_uuid "root-b $version"), name="$OS_LABEL_ROOT_B"
start=$data_start, size=$data_size, type=$GPT_TYPE_LINUX, uuid=$(os_uuid "data $version"), name="$OS_LABEL_DATA"
TABLE
  dd if="$esp" of="$out" bs=1M seek=$((esp_start / mib)) conv=notrunc,sparse status=none
  dd if="$erofs" of="$out" bs=1M seek=$((a_start / mib)) conv=notrunc,sparse status=none
  dd if="$data" of="$out" bs=1M seek=$((data_start / mib)) conv=notrunc,sparse status=none
  rm -f "$esp" "$data"
}
