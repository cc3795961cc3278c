#!/bin/sh
# lightning-double: a TEST DOUBLE of an LND-shaped Lightning node. At first start it writes into
# its data folder (LIGHTNING_DOUBLE_DIR, default /data) what LND writes there: tls.cert (and
# tls.key) and data/chain/bitcoin/<network>/admin.macaroon (random bytes standing for a
# macaroon), then serves LND's REST GET /v1/getinfo on LIGHTNING_DOUBLE_REST_PORT (default 8080,
# plain HTTP): 200 only when the header Grpc-Metadata-macaroon carries the macaroon in hex.
# It is not Lightning: no channels, no gRPC, no chain backend.
set -eu
DIR=${LIGHTNING_DOUBLE_DIR:-/data}
NETWORK=${LIGHTNING_DOUBLE_NETWORK:-regtest}
MACDIR="$DIR/data/chain/bitcoin/$NETWORK"
mkdir -p "$MACDIR"
if [ ! -f "$DIR/tls.cert" ]; then
  cp /etc/lightning-double/tls.key "$DIR/tls.key"
  chmod 600 "$DIR/tls.key"
  cp /etc/lightning-double/tls.cert "$DIR/tls.cert"
  echo "lightning-double: wrote $DIR/tls.cert"
fi
if [ ! -f "$MACDIR/admin.macaroon" ]; then
  dd if=/dev/urandom of="$MACDIR/admin.macaroon.tmp" bs=32 count=1 2> /dev/null
  chmod 600 "$MACDIR/admin.macaroon.tmp"
  mv "$MACDIR/admin.macaroon.tmp" "$MACDIR/admin.macaroon"
  echo "lightning-double: wrote $MACDIR/admin.macaroon"
fi
export LIGHTNING_DOUBLE_MACAROON="$MACDIR/admin.macaroon" LIGHTNING_DOUBLE_NETWORK="$NETWORK"
echo "lightning-double: REST on port ${LIGHTNING_DOUBLE_REST_PORT:-8080} (plain HTTP)"
# busybox httpd runs CGI only under /cgi-bin/, and LND's path is /v1/getinfo: nc runs the handler
# once per connection instead (-ll: keep listening).
exec nc -ll -p "${LIGHTNING_DOUBLE_REST_PORT:-8080}" -e /usr/local/bin/lightning-double-rest
