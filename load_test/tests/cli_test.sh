#!/usr/bin/env bash
# The command line of the built load_test before a mode's own options (registered in
# CMakeLists.txt beside this file).
#
#   cli_test.sh bad-mode LOAD_TEST     no mode or an unknown one: exit code 2, empty stdout,
#                                      exactly one stderr line saying so
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/expect_one_line.sh"

case "$mode" in
  bad-mode)
    expect_one_line "no mode" "usage error: no mode: udp or ws (see load_test --help)"
    expect_one_line "unknown mode" "usage error: unknown mode \"tcp\": udp or ws (see load_test --help)" tcp
    expect_one_line "a mode with controls" "usage error: unknown mode \"u\\x0ad\\x1b[p\"" $'u\nd\e[p'
    "$program" --help | grep -qF "usage: load_test MODE" || fail "--help lacks the usage"
    echo "ok: --help"
    ;;

  *)
    fail "unknown mode $mode"
    ;;
esac
