# shellcheck shell=bash disable=SC2034 # a sourced library: its constants are used by the scripts that source it
# The read-only root as an erofs image (sourced, after common.sh). One function, used by the disk builds and by
# make-update.sh, so a flashed root and an updated root are made the same way.

# os_make_erofs SRC_DIR OUT_FILE VERSION: lz4hc-compressed erofs of SRC_DIR. Reproducible: every
# inode gets SOURCE_DATE_EPOCH as its time, and the filesystem UUID is derived from the version
# (two builds of one version give one UUID; two versions never share one).
os_make_erofs() {
  local src="$1" out="$2" version="$3" epoch="${SOURCE_DATE_EPOCH:-0}" uuid
  uuid="$(os_uuid "archipelago-os-root $version")"
  rm -f "$out"
  # -T: every inode's time is the epoch, not the time the build copied it. Extended attributes
  # stay (file capabilities). lz4hc decompresses fast on a Pi's small cores; ztailpacking puts
  # the compressed tails of small files inline (smaller image, fewer reads).
  mkfs.erofs -zlz4hc,12 -Eztailpacking -T"$epoch" -U "$uuid" --quiet "$out" "$src"
}
