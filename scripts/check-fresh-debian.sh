#!/usr/bin/env bash
# Proves that a truly minimal Debian 12 with Node and npm becomes an Archipelago node with the
# README's commands alone, and fails when host-setup.sh misses a package. It builds a fresh root
# (mmdebstrap --variant=minbase bookworm: no recommends, nothing a developer machine happens to
# have), copies in this machine's Node and npm and this checkout, and inside it:
#   host-setup  scripts/host-setup.sh as root, as a user would run it
#   network     as the rootless user: an isolated bridge network, two containers of an image made
#               from the root's busybox-static, one reaching the other by name
#   npm-deps    scripts/ensure-deps.sh, the first thing npm start does: npm ci and the build
#   smoke       npm start in the background, offline (loopback only, a network namespace of its
#               own), `archy list`, `archy install hello` to healthy, the page on
#               127.0.0.1:18080, an onion for it (the Tor image built from the root's own tor
#               package, DisableNetwork 1), a restic backup of it to a folder, then SIGTERM, and
#               no daemon or Podman service left behind
#   test-setup  (--full) scripts/host-setup.sh --test
#   npm-test    (--full) the whole npm test, offline like the smoke step
# Nothing is cached between runs: every package comes from Debian's mirrors each time.
#
# Usage (as root): scripts/check-fresh-debian.sh [--full] [--prove-sensitivity]
#   --full               also run npm test inside the root (slow)
#   --prove-sensitivity  remove iptables after host-setup: the network step, and so the check,
#                        must then fail — shows that the check catches a missing package
# Env: ARCHY_CHECK_MIRROR (default http://deb.debian.org) — where Debian packages come from.
#
# Mounts (/proc, /sys, a fresh /dev, a tmpfs /run) live in a private mount namespace, and every
# process of the check in a PID namespace of its own: when the check ends, however it ends, its
# processes are stopped and its mounts vanish with the namespaces; then the root is removed.
set -euo pipefail

CHECKOUT_IN_ROOT=/srv/archipelago
# Where a TLS-intercepting proxy's CA (this machine's NODE_EXTRA_CA_CERTS) goes in the root.
EXTRA_CA=/usr/local/share/archy-check/extra-ca.pem
# The times of the phases that run inside the root.
TIMES_IN_ROOT=/var/tmp/archy-check-times
# The hello app's fixed host port (apps/hello/manifest.yml).
HELLO_PORT=18080

log() { printf '[check] %s\n' "$*"; }
fail() {
  printf '[check] FAILED: %s\n' "$*" >&2
  exit 1
}

# --- timing: one "phase<TAB>seconds<TAB>result" line per phase in $ARCHY_CHECK_TIMES ---------
# A phase that does not reach phase_end is recorded as failed by the exit traps.
phase_begin() {
  PHASE="$1"
  PHASE_STARTED=$(date +%s)
  log "== $PHASE"
}
phase_end() {
  local result="${1:-ok}" took=$(($(date +%s) - PHASE_STARTED))
  printf '%s\t%s\t%s\n' "$PHASE" "$took" "$result" >>"$ARCHY_CHECK_TIMES"
  log "== $PHASE: $result in ${took}s"
  PHASE=""
}
run_phase() {
  phase_begin "$1"
  shift
  "$@"
  phase_end
}

# ==============================================================================================
# Inside the root, as the rootless user (called through scripts/as-archy.sh).
# ==============================================================================================
cleanup_network_step() {
  podman rm -f -t 0 "$SERVER" "$CLIENT" >/dev/null 2>&1 || true
  podman network rm -f "$NET" >/dev/null 2>&1 || true
  podman rmi -f "$IMAGE" >/dev/null 2>&1 || true
  rm -rf "$ROOTFS"
}

