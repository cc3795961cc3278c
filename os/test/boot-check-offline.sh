#!/usr/bin/env bash
# /usr/lib/archipelago-os/boot-check without a VM: os/test/boot-check-offline.sh
# A real HTTP server on 127.0.0.1 stands in for the daemon. Checks: a boot whose daemon answers
# is recorded "ok" and does not restart; a counted boot (LoaderBootCountPath present) whose
# daemon never answers is recorded "failed" (boot-state.json and boot-failed.json) and restarts;
# an uncounted one only records. The boot loader's part is the qemu boot test's.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
check="$(dirname "$here")/rootfs/usr/lib/archipelago-os/boot-check"
t=$(mktemp -d /tmp/archy-boot-check-test.XXXXXX)
server=''
cleanup() {
  local status=$?
  [[ -z "$server" ]] || kill "$server" 2>/dev/null || true
  rm -rf "$t"
  ((status == 0)) && echo "boot-check-offline: all checks passed" || echo "boot-check-offline: FAILED" >&2
}
trap cleanup EXIT
die() {
  printf '  not ok - %s\n' "$*" >&2
  exit 1
}

mkdir -p "$t/root/usr/lib/archipelago-os" "$t/efivars"
echo 0.2.0 >"$t/root/usr/lib/archipelago-os/version"
echo 'root=PARTLABEL=archy-root-b ro archy.slot=b' >"$t/cmdline"
node -e '
  const server = require("http").createServer((req, res) => {
    res.writeHead(req.url === "/auth/status" ? 200 : 404, { "content-type": "application/json" });
    res.end("{\"passwordSet\":false,\"authenticated\":false}");
  });
  server.listen(0, "127.0.0.1", () => require("fs").writeFileSync(process.argv[1], String(server.address().port)));
' "$t/port" &
server=$!
for _ in $(seq 50); do [[ -s "$t/port" ]] && break; sleep 0.1; done
port=$(cat "$t/port")

run() { # run PORT COUNTED → boot-check's exit status
  rm -f "$t/rebooted" "$t/efivars"/*
  [[ "$2" == no ]] || : >"$t/efivars/LoaderBootCountPath-4a67b082-0a4c-41cf-b6c7-440b29bb8c4f"
  ARCHY_OS_ROOT="$t/root" ARCHY_OS_CMDLINE="$t/cmdline" ARCHY_OS_EFIVARS="$t/efivars" \
    ARCHY_OS_CHECK_PORT="$1" ARCHY_OS_CHECK_TIMEOUT=4 ARCHY_OS_REBOOT="touch $t/rebooted" \
    "$check" 2>"$t/log"
}
state() { node -e 'const s = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8")); console.log([s.slot, s.version, s.counted, s.result].join(" "))' "$t/root/var/lib/archipelago-os/$1"; }

run "$port" yes || die "a healthy boot failed: $(cat "$t/log")"
[[ "$(state boot-state.json)" == 'b 0.2.0 true ok' ]] || die "boot-state.json: $(state boot-state.json)"
[[ ! -e "$t/rebooted" ]] || die "a healthy boot restarted"
echo "  ok - the daemon answers: recorded ok, no restart"

# A port nothing listens on: the server's own, once it is gone.
kill "$server"
wait "$server" 2>/dev/null || true
server=''
if run "$port" yes; then die "an unhealthy boot passed"; fi
[[ "$(state boot-state.json)" == 'b 0.2.0 true failed' ]] || die "boot-state.json: $(state boot-state.json)"
[[ "$(state boot-failed.json)" == 'b 0.2.0 true failed' ]] || die "boot-failed.json: $(state boot-failed.json)"
grep -q 'did not answer' "$t/root/var/lib/archipelago-os/boot-failed.json" || die "no reason recorded"
[[ -e "$t/rebooted" ]] || die "an unhealthy counted boot did not restart"
echo "  ok - counted boot, no answer: recorded failed with the reason, restarted"

if run "$port" no; then die "an unhealthy boot passed"; fi
[[ "$(state boot-state.json)" == 'b 0.2.0 false failed' ]] || die "boot-state.json: $(state boot-state.json)"
[[ ! -e "$t/rebooted" ]] || die "an uncounted boot restarted"
echo "  ok - uncounted boot, no answer: recorded failed, no restart"
