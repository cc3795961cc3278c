#!/bin/bash
# Tests the OS's SSH configuration with Debian 12's real sshd, without a VM:
# os/rootfs/etc/ssh/sshd_config.d/archipelago.conf included by Debian's own sshd_config, the host
# key made by the ExecStartPre of os/rootfs/etc/systemd/system/ssh.service.d/archipelago.conf,
# authorized_keys at /var/lib/archipelago-os/ssh/. It runs in a private mount and network
# namespace (tmpfs over /run and /var/lib, loopback only): the machine's own /var/lib, /run,
# users and network are not touched, and everything is gone when the namespace ends.
#
# Checks: `sshd -t` passes; `sshd -T` shows our values winning over Debian's; the host key is made
# once and kept; archy logs in with a key; root (same key) and password logins are refused.
#
# Run as root: os/test/ssh.sh   (uses /usr/sbin/sshd if openssh-server is installed, otherwise
# fetches Debian's openssh-server and libwrap0 packages with `apt-get download` into a temp folder)
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
dropin="$here/../rootfs/etc/ssh/sshd_config.d/archipelago.conf"
unit_dropin="$here/../rootfs/etc/systemd/system/ssh.service.d/archipelago.conf"

[ "$(id -u)" -eq 0 ] || {
  echo "ssh.sh: run as root (it uses mount and network namespaces)" >&2
  exit 1
}
for tool in unshare ssh ssh-keygen; do
  command -v "$tool" >/dev/null || {
    echo "ssh.sh: '$tool' is missing (apt-get install util-linux openssh-client)" >&2
    exit 1
  }
done

work="$(mktemp -d /tmp/archy-os-ssh-test.XXXXXX)"
trap 'rm -rf "$work"' EXIT

# --- Debian's sshd and its default sshd_config -----------------------------------------------------
if [ -x /usr/sbin/sshd ] && [ -f /usr/share/openssh/sshd_config ]; then
  sshd=/usr/sbin/sshd
  debian_config=/usr/share/openssh/sshd_config
  libs=''
