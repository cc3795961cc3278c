# shellcheck shell=bash
# Reading and writing files on the boot partitions (sourced by firstboot and ssh-switch): the FAT
# partitions any computer can read and write, so the owner can leave the node a file there. A
# partition is reached through its mount point when /etc/fstab mounted it (the ESP at /efi), else
# with mtools (the Pi's boot slots, never mounted): never both ways at once. The units that use
# this run one after the other, never side by side (two mtools writers would corrupt a FAT).
export MTOOLS_SKIP_CHECK=1

# The boot partitions holding entries/cmdlines: the ESP on x86_64, the boot slots on a Pi.
# ARCHY_OS_BOOT_DEVICE (a FAT image file, for os/test/ssh-switch.sh) replaces the search.
boot_devices() {
  local label
  if [ -n "${ARCHY_OS_BOOT_DEVICE:-}" ]; then
    printf '%s\n' "$ARCHY_OS_BOOT_DEVICE"
    return 0
  fi
  for label in archy-esp archy-boot-a archy-boot-b; do
    [ -b "/dev/disk/by-partlabel/$label" ] && readlink -f "/dev/disk/by-partlabel/$label"
  done
  return 0
}
# Where DEV is mounted, or nothing. findmnt fails for a partition mounted nowhere (the Pi's boot
# slots): that is an answer, not an error (under set -e and pipefail it would end the caller).
mount_of() { findmnt -n -o TARGET --source "$1" 2>/dev/null | sed -n 1p || true; }
# boot_exists DEV PATH: whether the file is there (empty or not).
boot_exists() {
  local mnt
  mnt="$(mount_of "$1")"
  if [ -n "$mnt" ]; then [ -f "$mnt/$2" ]; else mdir -b -i "$1" "::/$2" >/dev/null 2>&1; fi
}
# boot_read DEV PATH: the file's content (nothing when absent). Never fails, also not when the
# reader stops early (head -c): the writer's SIGPIPE is taken in here.
boot_read() {
  local mnt
  mnt="$(mount_of "$1")"
  if [ -n "$mnt" ]; then cat "$mnt/$2" 2>/dev/null || true; else mtype -i "$1" "::/$2" 2>/dev/null || true; fi
}
# boot_write DEV PATH LOCAL: replaces PATH with LOCAL's content, by writing a new file and renaming
# it over the old one (a power cut leaves the old file or the new one, never half of one).
boot_write() {
  local mnt
  mnt="$(mount_of "$1")"
  if [ -n "$mnt" ]; then
    cp "$3" "$mnt/$2.tmp" && sync -f "$mnt" && mv -f "$mnt/$2.tmp" "$mnt/$2" && sync -f "$mnt"
  else
    mcopy -o -i "$1" "$3" "::/$2.tmp"
    mdel -i "$1" "::/$2" 2>/dev/null || true
    mren -i "$1" "::/$2.tmp" "::/$2"
  fi
}
boot_remove() {
  local mnt
  mnt="$(mount_of "$1")"
  if [ -n "$mnt" ]; then rm -f "$mnt/$2"; else mdel -i "$1" "::/$2" 2>/dev/null || true; fi
}
boot_list_entries() {
  local mnt
  mnt="$(mount_of "$1")"
  if [ -n "$mnt" ]; then
    find "$mnt/loader/entries" -maxdepth 1 -name '*.conf' -printf 'loader/entries/%f\n' 2>/dev/null || true
  else
    mdir -b -i "$1" ::/loader/entries 2>/dev/null | grep -E '\.conf$' | sed 's|^::/||' || true
  fi
}