# Names used by the step and by its cleanup trap (globals: the trap may run after it returned).
NET=archy-check-net IMAGE=localhost/archy-check/busybox:1 SERVER=archy-check-server CLIENT=archy-check-client
user_network_step() {
  local answer="" attempt
  ROOTFS="$(mktemp -d)"
  trap cleanup_network_step EXIT

  [ "$(podman info --format '{{.Host.Security.Rootless}}')" = true ] || fail "podman is not rootless for $(id -un)"
  # A tiny image from the root's own busybox-static.
  mkdir -p "$ROOTFS/bin" "$ROOTFS/www"
  cp /bin/busybox "$ROOTFS/bin/busybox"
  ln -s busybox "$ROOTFS/bin/sh"
  echo archy-check-ok >"$ROOTFS/www/index.html"
  tar -C "$ROOTFS" -c . | podman import -q - "$IMAGE" >/dev/null
  podman network create --opt isolate=true "$NET" >/dev/null
  podman run -d --name "$SERVER" --network "$NET" "$IMAGE" /bin/busybox httpd -f -p 8080 -h /www >/dev/null ||
    fail "could not start a container on the bridge network $NET (Podman's error is above)"
  # aardvark-dns may need a moment to learn the new name. busybox-static's `wget -T` crashes, so
  # the wait is bounded from outside the container.
  for attempt in 1 2 3 4 5; do
    podman rm -f -t 0 "$CLIENT" >/dev/null 2>&1 || true
    answer="$(timeout 20 podman run --rm --name "$CLIENT" --network "$NET" "$IMAGE" \
      /bin/busybox wget -q -O - "http://$SERVER:8080/" 2>&1)" && break
    log "attempt $attempt: $answer"
    sleep 1
  done
  [ "$answer" = archy-check-ok ] || fail "a container could not reach $SERVER by name on the bridge network $NET: $answer"
  log "a container reached $SERVER by name on the isolated bridge network $NET"
}

# ==============================================================================================
# Inside the root, as root.
# ==============================================================================================
root_host_setup() {
  cd "$CHECKOUT_IN_ROOT"
  scripts/host-setup.sh
}

root_remove_iptables() {
  log "--prove-sensitivity: removing iptables; the network step must now fail"
  DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq iptables >/dev/null
}

root_network() {
  cd "$CHECKOUT_IN_ROOT"
  scripts/as-archy.sh bash scripts/check-fresh-debian.sh --as-user-network
}

# A free loopback port, asked of the kernel.
free_port() {
  node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})'
}

health_of() {
  node -e 'console.log(JSON.parse(process.argv[1]).health)' "$1" 2>/dev/null || true
}

# The processes whose command line contains $1 (this root is a PID namespace of its own: every
# process here is one the check started).
procs_matching() {
  local dir pid cmd
  for dir in /proc/[0-9]*; do
    pid="${dir#/proc/}"
    cmd="$(tr '\0' ' ' <"$dir/cmdline" 2>/dev/null)" || continue
    case "$cmd" in *"$1"*) echo "$pid $cmd" ;; esac
  done
}

stop_npm_start() {
  if [ -d "/proc/$NPM_PID" ]; then
    kill -TERM "$NPM_PID" 2>/dev/null || true
    for _ in $(seq 60); do [ -d "/proc/$NPM_PID" ] || break; sleep 0.5; done
    if [ -d "/proc/$NPM_PID" ]; then kill -KILL "$NPM_PID" 2>/dev/null || true; fi
  fi
  wait "$NPM_PID" 2>/dev/null || true
}

root_npm_deps() {
  cd "$CHECKOUT_IN_ROOT"
  scripts/ensure-deps.sh
}

# The node on loopback only, in a network namespace of its own: it must need neither the internet
# nor a registry, and its ports (hello's 18080) cannot collide with this machine's.
root_smoke() {
  exec unshare --net -- bash "$CHECKOUT_IN_ROOT/scripts/check-fresh-debian.sh" --root-step root_smoke_offline
}

