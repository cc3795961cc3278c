#!/usr/bin/env bash
# Installs npm dependencies when they are missing or older than the lockfile, then builds.
# Shared by start.sh and test.sh so both work from a fresh clone.
set -euo pipefail
cd "$(dirname "$0")/.."
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  echo "[setup] installing npm dependencies"
  npm ci --no-audit --no-fund --loglevel=error
fi
echo "[setup] building"
npm run build --silent
