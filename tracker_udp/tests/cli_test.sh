#!/usr/bin/env bash
# Bad configurations and command lines of the built tracker_udp (registered in CMakeLists.txt beside
# this file); the checks shared by every executable are in tests/support/config_checks.sh.
#
#   cli_test.sh bad-config     TRACKER          bad files and flags: exit code 2, empty stdout,
#                                               exactly one stderr line naming the key
source "$(dirname "${BASH_SOURCE[0]}")/../../tests/support/expect_one_line.sh"

case "$mode" in
  bad-config)
    printf '[network]\nport = 70000\n' >"$work/range.toml"
    expect_one_line "out of range" \
      "config error: $work/range.toml:2: network.port: expected an integer from 0 to 65535, got 70000" \
      -c "$work/range.toml"

    printf '[network]\nport = 6969\nprot = 1\n' >"$work/key.toml"
    expect_one_line "unknown key" "config error: $work/key.toml:3: unknown key network.prot" -c "$work/key.toml"

    printf '[netwrk]\nport = 1\n' >"$work/section.toml"
    expect_one_line "unknown section" "unknown section [netwrk]" -c "$work/section.toml"

    printf '[log]\nlevel = "loud"\n' >"$work/enum.toml"
    expect_one_line "bad enum" "log.level: expected one of" -c "$work/enum.toml"

    printf '[swarm]\nannounce_interval_seconds = 3600\n' >"$work/cross.toml"
    expect_one_line "cross-field rule" "swarm.peer_timeout_seconds" -c "$work/cross.toml"

    printf '[network]\nport = = 1\n' >"$work/syntax.toml"
    expect_one_line "syntax error" "config error: $work/syntax.toml:2: invalid TOML:" -c "$work/syntax.toml"

    # 6000 nested arrays in 12 KB: the TOML parser's recursion used to overflow the stack (SIGSEGV).
    printf 'x = %s%s\n' "$(head -c 6000 /dev/zero | tr '\0' '[')" "$(head -c 6000 /dev/zero | tr '\0' ']')" \
      >"$work/deep.toml"
    expect_one_line "deep nesting" \
      "config error: $work/deep.toml:1: invalid TOML: tables, arrays or dotted keys nested more than 100 deep" \
      -c "$work/deep.toml"

    # -P checks as strictly as a run.
    expect_one_line "-P of a bad file" "network.port" -c "$work/range.toml" -P

    expect_one_line "missing file" "config error: $work/missing.toml: cannot read:" -c "$work/missing.toml"
    expect_one_line "unknown flag" "usage error:" --bogus

    # A file name holding a newline stays on its line (the newline written as \x0a).
    expect_one_line "a file name with a newline" "config error: $work/no\\x0afile: cannot read:" -c "$work/no"$'\n'"file"

    # What ends a start-up is one line too, its controls escaped as in the log.
    printf '[access_list]\nmode = "allow"\npath = "%s/a\\u0007b\\n"\n' "$work" >"$work/list_path.toml"
    expect_one_line_with_status 1 "an access list path with controls" "$work/a\\x07b\\x0a" -c "$work/list_path.toml"
    expect_one_line "-p with -c" "usage error:" -p -c "$work/range.toml"
    ;;


  *)
    fail "unknown mode $mode"
    ;;
esac