root_smoke_offline() {
  cd "$CHECKOUT_IN_ROOT"
  local port log=/var/tmp/archy-check-npm-start.log status page deadline left
  busybox ip link set lo up
  port="$(free_port)"
  log "npm start with ARCHY_LISTEN=127.0.0.1:$port (log: $log inside the root)"
  # Offline here: the apps' Tor makes its onion keys without trying to reach the network.
  ARCHY_TOR_DISABLE_NETWORK=1 ARCHY_LISTEN="127.0.0.1:$port" npm start >"$log" 2>&1 &
  NPM_PID=$!
  trap stop_npm_start EXIT

  # npm start builds first (the dependencies are installed already).
  deadline=$(($(date +%s) + 600))
  until command -v archy >/dev/null && archy list >/dev/null 2>&1; do
    if [ ! -d "/proc/$NPM_PID" ]; then
      tail -n 30 "$log" >&2
      fail "npm start exited before the node answered (the end of its log is above)"
    fi
    [ "$(date +%s)" -lt "$deadline" ] || {
      tail -n 30 "$log" >&2
      fail "the node did not answer archy list within 10 minutes"
    }
    sleep 2
  done
  log "archy list answers: $(command -v archy)"
  archy install hello || {
    tail -n 30 "$log" >&2
    fail "archy install hello failed"
  }
  deadline=$(($(date +%s) + 60))
  until status="$(archy status hello --json)" && [ "$(health_of "$status")" = healthy ]; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "hello did not become healthy within 60 s: $status"
    sleep 1
  done
  page="$(node -e 'fetch("http://127.0.0.1:'"$HELLO_PORT"'/").then(async r=>{console.log(r.status,await r.text())}).catch(e=>{console.log(e.message);process.exit(1)})')" ||
    fail "http://127.0.0.1:$HELLO_PORT/ did not answer: $page"
  case "$page" in "200 "*"Hello from Archipelago"*) ;; *) fail "http://127.0.0.1:$HELLO_PORT/ answered unexpectedly: $page" ;; esac
  log "hello is healthy and serves http://127.0.0.1:$HELLO_PORT/"

  # Tor and restic are run-time packages of host-setup: prove both work on this minimal root.
  archy onion add hello 8080 >/dev/null || {
    tail -n 30 "$log" >&2
    fail "archy onion add hello 8080 failed (the Tor image is built from the host's tor package)"
  }
  deadline=$(($(date +%s) + 120))
  until status="$(archy status hello --json)" && printf '%s' "$status" | grep -Eq '"address": ?"[a-z2-7]{56}\.onion"'; do
    [ "$(date +%s)" -lt "$deadline" ] || fail "hello's onion address did not appear within 120 s: $status"
    sleep 1
  done
  log "hello has an onion address (its own Tor, built from the root's tor package)"
  archy backup init --to /var/tmp/archy-check-backups --confirm-key-saved --same-disk >/dev/null ||
    fail "archy backup init failed"
  archy backup create hello >/dev/null || {
    tail -n 30 "$log" >&2
    fail "archy backup create hello failed"
  }
  archy backup list --json |
    node -e 'let s="";process.stdin.on("data",(d)=>(s+=d)).on("end",()=>process.exit(JSON.parse(s).some((snap)=>snap.apps.some((app)=>app.id==="hello"))?0:1))' ||
    fail "archy backup list shows no snapshot of hello"
  log "a restic backup of hello is in /var/tmp/archy-check-backups"

  log "stopping npm start (SIGTERM to pid $NPM_PID)"
  kill -TERM "$NPM_PID"
  for _ in $(seq 60); do [ -d "/proc/$NPM_PID" ] || break; sleep 0.5; done
  if [ -d "/proc/$NPM_PID" ]; then fail "npm start (pid $NPM_PID) did not stop within 30 s of SIGTERM"; fi
  wait "$NPM_PID" 2>/dev/null || true
  trap - EXIT
  left="$(procs_matching 'archy.mjs daemon'; procs_matching 'podman system service')"
  [ -z "$left" ] || fail "left running after npm start stopped:
$left"
  # App containers outlive the daemon by design; the check removes what it made.
  left="$(scripts/as-archy.sh podman ps -a --format '{{.Names}}')"
  [ -z "$left" ] || log "containers left after the node stopped (removing them): $left"
  # An app's Tor container shares its main container's network namespace: Podman refuses to
  # remove the main one while the other exists, so `rm -a` may need a second pass.
  scripts/as-archy.sh podman rm -a -f -t 5 >/dev/null 2>&1 || scripts/as-archy.sh podman rm -a -f -t 5 >/dev/null
  log "npm start stopped; no daemon or Podman service left"
}

root_test_setup() {
  cd "$CHECKOUT_IN_ROOT"
  scripts/host-setup.sh --test
}

# Like the smoke step, loopback only in a network namespace of its own: tests must not need the
# internet, and their registry (127.0.0.1:5000) and ports stay apart from this machine's.
root_npm_test() {
  exec unshare --net -- bash "$CHECKOUT_IN_ROOT/scripts/check-fresh-debian.sh" --root-step root_npm_test_offline
}

