#!/bin/sh
# parmanode-wrapper.sh <script> [args...]
#
# Runs a Parmanode-style bash script the way Archipelago allows: inside a throwaway rootless
# container (`archy parmanode run`), never on this machine itself. Only the data folder is
# mounted (at /data, which is also the script's $HOME), there is no network unless asked for,
# and the script's `read`s get the lines piped into this wrapper (none from a terminal: the
# script runs non-interactively). Exits with the script's status (124 on timeout).
#
#   printf 'yes\nmainnet\n' | PARMANODE_DATA=~/parmanode-data parmanode-wrapper.sh ./setup.sh
#
# Settings, from the environment:
#   PARMANODE_DATA     the folder mounted at /data (default: an empty throwaway /data)
#   PARMANODE_NETWORK  1 = give the script a network of its own (default: none)
#   PARMANODE_IMAGE    the image to run it in (default: archy's pinned bash image)
#   PARMANODE_TIMEOUT  e.g. 30s, 5m, 1h (default: archy's, 10m)
#   ARCHY              how to call archy (default: archy from PATH)
set -eu

usage() {
  echo "usage: parmanode-wrapper.sh <script> [args...]   (see the top of this file for settings)"
}

if [ "$#" -lt 1 ]; then
  usage >&2
  exit 2
fi
case "$1" in
  -h | --help)
    usage
    exit 0
    ;;
esac

script=$1
shift
# archy's options go before the script, the script's own arguments after `--`: built from the
# end backwards, since POSIX sh has one argument list.
set -- "$script" -- "$@"
if [ -n "${PARMANODE_TIMEOUT:-}" ]; then set -- --timeout "$PARMANODE_TIMEOUT" "$@"; fi
if [ -n "${PARMANODE_IMAGE:-}" ]; then set -- --image "$PARMANODE_IMAGE" "$@"; fi
if [ "${PARMANODE_NETWORK:-0}" = 1 ]; then set -- --network "$@"; fi
if [ -n "${PARMANODE_DATA:-}" ]; then set -- --data "$PARMANODE_DATA" "$@"; fi
if [ ! -t 0 ]; then set -- --answers - "$@"; fi

# ARCHY may be a command with arguments (`node /opt/archy/archy.mjs`): split on purpose.
# shellcheck disable=SC2086
exec ${ARCHY:-archy} parmanode run "$@"
