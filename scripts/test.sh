#!/usr/bin/env bash
# Installs everything the tests need (Podman and its helpers, a registry, Chromium, the npm
# dependencies) and runs the whole suite: lint, type check, unit and integration tests. The
# integration tests drive real rootless Podman, so when started as root they run as the
# unprivileged user host-setup.sh creates.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"

if [ "$(id -u)" -eq 0 ]; then
  scripts/host-setup.sh --test
elif ! podman info --format '{{.Host.Security.Rootless}}' 2>/dev/null | grep -q true; then
  echo "rootless Podman is not set up for $(id -un); run 'sudo npm test' once (it runs scripts/host-setup.sh)" >&2
  exit 1
fi
scripts/ensure-deps.sh

echo "[test] lint and format"
npm run lint --silent

# Test artifacts (screenshots, reports) are written by the unprivileged test user.
# Vite bundles the vitest config into node_modules/.vite-temp, which a root install owns.
mkdir -p test-output node_modules/.vite-temp
if [ "$(id -u)" -eq 0 ]; then chown "${ARCHY_USER:-archy}:" test-output node_modules/.vite-temp; fi

echo "[test] unit and integration tests (real rootless Podman)"
cd core
exec "$root/scripts/as-archy.sh" "$root/node_modules/.bin/vitest" run "$@"
