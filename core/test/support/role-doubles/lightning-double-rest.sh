#!/bin/sh
# One HTTP request on stdin, its answer on stdout (run by nc per connection): LND's REST getinfo.
CR=$(printf '\r')
read -r -t 5 method path _ || exit 0
macaroon=
while IFS= read -r -t 5 line; do
  line=${line%"$CR"}
  [ -z "$line" ] && break
  name=$(echo "${line%%:*}" | tr 'A-Z' 'a-z')
  [ "$name" = grpc-metadata-macaroon ] && macaroon=$(echo "${line#*:}" | tr -d ' ' | tr 'A-F' 'a-f')
done
reply() {
  printf 'HTTP/1.1 %s\r\nContent-Type: application/json\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s' \
    "$1" "${#2}" "$2"
  exit 0
}
[ "$method $path" = "GET /v1/getinfo" ] || reply '404 Not Found' '{"code":5,"message":"Not Found","details":[]}'
expected=$(od -An -v -tx1 "$LIGHTNING_DOUBLE_MACAROON" | tr -d ' \n')
# LND's own messages for a missing and a wrong macaroon (it answers them with another status).
[ -n "$macaroon" ] || reply '401 Unauthorized' '{"code":2,"message":"expected 1 macaroon, got 0","details":[]}'
[ "$macaroon" = "$expected" ] ||
  reply '401 Unauthorized' '{"code":2,"message":"verification failed: signature mismatch after caveat verification","details":[]}'
reply '200 OK' "{\"identity_pubkey\":\"02$(echo "$expected" | cut -c1-64)\",\"alias\":\"lightning-double\",\"num_active_channels\":0,\"synced_to_chain\":true,\"block_height\":0,\"chains\":[{\"chain\":\"bitcoin\",\"network\":\"$LIGHTNING_DOUBLE_NETWORK\"}],\"version\":\"0.0.0-lightning-double\"}"
