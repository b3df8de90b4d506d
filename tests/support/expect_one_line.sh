# Sourced by the executables' cli_test.sh, whose arguments are MODE PROGRAM: sets $mode, $program
# (the binary) and $work (a temporary directory, removed at exit).
set -euo pipefail

mode=$1
program=$2
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

fail() {
  echo "FAIL: $*" >&2
  exit 1
}

# expect_one_line NAME EXPECTED_SUBSTRING ARGS...: `$program ARGS...` exits with code 2, prints
# nothing on stdout and exactly one terminated line on stderr, which contains EXPECTED_SUBSTRING.
expect_one_line() {
  expect_one_line_with_status 2 "$@"
}

# expect_one_line_with_status STATUS NAME EXPECTED_SUBSTRING ARGS...: the same with exit code STATUS
# (1: a failure at start-up).
expect_one_line_with_status() {
  local wanted_status=$1 name=$2 expected=$3
  shift 3
  local status=0
  "$program" "$@" >"$work/out" 2>"$work/err" || status=$?
  [ "$status" -eq "$wanted_status" ] || fail "$name: exit code $status, expected $wanted_status"
  [ ! -s "$work/out" ] || fail "$name: unexpected stdout: $(cat "$work/out")"
  [ "$(wc -l <"$work/err")" -eq 1 ] || fail "$name: expected one stderr line, got: $(cat "$work/err")"
  [ "$(tail -c 1 "$work/err" | od -An -c | tr -d ' ')" = '\n' ] || fail "$name: stderr line not terminated"
  grep -qF -- "$expected" "$work/err" || fail "$name: stderr lacks '$expected': $(cat "$work/err")"
  echo "ok: $name: $(cat "$work/err")"
}
