#!/usr/bin/env bash
# Builds the OS image twice from this checkout and compares what the two hold: the package list
# with versions, the file list (type, mode, owner, size, path), every file's hash, and the erofs
# roots' bytes. Prints each difference; exit 0 when the packages and the file list are the same
# (the issue's bar), whatever the hashes say — those differences are reported, not hidden.
#
# Usage (as root): os/check-reproducible.sh [--arch x86_64|arm64] [--out DIR]
set -euo pipefail
OS_DIR="$(cd "$(dirname "$0")" && pwd)"
arch=x86_64 out=""
while [ "$#" -gt 0 ]; do
  case "$1" in
    --arch) arch="$2" && shift ;;
    --out) out="$2" && shift ;;
    *)
      echo "usage: os/check-reproducible.sh [--arch x86_64|arm64] [--out DIR]" >&2
      exit 1
      ;;
  esac
  shift
done
[ "$(id -u)" -eq 0 ] || {
  echo "run as root (it runs os/build.sh twice)" >&2
  exit 1
}
out="${out:-$(mktemp -d /var/tmp/archy-os-repro.XXXXXX)}"
mkdir -p "$out"
# One time for both builds: the last commit's, as os/build.sh takes by default.
export SOURCE_DATE_EPOCH="${SOURCE_DATE_EPOCH:-$(git -C "$OS_DIR/.." log -1 --format=%ct)}"
for n in 1 2; do
  echo "[repro] build $n"
  "$OS_DIR/build.sh" --arch "$arch" --out "$out/$n" --no-compress >"$out/build-$n.log" 2>&1 ||
    {
      tail -n 20 "$out/build-$n.log" >&2
      exit 1
    }
done
m1="$(echo "$out"/1/*.manifest)" m2="$(echo "$out"/2/*.manifest)"
same=1
report() {
  local what="$1" a="$2" b="$3" lines
  if cmp -s "$a" "$b"; then
    echo "[repro] $what: identical ($(wc -l <"$a") lines)"
  else
    lines="$(diff "$a" "$b" | grep -c '^[<>]' || true)"
    echo "[repro] $what: $lines differing lines:"
    diff "$a" "$b" | grep '^[<>]' | sed -n '1,40p' | sed 's/^/    /'
    return 1
  fi
}
report "packages and versions" "$m1/packages.txt" "$m2/packages.txt" || same=0
report "file list (type, mode, owner, size, path)" "$m1/files.txt" "$m2/files.txt" || same=0
report "file contents (sha256)" "$m1/sha256sums.txt" "$m2/sha256sums.txt" || true
report "erofs root image (sha256)" "$m1/root.erofs.sha256" "$m2/root.erofs.sha256" || true
echo "[repro] outputs in $out"
[ "$same" -eq 1 ]
