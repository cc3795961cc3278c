#!/usr/bin/env bash
# Serves the images of the bundled apps from a registry on 127.0.0.1:5000, built on this
# machine from Debian's busybox-static: nodes pull only from a registry they trust, and a
# fresh machine has none. Run as the rootless user (start.sh does). Idempotent.
#   scripts/local-registry.sh STATE_DIR
set -euo pipefail
cd "$(dirname "$0")/.."
repo="$PWD"
state="${1:?usage: local-registry.sh STATE_DIR}"
registry=127.0.0.1:5000
mkdir -p "$state/registry"

if ! curl -fsS -o /dev/null "http://$registry/v2/"; then
  cat >"$state/registry.yml" <<CONF
version: 0.1
storage:
  filesystem:
    rootdirectory: $state/registry
http:
  addr: $registry
CONF
  nohup docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 &
  echo $! >"$state/registry.pid"
  for _ in $(seq 50); do curl -fsS -o /dev/null "http://$registry/v2/" && break; sleep 0.1; done
  curl -fsS -o /dev/null "http://$registry/v2/" || { echo "the local registry did not start; see $state/registry.log" >&2; exit 1; }
fi

# hello: busybox httpd serving apps/hello/www.
image="$registry/apps/hello:1.0.0"
if ! curl -fsS -o /dev/null "http://$registry/v2/apps/hello/manifests/1.0.0"; then
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  mkdir -p "$work/rootfs/bin" "$work/rootfs/tmp" "$work/rootfs/data"
  cp /bin/busybox "$work/rootfs/bin/busybox"
  for applet in sh httpd cat echo ls sleep; do ln -s busybox "$work/rootfs/bin/$applet"; done
  cp -r "$repo/apps/hello/www" "$work/rootfs/www"
  tar -C "$work/rootfs" -c . | podman import -q --change 'CMD ["/bin/sh","-c","exec httpd -f -p 8080 -h /www"]' - "$image" >/dev/null
  podman push -q --tls-verify=false "$image"
  echo "[start] published $image"
fi
