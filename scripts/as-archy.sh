#!/usr/bin/env bash
# Runs a command as the rootless Podman user (default: archy), with the environment rootless
# Podman needs. Used by the test and start scripts when invoked as root; a non-root user
# runs commands directly.
#   scripts/as-archy.sh npx vitest run core/test/podman
set -euo pipefail
ARCHY_USER="${ARCHY_USER:-archy}"
if [ "$(id -u)" -ne 0 ]; then
  exec "$@"
fi
uid="$(id -u "$ARCHY_USER")"
home="$(getent passwd "$ARCHY_USER" | cut -d: -f6)"
# Pass through the project's own variables (ARCHY_*, CI) and nothing else of root's environment.
passthrough=()
while IFS='=' read -r name _; do
  case "$name" in ARCHY_* | CI | DEBUG) passthrough+=("$name=${!name}") ;; esac
done < <(env)
exec runuser -u "$ARCHY_USER" -- env -i \
  HOME="$home" USER="$ARCHY_USER" LOGNAME="$ARCHY_USER" PATH="$PATH" LANG=C.UTF-8 \
  XDG_RUNTIME_DIR="/run/user/$uid" "${passthrough[@]}" "$@"
