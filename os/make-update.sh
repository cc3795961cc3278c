#!/usr/bin/env bash
# An OS update bundle from a staged root tree (README "OS updates"):
#   sudo os/make-update.sh --root DIR --version V [--arch x86_64] --key SECRETKEY.asc \
#     [--passphrase-file FILE] --out FILE.tar
# DIR is the build's <out>/root-<arch>/ (with /boot/vmlinuz-* and /boot/initrd.img-*). DIR is not
# changed: the version is written into a copy. The bundle is a tar of manifest.json, its
# detached armored OpenPGP signature manifest.json.sig, root.erofs, vmlinuz and initrd.img;
# /usr/lib/archipelago-os/update on the node checks the signature against the keys the image
# was built with (os/build.sh --update-key) and every file against the manifest's sha256.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=os/lib/common.sh
source "$here/lib/common.sh"
# shellcheck source=os/lib/erofs.sh
source "$here/lib/erofs.sh"

usage() {
  sed -n '2,4p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
}

root='' version='' arch=x86_64 key='' passphrase_file='' out=''
while (($# > 0)); do
  case "$1" in
    --root) root="${2:?--root needs a directory}" && shift 2 ;;
    --version) version="${2:?--version needs a value}" && shift 2 ;;
    --arch) arch="${2:?--arch needs x86_64 or arm64}" && shift 2 ;;
    --key) key="${2:?--key needs an armored secret key file}" && shift 2 ;;
    --passphrase-file) passphrase_file="${2:?--passphrase-file needs a file}" && shift 2 ;;
    --out) out="${2:?--out needs a file name}" && shift 2 ;;
    -h | --help) usage ;;
    *) os_fail "unknown argument '$1' (see --help)" ;;
  esac
done
[[ -n "$root" && -n "$version" && -n "$key" && -n "$out" ]] || usage
[[ -d "$root/usr/lib" ]] || os_fail "$root does not look like a staged root (no usr/lib); build one with os/build.sh"
[[ -r "$key" ]] || os_fail "cannot read the signing key $key"
case "$arch" in
  x86_64 | arm64) ;;
  *) os_fail "unknown --arch '$arch': use x86_64 or arm64" ;;
esac
# The version lands in file names, the loader entry and os-release: keep it to a safe alphabet.
# It must sort after the running one (systemd-boot boots the newest `version` first).
[[ "$version" =~ ^[0-9A-Za-z][0-9A-Za-z.+~_-]{0,63}$ ]] ||
  os_fail "version '$version' may only use letters, digits and . + ~ _ - (e.g. 0.3.0 or 2026.12.07)"
# The arch as the kernel names it (uname -m on the node), which the update tool compares.
case "$arch" in
  x86_64) machine=x86_64 ;;
  arm64) machine=aarch64 ;;
esac
((EUID == 0)) || os_fail "run as root (sudo): the root tree's files belong to several users"
for tool in mkfs.erofs gpg sha256sum tar; do
  command -v "$tool" >/dev/null || os_fail "$tool is missing (apt-get install erofs-utils gnupg tar)"
done

work=$(mktemp -d "${TMPDIR:-/var/tmp}/archy-update.XXXXXX")
cleanup() {
  gpgconf --homedir "$work/gnupg" --kill all 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT

newest() { # the newest of the files matching a glob, by version order (one kernel normally)
  local matches=("$@")
  [[ -e "${matches[0]}" ]] || return 1
  printf '%s\n' "${matches[@]}" | sort -V | tail -n 1
}
kernel=$(newest "$root"/boot/vmlinuz-*) || os_fail "$root/boot has no vmlinuz-*"
initrd=$(newest "$root"/boot/initrd.img-*) || os_fail "$root/boot has no initrd.img-*"

os_log "copying $root (the version is written into the copy, not into $root)"
mkdir "$work/bundle"
cp -a "$root" "$work/root"
printf '%s\n' "$version" >"$work/root$OS_LIB_DIR/version"
osrel="$work/root/usr/lib/os-release"
if [[ -f "$osrel" ]] && grep -q '^IMAGE_VERSION=' "$osrel"; then
  sed -i "s/^IMAGE_VERSION=.*/IMAGE_VERSION=$version/" "$osrel"
else
  printf 'IMAGE_VERSION=%s\n' "$version" >>"$osrel"
fi
# os/lib/rootfs.sh names the version in PRETTY_NAME too ("Archipelago OS <V> (Debian 12)").
sed -i -E "s/^PRETTY_NAME=\"Archipelago OS [^ \"]+/PRETTY_NAME=\"Archipelago OS $version/" "$osrel"

os_log "making root.erofs (lz4hc)"
os_make_erofs "$work/root" "$work/bundle/root.erofs" "$version"
cp "$kernel" "$work/bundle/vmlinuz"
cp "$initrd" "$work/bundle/initrd.img"

file_json() { # "name":{"sha256":"…","size":N}
  local file="$work/bundle/$1"
  printf '"%s":{"sha256":"%s","size":%d}' "$1" "$(sha256sum "$file" | cut -d' ' -f1)" "$(stat -c %s "$file")"
}
printf '{"format":1,"version":"%s","arch":"%s","files":{%s,%s,%s}}\n' "$version" "$machine" \
  "$(file_json root.erofs)" "$(file_json vmlinuz)" "$(file_json initrd.img)" >"$work/bundle/manifest.json"

os_log "signing manifest.json"
export GNUPGHOME="$work/gnupg"
mkdir -m 0700 "$GNUPGHOME"
gpg --batch --quiet --import "$key" 2>/dev/null || os_fail "gpg could not import $key"
signer=$(gpg --batch --with-colons --list-secret-keys | awk -F: '$1 == "fpr" { print $10; exit }')
[[ -n "$signer" ]] || os_fail "$key holds no secret key (export it with gpg --export-secret-keys --armor)"
sign=(gpg --batch --yes --armor --local-user "$signer" --detach-sign)
[[ -z "$passphrase_file" ]] || sign+=(--pinentry-mode loopback --passphrase-file "$passphrase_file")
"${sign[@]}" --output "$work/bundle/manifest.json.sig" "$work/bundle/manifest.json" ||
  os_fail "signing failed (a key with a passphrase needs --passphrase-file)"

# The manifest first, so a reader can check the signature before reading the large files.
mkdir -p "$(dirname "$out")"
tar --create --file "$out.part" --directory "$work/bundle" --format=gnu --owner=0 --group=0 \
  --numeric-owner --mtime="@${SOURCE_DATE_EPOCH:-0}" \
  manifest.json manifest.json.sig root.erofs vmlinuz initrd.img
mv "$out.part" "$out"
os_log "wrote $out ($(du -h "$out" | cut -f1); root.erofs $(du -h "$work/bundle/root.erofs" | cut -f1)), version $version, signed by $signer"
