#!/bin/sh
# dependent-double: a TEST DOUBLE of an app that depends on a Bitcoin node (and optionally a
# Lightning node), e.g. LND, electrs or mempool. It uses only what Archipelago hands a dependent
# (environment ARCHY_DEP_<N>_* and secret files), logs what it learns, and serves it on
# http://<container>:${DEPENDENT_DOUBLE_PORT:-8080}/ for tests:
#   /env                 the ARCHY_DEP_* environment it got
#   /rpc/<method>        first line ok|failed, then bitcoin-cli's output, per method it calls
#   /zmq                 one line per ZMQ message: topic hex-body sequence
#   /zmq-state           subscribed | waiting
#   /lightning           first line ok|failed, then the REST answer to GET /v1/getinfo
#   /lightning-tls       first line of the TLS certificate file and its sha256sum
#   /secrets             the secret files it was given (names and sizes, never contents)
# Settings: DEPENDENT_DOUBLE_BITCOIN (default BITCOIN_NODE: the <N> of ARCHY_DEP_<N>_*),
# DEPENDENT_DOUBLE_LIGHTNING (default LIGHTNING_NODE), DEPENDENT_DOUBLE_RPC_METHODS (default
# getblockchaininfo), DEPENDENT_DOUBLE_ZMQ_TOPIC (default HASHBLOCK: which _ZMQ_<TOPIC> endpoint),
# DEPENDENT_DOUBLE_INTERVAL (seconds between rounds, default 2).
set -u
WWW=/tmp/dependent-double
mkdir -p "$WWW/rpc"
B=${DEPENDENT_DOUBLE_BITCOIN:-BITCOIN_NODE}
L=${DEPENDENT_DOUBLE_LIGHTNING:-LIGHTNING_NODE}
INTERVAL=${DEPENDENT_DOUBLE_INTERVAL:-2}
var() { eval "printf '%s' \"\${ARCHY_DEP_${1}:-}\""; }
log() { echo "dependent-double: $*"; }

env | grep '^ARCHY_DEP_' | sort > "$WWW/env"
log "environment:"; cat "$WWW/env"
: > "$WWW/secrets"
for f in /run/secrets/*; do [ -f "$f" ] && echo "$f $(wc -c < "$f")" >> "$WWW/secrets"; done
log "secret files:"; cat "$WWW/secrets"
echo waiting > "$WWW/zmq-state"
: > "$WWW/zmq"

httpd -p "${DEPENDENT_DOUBLE_PORT:-8080}" -h "$WWW" &

# ZMQ: subscribe to the endpoint it was given, again whenever zmq-sub ends.
TOPIC=${DEPENDENT_DOUBLE_ZMQ_TOPIC:-HASHBLOCK}
ZMQ=$(var "${B}_ZMQ_${TOPIC}")
if [ -n "$ZMQ" ]; then
  topic=$(echo "$TOPIC" | tr 'A-Z' 'a-z')
  (
    while :; do
      zmq-sub "$ZMQ" "$topic" 2> "$WWW/zmq-sub.err" | while read -r line; do
        echo "$line" >> "$WWW/zmq"
        log "zmq: $line"
      done
      sleep 1
    done
  ) &
  (
    while :; do
      grep -q '^zmq-sub: subscribed' "$WWW/zmq-sub.err" 2> /dev/null && echo subscribed > "$WWW/zmq-state"
      sleep 0.2
    done
  ) &
  log "subscribing to $topic at $ZMQ"
fi

rpc() {
  host=$(var "${B}_HOST") port=$(var "${B}_RPC_PORT")
  cookie=$(var "${B}_RPC_COOKIE_FILE") user=$(var "${B}_RPC_USER") pwfile=$(var "${B}_RPC_PASSWORD_FILE")
  if [ -n "$cookie" ]; then
    bitcoin-cli -rpcconnect="$host" -rpcport="$port" -rpccookiefile="$cookie" "$@" 2>&1
  else
    bitcoin-cli -rpcconnect="$host" -rpcport="$port" -rpcuser="$user" -rpcpassword="$(cat "$pwfile")" "$@" 2>&1
  fi
}

lightning() {
  host=$(var "${L}_HOST") port=$(var "${L}_REST_PORT") mac=$(var "${L}_MACAROON_FILE") cert=$(var "${L}_TLS_CERT_FILE")
  [ -n "$host" ] || return 0
  if [ -n "$cert" ]; then
    { head -n 1 "$cert"; sha256sum "$cert" | cut -d' ' -f1; } > "$WWW/lightning-tls.tmp" 2>&1
    mv "$WWW/lightning-tls.tmp" "$WWW/lightning-tls"
  fi
  hexmac=$(od -An -v -tx1 "$mac" 2> /dev/null | tr -d ' \n')
  # busybox's wget segfaults in this FROM-scratch image (even given an IP address), so nc speaks
  # HTTP; names are resolved by resolve-host (the double's binary), not by busybox.
  ip=$(resolve-host "$host" 2>&1) || { printf 'failed\n%s\n' "$ip" > "$WWW/lightning"; return 0; }
  # The double serves REST over plain HTTP (busybox has no TLS server); the real LND serves HTTPS.
  answer=$(printf 'GET /v1/getinfo HTTP/1.0\r\nHost: %s\r\nGrpc-Metadata-macaroon: %s\r\n\r\n' "$host" "$hexmac" |
    nc -w 5 "$ip" "$port" 2>&1 | tr -d '\r')
  status=$(echo "$answer" | head -n 1)
  body=$(echo "$answer" | sed '1,/^$/d')
  case "$status" in
    "HTTP/1."?" 200 "*) printf 'ok\n%s\n' "$body" > "$WWW/lightning.tmp" ;;
    *) printf 'failed\n%s\n%s\n' "$status" "$body" > "$WWW/lightning.tmp" ;;
  esac
  mv "$WWW/lightning.tmp" "$WWW/lightning"
}

trap 'exit 0' TERM INT
while :; do
  if [ -n "$(var "${B}_HOST")" ]; then
    for method in ${DEPENDENT_DOUBLE_RPC_METHODS:-getblockchaininfo}; do
      if out=$(rpc "$method"); then status=ok; else status=failed; fi
      printf '%s\n%s\n' "$status" "$out" > "$WWW/rpc/$method.tmp"
      mv "$WWW/rpc/$method.tmp" "$WWW/rpc/$method"
      [ -f "$WWW/rpc/$method.logged" ] && [ "$(cat "$WWW/rpc/$method.logged")" = "$status" ] ||
        { log "rpc $method: $status"; echo "$out" | head -n 20; echo "$status" > "$WWW/rpc/$method.logged"; }
    done
  fi
  lightning
  sleep "$INTERVAL" &
  wait $!
done
