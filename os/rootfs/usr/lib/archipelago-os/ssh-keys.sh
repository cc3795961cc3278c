# shellcheck shell=bash disable=SC2034 # a sourced library: its constants are used by the scripts that source it
# The owner's SSH public keys as a text file (sourced by os/flash.sh on the computer that flashes
# and by ssh-switch on the node): one key per line as in a `.pub` file, blank lines and `#`
# comments ignored, a Windows editor's byte-order mark and CR line ends tolerated. The word `off`
# alone turns SSH off instead.
readonly SSH_KEYS_FILE=archipelago-ssh.txt
readonly SSH_KEYS_RESULT_FILE=archipelago-ssh-result.txt
# Key types OpenSSH 9.2 accepts for logins (no DSA: removed); options before the key (from=,
# command=…) are not accepted, so a key always means a plain login as archy.
readonly SSH_KEY_PATTERN='^(ssh-ed25519|ssh-rsa|ecdsa-sha2-nistp(256|384|521)|sk-ssh-ed25519@openssh\.com|sk-ecdsa-sha2-nistp256@openssh\.com) [A-Za-z0-9+/]+={0,3}( [^[:cntrl:]]*)?$'
readonly SSH_KEYS_MAX_BYTES=65536
readonly SSH_KEYS_MAX=32

# ssh_keys_normalize IN OUT: IN's meaningful lines into OUT (no BOM, CR, blanks or comments).
ssh_keys_normalize() {
  sed -e '1s/^\xEF\xBB\xBF//' -e 's/\r$//' -e 's/^[[:space:]]*//' -e 's/[[:space:]]*$//' "$1" |
    grep -v -e '^$' -e '^#' >"$2" || true
}

# ssh_keys_is_off NORMALIZED: whether the file asks to turn SSH off.
ssh_keys_is_off() { [ "$(wc -l <"$1")" -eq 1 ] && grep -qix 'off' "$1"; }

# ssh_keys_problem ORIGINAL NORMALIZED: nothing when the keys are fine, else what is wrong and
# what to do (one line). Each key is also read by ssh-keygen, which knows the formats exactly.
ssh_keys_problem() {
  local original="$1" keys="$2" n=0 line one
  if [ "$(stat -c %s "$original")" -gt "$SSH_KEYS_MAX_BYTES" ]; then
    echo "the file is larger than 64 KiB: put only public keys in it (the contents of a .pub file), one per line"
    return
  fi
  if grep -q 'PRIVATE KEY' "$original"; then
    echo "the file holds a PRIVATE key: never copy that anywhere (make a new key pair); use the public half, the .pub file"
    return
  fi
  if [ ! -s "$keys" ]; then
    echo "the file has no key: put your public key in it (the contents of ~/.ssh/id_ed25519.pub), or the word off"
    return
  fi
  if [ "$(wc -l <"$keys")" -gt "$SSH_KEYS_MAX" ]; then
    echo "the file has more than $SSH_KEYS_MAX keys: keep only the keys of the computers that should log in"
    return
  fi
  one="$(mktemp)"
  while IFS= read -r line; do
    n=$((n + 1))
    printf '%s\n' "$line" >"$one"
    if ! [[ "$line" =~ $SSH_KEY_PATTERN ]] || ! ssh-keygen -l -f "$one" >/dev/null 2>&1; then
      printf 'key %d is not an SSH public key (it starts "%s"): each line must be one public key, like "ssh-ed25519 AAAA… you@laptop", with nothing before it\n' \
        "$n" "$(printf '%s' "$line" | cut -c1-24 | tr -c '[:alnum:] @._+/=-' '?')"
      break
    fi
  done <"$keys"
  rm -f "$one"
}
