#!/bin/bash
# Tests the OS's host firewall for real, without a VM: os/rootfs/etc/nftables.conf and
# os/rootfs/usr/lib/archipelago-os/firewall-sync run in a network namespace of their own ("node"),
# listeners run there as root and as an unprivileged uid, and a second namespace ("peer", the other
# end of a veth pair, 10.218.0.0/24 and fd18::/64) probes which ports answer.
#
# Nothing outside the two namespaces is touched: the host's own firewall, routes and interfaces stay
# as they are. Everything started here (namespaces, listeners) is removed on exit, pass or fail.
#
# Run as root: os/test/firewall.sh      (needs nftables, iproute2, python3, util-linux's setpriv)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
rules="$here/../rootfs/etc/nftables.conf"
sync="$here/../rootfs/usr/lib/archipelago-os/firewall-sync"
# An unprivileged uid with no passwd entry: nothing on this machine's user list is needed or used.
readonly APP_UID=64018
readonly NODE="h18fw-node-$$" PEER="h18fw-peer-$$"
readonly NODE_IP=10.218.0.1 PEER_IP=10.218.0.2 NODE_IP6=fd18::1 PEER_IP6=fd18::2

[ "$(id -u)" -eq 0 ] || {
  echo "firewall.sh: run as root (it creates network namespaces)" >&2
  exit 1
}
for tool in nft ss ip nsenter setpriv; do
  command -v "$tool" >/dev/null || {
    echo "firewall.sh: '$tool' is missing (apt-get install nftables iproute2 util-linux)" >&2
    exit 1
  }
done
# The system's Python (the listeners run as a uid that cannot enter root's own tool folders).
python=/usr/bin/python3
[ -x "$python" ] || {
  echo "firewall.sh: $python is missing (apt-get install python3-minimal)" >&2
  exit 1
}

# nsenter, not `ip netns exec`: the latter mounts a fresh /sys without the cgroup2 tree ss -e reads.
in_node() { nsenter --net="/run/netns/$NODE" "$@"; }
in_peer() { nsenter --net="/run/netns/$PEER" "$@"; }

pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  for pid in "${pids[@]}"; do wait "$pid" 2>/dev/null || true; done
  ip netns del "$NODE" 2>/dev/null || true
  ip netns del "$PEER" 2>/dev/null || true
}
trap cleanup EXIT

failures=0
pass() { printf '  ok    %s\n' "$*"; }
fail() {
  printf '  FAIL  %s\n' "$*"
  failures=$((failures + 1))
}

# --- two namespaces joined by a veth pair ------------------------------------------------------
ip netns add "$NODE"
ip netns add "$PEER"
ip -n "$NODE" link set lo up
ip -n "$PEER" link set lo up
ip -n "$NODE" link add eth0 type veth peer name eth0 netns "$PEER"
ip -n "$NODE" addr add "$NODE_IP/24" dev eth0
ip -n "$PEER" addr add "$PEER_IP/24" dev eth0
ip -n "$NODE" addr add "$NODE_IP6/64" dev eth0 nodad
ip -n "$PEER" addr add "$PEER_IP6/64" dev eth0 nodad
ip -n "$NODE" link set eth0 up
ip -n "$PEER" link set eth0 up

# --- listeners on the node ----------------------------------------------------------------------
# A TCP listener greets and closes; a UDP one echoes. Arguments: tcp|udp ADDRESS PORT.
listener_py='
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
if proto == "tcp":
    s = socket.socket(family, socket.SOCK_STREAM)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, port))
    s.listen()
    while True:
        c, _ = s.accept()
        c.sendall(b"hi\n")
        c.close()
else:
    s = socket.socket(family, socket.SOCK_DGRAM)
    s.bind((host, port))
    while True:
        data, peer = s.recvfrom(512)
        s.sendto(data, peer)
'
# listen root|app tcp|udp ADDRESS PORT
listen() {
  local who="$1"
  shift
  # nsenter execs setpriv, which execs Python: $! is the listener itself, so kill reaches it.
  if [ "$who" = root ]; then
    nsenter --net="/run/netns/$NODE" "$python" -c "$listener_py" "$@" &
  else
    nsenter --net="/run/netns/$NODE" setpriv --reuid="$APP_UID" --regid="$APP_UID" --clear-groups \
      "$python" -c "$listener_py" "$@" &
  fi
  pids+=("$!")
}

listen root tcp :: 80            # stands in for the daemon's UI (the ruleset admits tcp 80 itself)
listen root tcp 0.0.0.0 2222     # a root service: must stay closed
listen root udp 0.0.0.0 2223     # a root UDP service: must stay closed
listen app tcp 0.0.0.0 8333      # an app's published port (rootlessport): admitted by firewall-sync
listen app udp 0.0.0.0 8334      # an app's published UDP port: admitted
listen app tcp :: 8335           # IPv6 (dual-stack) listener of the app user: admitted
listen app tcp 127.0.0.1 9000    # the app user on loopback only: not admitted

# Wait until all seven sockets exist.
for _ in $(seq 50); do
  [ "$(in_node ss -H -l -n -t -u | wc -l)" -ge 7 ] && break
  sleep 0.1
done

