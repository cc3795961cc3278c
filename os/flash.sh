#!/usr/bin/env bash
# Writes an Archipelago OS image to a disk (an SSD, an SD card, a USB stick) or to a file (a
# virtual machine's disk), then puts a fresh first-run setup code on its boot partition and shows
# it: the code the web UI asks for at http://archipelago.local/ when the node first starts. The
# node takes it at first boot and removes it from the boot partition (os/README.md).
#
# Usage (as root for a device): os/flash.sh IMAGE[.zst] TARGET [--size SIZE] [--setup-code CODE] [--ssh-key FILE] [--yes]
#   TARGET        a whole disk (/dev/sdX, /dev/mmcblk0, /dev/nvme1n1) or a file path
#   --size        a file TARGET's size (e.g. 16G; default the image's): the node grows its data
#                 partition to it at first boot
#   --setup-code  use this code (XXXX-XXXX-XXXX-XXXX) instead of a new one
#   --ssh-key     turn SSH on at first boot for the public key(s) in FILE (e.g. ~/.ssh/id_ed25519.pub;
#                 the user archy, keys only); without it SSH stays off
#   --yes         do not ask before overwriting a disk
# Images written with another tool (balenaEtcher, Raspberry Pi Imager, dd) work too: the node then
# makes its own code at first boot and writes it to the same file (and shows it on its console).
set -euo pipefail
usage="usage: os/flash.sh IMAGE[.zst] TARGET [--size SIZE] [--setup-code CODE] [--ssh-key FILE] [--yes]"
fail() {
  printf 'flash: %s\n' "$*" >&2
  exit 1
}
image="" target="" size="" code="" ssh_keys="" yes=0
while [ "$#" -gt 0 ]; do
  case "$1" in
    --size) size="${2:?$usage}" && shift ;;
    --setup-code) code="${2:?$usage}" && shift ;;
    --ssh-key) ssh_keys="${2:?$usage}" && shift ;;
    --yes) yes=1 ;;
    -*) fail "unknown option '$1'; $usage" ;;
    *) if [ -z "$image" ]; then image="$1"; elif [ -z "$target" ]; then target="$1"; else fail "$usage"; fi ;;
  esac
  shift
done
if [ -z "$image" ] || [ -z "$target" ]; then fail "$usage"; fi
[ -f "$image" ] || fail "no image at $image; build one with: sudo os/build.sh"
command -v mcopy >/dev/null || fail "mtools is missing (apt-get install mtools): it writes the setup code onto the boot partition"

# shellcheck source=os/rootfs/usr/lib/archipelago-os/setup-code.sh
. "$(dirname "$0")/rootfs/usr/lib/archipelago-os/setup-code.sh"
if [ -z "$code" ]; then
  code="$(new_setup_code)"
elif ! [[ "$code" =~ $SETUP_CODE_PATTERN ]]; then
  fail "--setup-code '$code' is not a code like 7K2M-QX9D-4HJT-WN0C (digits and capitals without I, L, O, U)"
fi
# The keys are checked here as the node will check them, so a wrong file fails before anything is
# written rather than at the node's first boot.
if [ -n "$ssh_keys" ]; then
  [ -f "$ssh_keys" ] || fail "--ssh-key: no file at $ssh_keys (your public key, e.g. ~/.ssh/id_ed25519.pub; make one with ssh-keygen -t ed25519)"
  command -v ssh-keygen >/dev/null || fail "--ssh-key needs ssh-keygen to check the key (apt-get install openssh-client)"
  # shellcheck source=os/rootfs/usr/lib/archipelago-os/ssh-keys.sh
  . "$(dirname "$0")/rootfs/usr/lib/archipelago-os/ssh-keys.sh"
  keys_checked="$(mktemp)"
  ssh_keys_normalize "$ssh_keys" "$keys_checked"
  if ssh_keys_is_off "$keys_checked"; then
    problem="it says off; leave --ssh-key out to keep SSH off"
  else
    problem="$(ssh_keys_problem "$ssh_keys" "$keys_checked")"
  fi
  rm -f "$keys_checked"
  [ -z "$problem" ] || fail "--ssh-key $ssh_keys: $problem"
fi

unpack() { case "$image" in *.zst) zstd -dcq "$image" ;; *) cat "$image" ;; esac; }

if [ -b "$target" ]; then
  [ "$(id -u)" -eq 0 ] || fail "writing to $target needs root: sudo os/flash.sh $image $target"
  [ -z "$size" ] || fail "--size is for a file target; a disk is as big as it is"
  # Never the disk this machine runs from, never a disk with a mounted partition.
  if grep -q . <<<"$(lsblk -nrpo MOUNTPOINT "$target" 2>/dev/null)"; then
    fail "$target has mounted partitions ($(lsblk -nrpo NAME,MOUNTPOINT "$target" | awk '$2 {print $1" on "$2}' | tr '\n' ' ')); unmount them first"
  fi
  if [ "$yes" -eq 0 ]; then
    lsblk -o NAME,SIZE,MODEL,TRAN "$target" >&2 || true
    read -r -p "Everything on $target will be erased. Type yes to go on: " answer
    [ "$answer" = yes ] || fail "nothing written"
  fi
  unpack | dd of="$target" bs=4M conv=fsync status=progress
  sync
else
  [ ! -e "$target" ] || [ -f "$target" ] || fail "$target is neither a disk nor a file"
  tmp="$target.part"
  unpack | dd of="$tmp" bs=4M conv=sparse status=none
  if [ -n "$size" ]; then truncate -s "$size" "$tmp"; fi
  mv "$tmp" "$target"
fi

# The boot partition the node reads the code from: the ESP (GPT, x86_64) or boot slot a (Pi).
esp_offset() {
  local line
  line="$(sfdisk --dump "$target" | grep -E 'name="(archy-esp|archy-boot-a)"' | sed -n '1p')"
  [ -n "$line" ] || line="$(sfdisk --dump "$target" | grep -E '^[^ ]+ : start=' | sed -n '1p')"
  [ -n "$line" ] || fail "$target has no partition table after writing: is $image an Archipelago OS image?"
  echo $(($(sed -E 's/.*start= *([0-9]+).*/\1/' <<<"$line") * 512))
}
offset="$(esp_offset)"
printf 'Archipelago setup code: %s\r\n' "$code" >"${TMPDIR:-/tmp}/archipelago-setup-code.$$"
MTOOLS_SKIP_CHECK=1 mcopy -o -i "$target@@$offset" "${TMPDIR:-/tmp}/archipelago-setup-code.$$" ::/archipelago-setup-code.txt
rm -f "${TMPDIR:-/tmp}/archipelago-setup-code.$$"
[ -z "$ssh_keys" ] || MTOOLS_SKIP_CHECK=1 mcopy -o -i "$target@@$offset" "$ssh_keys" "::/$SSH_KEYS_FILE"
sync

cat <<DONE
Archipelago OS is on $target.
  1. Put it into the node and start it, with a network cable to your router.
  2. Open http://archipelago.local/ (or the node's address your router shows) in a browser.
  3. Enter this setup code and choose your password:

       $code

     (also in the file archipelago-setup-code.txt on the disk's boot partition, until the
      password is chosen)
DONE
[ -z "$ssh_keys" ] || cat <<KEYS
  SSH turns on at the first start for the user archy with the key(s) in $ssh_keys:
       ssh archy@archipelago.local
     (archipelago-ssh-result.txt on the boot partition then says what the node did)
KEYS
