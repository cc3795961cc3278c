#!/usr/bin/env bash
# Runs a command as a rootless Podman user, with the environment rootless Podman needs:
# ARCHY_USER (default: archy, the node's user; scripts/test.sh sets it to the tests' own user,
# ARCHY_TEST_USER). Used by the test and start scripts when invoked as root; a non-root user
# runs commands directly.
#   scripts/as-archy.sh npx vitest run core/test/podman
#   ARCHY_USER=archy-test scripts/as-archy.sh podman ps
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
# setpriv, not runuser: it execs the command as the user, so a signal to whoever started this
# (npm start's SIGTERM, say) reaches the command itself; runuser stays in between as a parent
# that SIGKILLs its child 2 s after passing on a SIGTERM, cutting the daemon's shutdown short.
exec setpriv --reuid="$uid" --regid="$(id -g "$ARCHY_USER")" --init-groups -- env -i \
  HOME="$home" USER="$ARCHY_USER" LOGNAME="$ARCHY_USER" PATH="$PATH" LANG=C.UTF-8 \
  XDG_RUNTIME_DIR="/run/user/$uid" "${passthrough[@]}" "$@"
