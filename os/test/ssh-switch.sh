#!/usr/bin/env bash
# /usr/lib/archipelago-os/ssh-switch without a VM: os/test/ssh-switch.sh (as root: the node's
# files are root's). A real FAT image made with mkfs.vfat stands in for the boot partition (read
# and written with mtools, as on a Pi), keys are made with ssh-keygen. Checks: no file changes
# nothing; keys turn SSH on (root-owned authorized_keys, the flag) and the file is consumed with a
# result beside it; a Windows-edited file (BOM, CR LF, comments) works; a private key, a key with
# options, junk and an empty file are refused and change nothing; `off` turns it off. The qemu
# boot test logs in with a key flashed by os/flash.sh --ssh-key.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
lib="$(dirname "$here")/rootfs/usr/lib/archipelago-os"
[ "$(id -u)" -eq 0 ] || {
  echo "ssh-switch test: run as root (sudo os/test/ssh-switch.sh): the switch makes root-owned files" >&2
  exit 1
}
t=$(mktemp -d /tmp/archy-ssh-switch-test.XXXXXX)
cleanup() {
  local status=$?
  rm -rf "$t"
  ((status == 0)) && echo "ssh-switch: all checks passed" || echo "ssh-switch: FAILED" >&2
}
trap cleanup EXIT
die() {
  printf '  not ok - %s\n' "$*" >&2
  exit 1
}
pass() { printf '  ok - %s\n' "$*"; }
export MTOOLS_SKIP_CHECK=1 ARCHY_OS_LIB="$lib" ARCHY_OS_SSH_DIR="$t/ssh" ARCHY_OS_BOOT_DEVICE="$t/boot.img"
mkfs.vfat -C -n ARCHY-ESP "$t/boot.img" 8192 >/dev/null
ssh-keygen -q -t ed25519 -N '' -C 'owner@laptop' -f "$t/owner"
ssh-keygen -q -t ecdsa -N '' -C 'second key' -f "$t/second"

put() { printf '%b' "$1" >"$t/in" && mcopy -o -i "$t/boot.img" "$t/in" ::/archipelago-ssh.txt; }
result() { mtype -i "$t/boot.img" ::/archipelago-ssh-result.txt | tr -d '\r'; }
consumed() { ! mdir -b -i "$t/boot.img" ::/archipelago-ssh.txt >/dev/null 2>&1; }
switch() { "$lib/ssh-switch" >"$t/out" 2>&1 || die "ssh-switch failed: $(cat "$t/out")"; }

switch
[ ! -e "$t/ssh" ] && ! mdir -b -i "$t/boot.img" ::/archipelago-ssh-result.txt >/dev/null 2>&1 ||
  die "without a file something changed"
pass "no file: nothing changes, nothing written"

put "$(cat "$t/owner.pub")\n"
switch
[ -f "$t/ssh/enabled" ] || die "keys did not turn SSH on: $(result)"
cmp -s "$t/ssh/authorized_keys" "$t/owner.pub" || die "authorized_keys is not the key"
[ "$(stat -c '%U:%G %a' "$t/ssh/authorized_keys")" = "root:root 644" ] || die "authorized_keys: $(stat -c '%U:%G %a' "$t/ssh/authorized_keys")"
consumed || die "the keys file was left on the boot partition"
result | grep -q "SSH is on for the user archy with 1 key" || die "result: $(result)"
result | grep -qF "$(ssh-keygen -l -f "$t/owner.pub" | cut -d' ' -f2)" || die "the result lacks the key's fingerprint"
grep -q 'ssh-switch: SSH is on' "$t/out" || die "nothing said on the console: $(cat "$t/out")"
pass "a key turns SSH on: root-owned authorized_keys, the flag, the file consumed, the fingerprint in the result"

# As Notepad saves it: a byte-order mark, CR LF, a comment and blank lines; two keys replace one.
put "\xEF\xBB\xBF# my keys\r\n\r\n$(cat "$t/second.pub")\r\n  $(cat "$t/owner.pub")  \r\n"
switch
[ "$(wc -l <"$t/ssh/authorized_keys")" -eq 2 ] && ! grep -q $'\r' "$t/ssh/authorized_keys" ||
  die "a Windows-edited file: $(cat -A "$t/ssh/authorized_keys")"
ssh-keygen -l -f "$t/ssh/authorized_keys" >/dev/null || die "ssh-keygen cannot read what was written"
pass "a Windows-edited file (BOM, CR LF, comment, blank lines, spaces) gives two clean keys"

before="$(cat "$t/ssh/authorized_keys")"
refused() { # refused CONTENT WHAT PATTERN
  put "$1"
  switch
  [ -f "$t/ssh/enabled" ] && [ "$(cat "$t/ssh/authorized_keys")" = "$before" ] || die "$2 changed the keys"
  consumed || die "$2 was left on the boot partition"
  result | grep -q "Not applied, SSH is still on: $3" || die "$2: result $(result)"
  pass "$2 is refused and changes nothing ($(result | cut -c1-90)…)"
}
refused "$(cat "$t/owner")\n" "a private key" "the file holds a PRIVATE key"
refused "command=\"/bin/sh\" $(cat "$t/owner.pub")\n" "a key with options" 'key 1 is not an SSH public key (it starts "command=?/bin/sh? ssh-e'
refused "$(cat "$t/owner.pub")\nssh-ed25519 AAAAnotbase64ofakey me\n" "a broken second key" "key 2 is not an SSH public key"
refused "" "an empty file" "the file has no key"
head -c 70000 /dev/zero | tr '\0' 'A' >"$t/big" && mcopy -o -i "$t/boot.img" "$t/big" ::/archipelago-ssh.txt
switch
result | grep -q "larger than 64 KiB" && [ -f "$t/ssh/enabled" ] || die "a large file: $(result)"
pass "a file over 64 KiB is refused"

put "OFF\r\n"
switch
[ ! -e "$t/ssh/enabled" ] && [ ! -e "$t/ssh/authorized_keys" ] || die "off left SSH on"
result | grep -q '^SSH is off' || die "result: $(result)"
consumed || die "the off file was left"
pass "'off' turns SSH off and removes the keys"

refused_off() {
  put "ssh-rsa\n"
  switch
  [ ! -e "$t/ssh/enabled" ] || die "junk turned SSH on"
  result | grep -q "Not applied, SSH is still off" || die "result: $(result)"
  pass "junk while off: still off, and the result says so"
}
refused_off