else
  (cd "$work" && apt-get download -qq openssh-server libwrap0 2>/dev/null) || {
    echo "ssh.sh: openssh-server is not installed and apt-get download failed (run apt-get update?)" >&2
    exit 1
  }
  for deb in "$work"/*.deb; do dpkg-deb -x "$deb" "$work/pkg"; done
  sshd="$work/pkg/usr/sbin/sshd"
  debian_config="$work/pkg/usr/share/openssh/sshd_config"
  libs="$work/pkg/lib/$(uname -m)-linux-gnu:$work/pkg/usr/lib/$(uname -m)-linux-gnu"
fi
echo "sshd: $sshd ($(LD_LIBRARY_PATH="$libs" "$sshd" -V 2>&1 | head -1 || true))"

# Debian's file with its Include pointing at our drop-in (on the image, /etc/ssh/sshd_config.d/).
sed "s|^Include .*|Include $dropin|" "$debian_config" >"$work/sshd_config"
grep -q "^Include $dropin" "$work/sshd_config" || {
  echo "ssh.sh: Debian's sshd_config has no Include line to point at the drop-in" >&2
  exit 1
}
# The privilege-separation user sshd needs, and archy if this machine has none: in a copy of
# /etc/passwd bound over the real one inside the namespace only.
cp /etc/passwd "$work/passwd"
getent passwd sshd >/dev/null || echo 'sshd:x:64020:65534::/run/sshd:/usr/sbin/nologin' >>"$work/passwd"
getent passwd archy >/dev/null || echo 'archy:x:64019:64019::/tmp:/bin/sh' >>"$work/passwd"
ssh-keygen -q -t ed25519 -N '' -C 'ssh.sh client' -f "$work/client"
# The unit drop-in's host-key step, exactly as systemd runs it (the continuation lines joined).
host_key_step="$(sed -n "/^ExecStartPre=\/bin\/sh -ec '/,/'\$/p" "$unit_dropin" | sed 's/^ExecStartPre=//; s/\\$//')"
[ -n "$host_key_step" ] || {
  echo "ssh.sh: no host-key ExecStartPre in $unit_dropin" >&2
  exit 1
}

cat >"$work/in-namespace.sh" <<'EOF'
set -euo pipefail
work="$1" sshd="$2" libs="$3" host_key_step="$4"
export LD_LIBRARY_PATH="$libs"
mount --make-rprivate /
mount --bind "$work/passwd" /etc/passwd
mount -t tmpfs -o mode=0755 tmpfs /run
mkdir -m 0755 /run/sshd
mount -t tmpfs -o mode=0755 tmpfs /var/lib
ip link set lo up

failures=0
pass() { printf '  ok    %s\n' "$*"; }
fail() { printf '  FAIL  %s\n' "$*"; failures=$((failures + 1)); }

echo "1. the host key is made at the first start, kept at the next"
eval "$host_key_step"
key=/var/lib/archipelago-os/ssh/ssh_host_ed25519_key
if [ -s "$key" ] && [ "$(stat -c %a "$key")" = 600 ]; then pass "$key (0600)"; else fail "$key missing or not 0600"; fi
if [ "$(stat -c %a /var/lib/archipelago-os/ssh)" = 755 ]; then pass "folder 0755 (sshd reads authorized_keys as the user)"; else fail "folder mode $(stat -c %a /var/lib/archipelago-os/ssh)"; fi
before="$(sha256sum "$key")"
eval "$host_key_step"
if [ "$(sha256sum "$key")" = "$before" ]; then pass "second start keeps the key"; else fail "second start replaced the key"; fi
install -m 0644 "$work/client.pub" /var/lib/archipelago-os/ssh/authorized_keys

echo "2. the configuration: sshd -t passes, our values win over Debian's"
if "$sshd" -t -f "$work/sshd_config"; then pass "sshd -t"; else fail "sshd -t"; fi
effective="$("$sshd" -T -f "$work/sshd_config")"
for want in "permitrootlogin no" "passwordauthentication no" "kbdinteractiveauthentication no" \
  "authenticationmethods publickey" "allowusers archy" "x11forwarding no" "allowagentforwarding no" \
  "allowtcpforwarding local" "permittunnel no" "hostkey /var/lib/archipelago-os/ssh/ssh_host_ed25519_key" \
  "authorizedkeysfile /var/lib/archipelago-os/ssh/authorized_keys"; do
  if grep -qx "$want" <<<"$effective"; then pass "$want"; else fail "sshd -T lacks '$want'"; fi
done

echo "3. logins on 127.0.0.1 (this namespace's loopback only)"
"$sshd" -D -e -p 2222 -o ListenAddress=127.0.0.1 -f "$work/sshd_config" 2>"$work/sshd.log" &
sshd_pid=$!
trap 'kill "$sshd_pid" 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q 'Server listening' "$work/sshd.log" && break; sleep 0.1; done
opts=(-o StrictHostKeyChecking=no -o UserKnownHostsFile=/dev/null -o BatchMode=yes -o LogLevel=ERROR -o ConnectTimeout=5 -p 2222)
if [ "$(ssh "${opts[@]}" -i "$work/client" archy@127.0.0.1 id -un 2>/dev/null)" = archy ]; then pass "archy with a key: logged in"; else fail "archy with a key: refused"; fi
if ssh "${opts[@]}" -i "$work/client" root@127.0.0.1 true 2>/dev/null; then fail "root logged in"; else pass "root with the same key: refused"; fi
if ssh "${opts[@]}" -o PubkeyAuthentication=no archy@127.0.0.1 true 2>/dev/null; then fail "login without a key"; else pass "archy without a key (password): refused"; fi
offered="$(ssh-keyscan -p 2222 127.0.0.1 2>/dev/null | awk '{print $2}' | sort -u | paste -s -d' ' -)"
if [ "$offered" = ssh-ed25519 ]; then pass "host key offered: ssh-ed25519 only"; else fail "host keys offered: '$offered'"; fi
exit "$failures"
EOF

if unshare -m -n bash "$work/in-namespace.sh" "$work" "$sshd" "$libs" "$host_key_step"; then
  echo "ssh.sh: all checks passed"
else
  echo "ssh.sh: some checks failed (sshd's log:)"
  cat "$work/sshd.log" 2>/dev/null || true
  exit 1
fi
