# Sourced by the scripts that build: `quietly COMMAND...` runs COMMAND with its output kept aside,
# shown (on stderr) only when it fails. Ninja prints compiler errors on stdout, so sending that to
# /dev/null would leave a failed build with nothing to say why.
quietly() {
  local log status=0
  log="$(mktemp)"
  "$@" >"$log" 2>&1 || status=$?
  if [[ $status -ne 0 ]]; then cat "$log" >&2; fi
  rm -f "$log"
  return "$status"
}
