# Sourced by the executables' cli_test.sh. Needs $program (the binary) and $work (a temporary
# directory) to be set.

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_one_line NAME EXPECTED_SUBSTRING ARGS...: `$program ARGS...` exits with code 2, prints
# nothing on stdout and exactly one terminated line on stderr, which contains EXPECTED_SUBSTRING.
expect_one_line() {
  local name=$1 expected=$2
  shift 2
  local status=0
  "$program" "$@" >"$work/out" 2>"$work/err" || status=$?
  [ "$status" -eq 2 ] || fail "$name: exit code $status, expected 2"
  [ ! -s "$work/out" ] || fail "$name: unexpected stdout: $(cat "$work/out")"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$name: expected one stderr line, got: $(cat "$work/err")"
  [ "$(tail -c 1 "$work/err" | od -An -c | tr -d ' ')" = '\n' ] || fail "$name: stderr line not terminated"
  grep -qF -- "$expected" "$work/err" || fail "$name: stderr lacks '$expected': $(cat "$work/err")"
  echo "ok: $name: $(cat "$work/err")"
}