root_npm_test_offline() {
  cd "$CHECKOUT_IN_ROOT"
  busybox ip link set lo up
  # The check itself is not repeated inside its own root.
  ARCHY_SKIP_FRESH_DEBIAN_CHECK=1 npm test
}

# ==============================================================================================
# In the private mount and PID namespaces: mount what a machine has, pivot into the root, then
# run each step there in a clean environment.
# ==============================================================================================
in_root() {
  # A login-like environment: what `sudo` on a fresh machine gives, not this shell's.
  local env=(HOME=/root USER=root LOGNAME=root TERM=dumb
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin)
  local name
  for name in http_proxy https_proxy no_proxy HTTP_PROXY HTTPS_PROXY NO_PROXY; do
    if [ -n "${!name:-}" ]; then env+=("$name=${!name}"); fi
  done
  # A machine that reaches the internet through a TLS-intercepting proxy has its CA configured.
  if [ -f "$EXTRA_CA" ]; then env+=(NODE_EXTRA_CA_CERTS="$EXTRA_CA" npm_config_cafile="$EXTRA_CA"); fi
  # In the background: bash runs a trap only between commands, and `wait` lets a SIGTERM in.
  (cd / && exec env -i "${env[@]}" bash "$CHECKOUT_IN_ROOT/scripts/check-fresh-debian.sh" "$@") &
  wait $!
}

# Makes the root this mount namespace's / with what a running machine has mounted. pivot_root,
# not chroot: the kernel refuses user namespaces (rootless Podman) to a chrooted process.
enter_machine() {
  mount --rbind "$ROOT" "$ROOT"
  mount -t proc proc "$ROOT/proc"
  mount --rbind /sys "$ROOT/sys"
  # A /dev of its own, as a fresh machine has it (/dev/net/tun 0600: host-setup must fix that),
  # so nothing host-setup changes there touches this machine's devices.
  mount -t tmpfs -o mode=0755,nosuid dev "$ROOT/dev"
  local spec node major minor
  for spec in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
    IFS=: read -r node major minor <<<"$spec"
    mknod -m 666 "$ROOT/dev/$node" c "$major" "$minor"
  done
  mkdir -p "$ROOT/dev/net" "$ROOT/dev/pts" "$ROOT/dev/shm"
  mknod -m 600 "$ROOT/dev/net/tun" c 10 200
  mknod -m 666 "$ROOT/dev/fuse" c 10 229
  mount -t devpts -o newinstance,ptmxmode=0666,mode=0620,gid=5 devpts "$ROOT/dev/pts"
  ln -s pts/ptmx "$ROOT/dev/ptmx"
  mount -t tmpfs -o mode=1777,nosuid,nodev shm "$ROOT/dev/shm"
  ln -s /proc/self/fd "$ROOT/dev/fd"
  ln -s /proc/self/fd/0 "$ROOT/dev/stdin"
  ln -s /proc/self/fd/1 "$ROOT/dev/stdout"
  ln -s /proc/self/fd/2 "$ROOT/dev/stderr"
  mount -t tmpfs -o mode=0755,nosuid,nodev run "$ROOT/run"
  # pivot_root(".", "."), then detach the old root that now sits on top (see pivot_root(2)).
  cd "$ROOT"
  pivot_root . .
  umount -l .
  cd /
}

# The live processes of this PID namespace other than this shell: all of them are the check's.
namespace_processes() {
  local dir pid state
  for dir in /proc/[0-9]*; do
    pid="${dir##*/}"
    [ "$pid" = 1 ] || [ "$pid" = "$BASHPID" ] && continue
    state="$(awk '{print $3}' "$dir/stat" 2>/dev/null)" || continue
    [ "$state" = Z ] || echo "$pid"
  done
}

