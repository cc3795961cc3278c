# shellcheck shell=bash disable=SC2034 # a sourced library: its constants are used by the scripts that source it
# The web UI's first-run setup code in the daemon's format (sourced by os/flash.sh on the build
# machine and by firstboot on the node): 16 symbols of Crockford's base32 (no I, L, O, U) in four
# groups, as core/src/api/web-auth/setup-code.ts makes and reads them.
readonly SETUP_CODE_ALPHABET=0123456789ABCDEFGHJKMNPQRSTVWXYZ
readonly SETUP_CODE_PATTERN='^[0-9A-HJKMNP-TV-Z]{4}(-[0-9A-HJKMNP-TV-Z]{4}){3}$'

# new_setup_code: a fresh code from the kernel's random source (each byte mod 32: 256 is a
# multiple of 32, so every symbol is equally likely).
new_setup_code() {
  local out="" i byte
  for i in $(seq 1 16); do
    byte=$(od -An -N1 -tu1 /dev/urandom | tr -d ' ')
    out+="${SETUP_CODE_ALPHABET:$((byte % 32)):1}"
    if [ $((i % 4)) -eq 0 ] && [ "$i" -lt 16 ]; then out+="-"; fi
  done
  printf '%s\n' "$out"
}
