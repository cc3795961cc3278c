#!/usr/bin/env bash
# Installs everything the tests need (Podman and its helpers, a registry, Chromium, the npm
# dependencies) and runs the whole suite: lint, unit and integration tests, then (as root) the
# check that a minimal Debian gets all it needs from host-setup.sh. The integration tests drive
# real rootless Podman as a user of their own, ARCHY_TEST_USER (default archy-test), never as the
# user that runs the node (ARCHY_USER, default archy): their images, containers, networks and
# volumes stay out of the storage `npm start` uses.
set -euo pipefail
cd "$(dirname "$0")/.."
root="$PWD"
node_user="${ARCHY_USER:-archy}"
test_user="${ARCHY_TEST_USER:-archy-test}"

if [ "$(id -u)" -eq 0 ]; then
  scripts/host-setup.sh --test
else
  test_user="$(id -un)"
  if [ "$test_user" = "$node_user" ]; then
    echo "npm test must not run as '$node_user': that user runs the node (npm start), and the tests would put their images and containers into its Podman storage. Run 'sudo npm test' (it runs the tests as the user '${ARCHY_TEST_USER:-archy-test}'), or run npm test as another user that has rootless Podman" >&2
    exit 1
  fi
  if ! podman info --format '{{.Host.Security.Rootless}}' 2>/dev/null | grep -q true; then
    echo "rootless Podman is not set up for $test_user; run 'sudo npm test' once (it runs scripts/host-setup.sh --test)" >&2
    exit 1
  fi
fi
scripts/ensure-deps.sh

echo "[test] lint and format"
npm run lint --silent
echo "[test] type check (sources, specs, tests, bench, UI)"
npm run typecheck --silent

# Shared by every test run on this machine (the test registry's leases and storage, the compiled
# bitcoind double, the bitcoin-apps lock, Vite's cache). A run as another user — the node's user,
# before tests had their own — leaves them owned by that user, and /tmp's sticky bit keeps the
# test user from replacing them. Hand them over, unless that user's run is still going.
alive() { [ -n "$1" ] && [ -d "/proc/$1" ]; }
for path in /tmp/archy-test-registry /tmp/archy-bitcoind-double /tmp/archy-test-bitcoin-apps.lock \
  /tmp/archipelago-vitest-cache; do
  [ -e "$path" ] || continue
  owner="$(stat -c %U "$path")"
  [ "$owner" = "$test_user" ] && continue
  for pidfile in "$path/registry.pid" "$path/lock/owner" "$path/pid" "$path"/leases/*; do
    [ -f "$pidfile" ] || continue
    pid="$(cat "$pidfile" 2>/dev/null || true)"
    if alive "$pid"; then
      echo "$path belongs to a test run of '$owner' that is still going (pid $pid, from $pidfile); wait for it to end, or stop it (kill $pid), then run npm test again" >&2
      exit 1
    fi
  done
  if [ "$(id -u)" -eq 0 ]; then
    echo "[test] $path is left from a test run as '$owner'; handing it to $test_user"
    chown -R "$test_user:$(id -gn "$test_user")" "$path"
  else
    echo "$path is left from a test run as '$owner' and $test_user cannot reuse it; remove it (sudo rm -rf $path) and run npm test again" >&2
    exit 1
  fi
done

# Test artifacts (screenshots, reports) are written by the test user.
# Vite bundles the vitest config into .vite-temp of the node_modules nearest to it, which a root
# install owns: core/node_modules once npm nests a dependency there (it does for the CycloneDX
# library), else the root one.
mkdir -p test-output node_modules/.vite-temp core/node_modules/.vite-temp
if [ "$(id -u)" -eq 0 ]; then
  chown -R "$test_user:$(id -gn "$test_user")" test-output node_modules/.vite-temp core/node_modules/.vite-temp
fi

echo "[test] unit and integration tests (real rootless Podman, as $test_user)"
(cd core && ARCHY_USER="$test_user" "$root/scripts/as-archy.sh" "$root/node_modules/.bin/vitest" run "$@")

# The proof that host-setup.sh makes a minimal Debian 12 a working node (scripts/check-fresh-debian.sh,
# about 5 minutes; it downloads from Debian's mirrors and npm's registry). Whole runs only, as root;
# ARCHY_SKIP_FRESH_DEBIAN_CHECK=1 skips it (the check sets it for the npm test it runs inside).
if [ "$#" -gt 0 ] || [ "${ARCHY_SKIP_FRESH_DEBIAN_CHECK:-}" = 1 ]; then
  exit 0
elif [ "$(id -u)" -ne 0 ]; then
  echo "[test] skipping the fresh-Debian check: it needs root (sudo scripts/check-fresh-debian.sh)"
else
  echo "[test] fresh-Debian check"
  scripts/check-fresh-debian.sh
  # The OS image: built from Debian packages and this checkout, booted in a VM (about 25-35
  # minutes; its own time budget). ARCHY_SKIP_OS_IMAGE_CHECK=1 skips it.
  if [ "${ARCHY_SKIP_OS_IMAGE_CHECK:-}" != 1 ]; then
    echo "[test] OS image check"
    scripts/check-os-image.sh
  fi
fi