# On leaving the namespace, however: stop every process in it (its mounts go with the namespace).
leave_namespace() {
  local status=$? pid left
  trap - EXIT
  if [ -n "${PHASE:-}" ]; then phase_end failed; fi
  left="$(namespace_processes)"
  if [ -n "$left" ]; then
    log "stopping $(echo "$left" | wc -l) processes left in the root"
    for pid in $left; do kill -TERM "$pid" 2>/dev/null || true; done
    for _ in $(seq 20); do [ -z "$(namespace_processes)" ] && break; sleep 0.5; done
    for pid in $(namespace_processes); do kill -KILL "$pid" 2>/dev/null || true; done
  fi
  exit "$status"
}

in_namespace() {
  trap leave_namespace EXIT
  # As the namespace's first process this shell gets a signal only if it handles it.
  trap 'exit 143' TERM
  trap 'exit 130' INT
  enter_machine
  # From here on / is the root; the times of these phases are kept in it for the host to read.
  ARCHY_CHECK_TIMES="$TIMES_IN_ROOT"
  run_phase host-setup in_root --root-step root_host_setup
  if [ "$PROVE_SENSITIVITY" -eq 1 ]; then
    run_phase remove-iptables in_root --root-step root_remove_iptables
    # Must fail; if it does not, the check cannot tell a machine without iptables from a good one.
    run_phase network in_root --root-step root_network
    fail "--prove-sensitivity: the network step passed without iptables, so this check would not catch a missing package"
  fi
  run_phase network in_root --root-step root_network
  run_phase npm-deps in_root --root-step root_npm_deps
  run_phase smoke in_root --root-step root_smoke
  if [ "$FULL" -eq 1 ]; then
    run_phase test-setup in_root --root-step root_test_setup
    run_phase npm-test in_root --root-step root_npm_test
  fi
}

# ==============================================================================================
# On the host.
# ==============================================================================================
bootstrap() {
  local mirror="${ARCHY_CHECK_MIRROR:-http://deb.debian.org}"
  # In a private mount namespace too: mmdebstrap mounts inside the root while it works.
  unshare --mount --propagation private -- mmdebstrap --quiet --variant=minbase bookworm "$ROOT" \
    "deb $mirror/debian bookworm main" "deb $mirror/debian bookworm-updates main" \
    "deb $mirror/debian-security bookworm-security main"
  # What the installer writes and mmdebstrap leaves out.
  printf '127.0.0.1\tlocalhost\n::1\t\tlocalhost ip6-localhost ip6-loopback\n' >"$ROOT/etc/hosts"
}

# Node and npm as a user has them: this machine's node binary, its npm (the folder and the
# npm/npx links on the PATH), and nothing else — no package, no dependency of one.
install_node() {
  local node npm npx npm_dir
  node="$(readlink -f "$(command -v node)")"
  npm="$(command -v npm)" npx="$(command -v npx)"
  npm_dir="$(readlink -f "$npm")"
  npm_dir="${npm_dir%/bin/*}"
  tar -C / -cf - "${node#/}" "${npm_dir#/}" "${npm#/}" "${npx#/}" | tar -C "$ROOT" -xf -
  if [ -n "${NODE_EXTRA_CA_CERTS:-}" ] && [ -f "$NODE_EXTRA_CA_CERTS" ]; then
    install -D -m 0644 "$NODE_EXTRA_CA_CERTS" "$ROOT$EXTRA_CA"
    log "passing this machine's NODE_EXTRA_CA_CERTS on to Node and npm in the root"
  fi
  log "node $(env -u NODE_EXTRA_CA_CERTS chroot "$ROOT" node --version) ($node)," \
    "npm $(env -u NODE_EXTRA_CA_CERTS chroot "$ROOT" npm --version) ($npm_dir)"
}

# The checkout as a clone has it: tracked and untracked-but-not-ignored files (no node_modules,
# no .archy, no build output).
copy_checkout() {
  mkdir -p "$ROOT$CHECKOUT_IN_ROOT"
  git -C "$REPO" ls-files -co --exclude-standard -z |
    while IFS= read -r -d '' f; do if [ -e "$REPO/$f" ] || [ -L "$REPO/$f" ]; then printf '%s\0' "$f"; fi; done |
    tar -C "$REPO" --null -T - -cf - | tar -C "$ROOT$CHECKOUT_IN_ROOT" -xf -
  log "copied $(find "$ROOT$CHECKOUT_IN_ROOT" -type f | wc -l) files of $REPO to $CHECKOUT_IN_ROOT"
}