# --- probes from the peer -----------------------------------------------------------------------
probe_py='
import socket, sys
proto, host, port = sys.argv[1], sys.argv[2], int(sys.argv[3])
family = socket.AF_INET6 if ":" in host else socket.AF_INET
if proto == "icmp":  # one echo request (IPv4), answered or not
    s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_ICMP)
    s.settimeout(1.0)
    body = bytes([8, 0, 0, 0, 0x12, 0x34, 0, 1]) + b"archipelago"
    total = sum((body[i] << 8) + body[i + 1] for i in range(0, len(body) - 1, 2)) + (body[-1] << 8 if len(body) % 2 else 0)
    while total >> 16:
        total = (total & 0xFFFF) + (total >> 16)
    checksum = ~total & 0xFFFF
    s.sendto(body[:2] + bytes([checksum >> 8, checksum & 0xFF]) + body[4:], (host, 0))
    try:
        while True:
            reply = s.recv(512)
            if reply[20] == 0 and reply[24:26] == b"\x12\x34":
                sys.exit(0)
    except OSError:
        sys.exit(1)
kind = socket.SOCK_STREAM if proto == "tcp" else socket.SOCK_DGRAM
s = socket.socket(family, kind)
s.settimeout(1.0)
try:
    if proto == "tcp":
        s.connect((host, port))
        sys.exit(0 if s.recv(16) == b"hi\n" else 1)
    s.sendto(b"ping", (host, port))
    sys.exit(0 if s.recvfrom(16)[0] == b"ping" else 1)
except OSError:
    sys.exit(1)
'
answers() { in_peer "$python" -c "$probe_py" "$@"; }
# expect open|closed PROTO HOST PORT WHY
expect() {
  local want="$1" proto="$2" host="$3" port="$4" why="$5" got=closed
  answers "$proto" "$host" "$port" && got=open
  if [ "$got" = "$want" ]; then pass "$proto $host:$port $want — $why"; else fail "$proto $host:$port is $got, expected $want — $why"; fi
}
node_sync() { in_node "$sync" --uid "$APP_UID"; }
set_elements() { in_node nft -j list set inet archipelago "$1" | grep -o '"elem": *\[[^]]*\]' | grep -o '[0-9][0-9]*' | paste -s -d' ' - || true; }

echo "1. no firewall yet: every non-loopback listener answers (the probes can see an open port)"
expect open tcp "$NODE_IP" 2222 "root service"
expect open udp "$NODE_IP" 2223 "root UDP service"
expect open tcp "$NODE_IP" 8333 "app port"
expect open udp "$NODE_IP" 8334 "app UDP port"

echo "2. nftables.conf loaded, sets empty: only the UI port answers"
in_node nft -f "$rules"
in_node nft -f "$rules" # a reload (nftables.service restart) must work too
expect open tcp "$NODE_IP" 80 "web UI/API"
expect open tcp "$NODE_IP6" 80 "web UI/API over IPv6"
expect closed tcp "$NODE_IP" 2222 "root service"
expect closed udp "$NODE_IP" 2223 "root UDP service"
expect closed tcp "$NODE_IP" 8333 "app port not synced yet"
expect closed udp "$NODE_IP" 8334 "app UDP port not synced yet"
expect open icmp "$NODE_IP" 0 "ping (ICMP echo)"

echo "3. firewall-sync admits the app user's ports, and only those"
out="$(node_sync)"
printf '%s\n' "$out" | sed 's/^/     /'
if [ "$(set_elements app_tcp)" = "8333 8335" ]; then pass "app_tcp = 8333 8335"; else fail "app_tcp = '$(set_elements app_tcp)', expected '8333 8335' (9000 is loopback only)"; fi
if [ "$(set_elements app_udp)" = "8334" ]; then pass "app_udp = 8334"; else fail "app_udp = '$(set_elements app_udp)', expected '8334'"; fi
expect open tcp "$NODE_IP" 8333 "app port"
expect open udp "$NODE_IP" 8334 "app UDP port"
expect open tcp "$NODE_IP6" 8335 "app port over IPv6"
expect open tcp "$NODE_IP" 8335 "dual-stack app listener over IPv4 (the inet sets serve both families)"
expect closed tcp "$NODE_IP" 2222 "root service"
expect closed udp "$NODE_IP" 2223 "root UDP service"

echo "4. nothing changed: a second run changes nothing and prints nothing"
out="$(node_sync)"
if [ -z "$out" ]; then pass "no output, no transaction"; else fail "second run printed: $out"; fi
if [ -z "$(in_node "$sync" --uid "$APP_UID" --dry-run)" ]; then pass "dry run: nothing to do"; else fail "dry run wanted a change"; fi

echo "5. the app stops (its listener goes away): its port closes at the next run"
kill "${pids[3]}" # listen app tcp 0.0.0.0 8333
wait "${pids[3]}" 2>/dev/null || true
node_sync >/dev/null
if [ "$(set_elements app_tcp)" = "8335" ]; then pass "app_tcp = 8335"; else fail "app_tcp = '$(set_elements app_tcp)', expected '8335'"; fi
expect closed tcp "$NODE_IP" 8333 "app stopped"
expect open tcp "$NODE_IP6" 8335 "the other app port stays"

echo "6. root is never admitted, and a missing table is an error that says what to do"
if in_node "$sync" --uid 0 2>/dev/null; then fail "--uid 0 accepted"; else pass "--uid 0 refused"; fi
in_node nft delete table inet archipelago
if err="$(node_sync 2>&1)"; then fail "ran without its table"; else pass "no table: $err"; fi

if [ "$failures" -gt 0 ]; then
  echo "firewall.sh: $failures check(s) failed"
  exit 1
fi
echo "firewall.sh: all checks passed"
