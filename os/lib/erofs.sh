# shellcheck shell=bash
# The read-only root filesystem (sourced, not run): one erofs command shared by the image build
# (os/build.sh, slot a) and the update bundle (os/make-update.sh), so a root made by either is
# byte-for-byte the same for the same tree, version and SOURCE_DATE_EPOCH.

# A filesystem UUID that depends only on the version: two builds of one version give the same
# image (reproducible), two versions differ (the kernel and blkid can tell the slots apart).
os_erofs_uuid() {
  local hex
  hex=$(printf 'archipelago-os-root:%s' "$1" | sha256sum | cut -c1-32)
  # Shape it as an RFC 4122 name-based UUID (version nibble 5, variant bits 10xx).
  printf '%s-%s-5%s-%x%s-%s\n' "${hex:0:8}" "${hex:8:4}" "${hex:13:3}" \
    $(((0x${hex:16:1} & 0x3) | 0x8)) "${hex:17:3}" "${hex:20:12}"
}

# os_make_erofs SRC_DIR OUT_FILE VERSION: the root tree SRC_DIR as an lz4hc-compressed erofs
# image. Every file gets the timestamp SOURCE_DATE_EPOCH (default 0) so the image does not
# depend on when the tree was staged. Ownership and modes are kept as in SRC_DIR (run as root).
os_make_erofs() {
  local src="$1" out="$2" version="$3"
  [[ -d "$src" ]] || {
    printf '[os] FAILED: %s\n' "os_make_erofs: $src is not a directory" >&2
    return 1
  }
  rm -f "$out"
  mkfs.erofs --quiet -zlz4hc -T "${SOURCE_DATE_EPOCH:-0}" -U "$(os_erofs_uuid "$version")" \
    "$out" "$src"
}