main() {
  FULL=0 PROVE_SENSITIVITY=0
  local arg
  for arg in "$@"; do
    case "$arg" in
      --full) FULL=1 ;;
      --prove-sensitivity) PROVE_SENSITIVITY=1 ;;
      *) fail "unknown option $arg; usage: scripts/check-fresh-debian.sh [--full] [--prove-sensitivity]" ;;
    esac
  done
  [ "$(id -u)" -eq 0 ] || fail "the check must run as root (it builds a Debian root and mounts /proc, /sys and /dev into it)"
  local tool
  for tool in mmdebstrap unshare pivot_root chroot git node findmnt; do
    command -v "$tool" >/dev/null || fail "$tool is missing; install what the tests need with: scripts/host-setup.sh --test"
  done

  REPO="$(cd "$(dirname "$0")/.." && pwd)"
  STARTED=$(date +%s)
  WORK="$(mktemp -d /var/tmp/archy-fresh-debian.XXXXXX)"
  ROOT="$WORK/root"
  ARCHY_CHECK_TIMES="$WORK/times"
  : >"$ARCHY_CHECK_TIMES"
  NS_PID=""
  trap finish EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
  log "building a minimal Debian 12 in $ROOT"

  run_phase bootstrap bootstrap
  run_phase install-node install_node
  run_phase copy-checkout copy_checkout

  export ROOT FULL PROVE_SENSITIVITY ARCHY_CHECK_TIMES
  # --kill-child: should unshare die, the namespace's first process gets SIGKILL, and with it
  # every process in the namespace.
  unshare --mount --propagation private --pid --fork --kill-child -- bash "$REPO/scripts/check-fresh-debian.sh" --in-namespace &
  NS_PID=$!
  wait "$NS_PID"
}

# On exit, whatever the cause: end the namespace (its processes and mounts go with it), remove
# the root, print the times.
finish() {
  local status=$? child caught=0
  trap - EXIT INT TERM
  if [ -n "${PHASE:-}" ]; then phase_end failed; fi
  if [ -n "${NS_PID:-}" ] && [ -d "/proc/$NS_PID" ]; then
    # The namespace's first process (unshare's child) stops the others on SIGTERM; the mounts go with the namespace.
    local children=()
    read -r -a children <"/proc/$NS_PID/task/$NS_PID/children" 2>/dev/null || true
    for child in "${children[@]}"; do kill -TERM "$child" 2>/dev/null || true; done
    for _ in $(seq 60); do [ -d "/proc/$NS_PID" ] || break; sleep 0.5; done
    kill -KILL "$NS_PID" 2>/dev/null || true
    wait "$NS_PID" 2>/dev/null || true
  fi
  if [ -n "${WORK:-}" ] && [ -d "$WORK" ]; then
    if [ -f "$ROOT$TIMES_IN_ROOT" ]; then cat "$ROOT$TIMES_IN_ROOT" >>"$ARCHY_CHECK_TIMES"; fi
    printf '[check] %-16s %7s  %s\n' phase seconds result
    awk -F'\t' '{printf "[check] %-16s %7s  %s\n", $1, $2, $3}' "$ARCHY_CHECK_TIMES"
    printf '[check] %-16s %7s\n' total "$(($(date +%s) - STARTED))"
    if [ "$PROVE_SENSITIVITY" -eq 1 ] && grep -q $'^network\t.*\tfailed$' "$ARCHY_CHECK_TIMES"; then caught=1; fi
    # The listing first: grep -q ending a pipe early fails it (pipefail), which would read as "nothing mounted".
    if grep -qF "$WORK" <<<"$(findmnt -rn -o TARGET)"; then
      echo "[check] something is still mounted under $WORK; not removing it (see: findmnt | grep $WORK)" >&2
    else
      rm -rf "$WORK"
    fi
  fi
  if [ "$status" -eq 0 ]; then log "PASSED"; else log "FAILED (exit $status)"; fi
  if [ "$caught" = 1 ]; then
    log "--prove-sensitivity: without iptables the network step failed, as it must: the check catches a missing package"
  fi
  exit "$status"
}

case "${1:-}" in
  --in-namespace) in_namespace ;;
  --root-step) "$2" ;;
  --as-user-network) user_network_step ;;
  *) main "$@" ;;
esac
