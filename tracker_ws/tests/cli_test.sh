#!/usr/bin/env bash
# Bad configurations and command lines of the built tracker_ws (registered in CMakeLists.txt beside
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

    printf '[network]\ntrusted_proxies = "127.0.0.1, nginx"\n' >"$work/proxies.toml"
    expect_one_line "a trusted proxy that is no address" \
      "config error: $work/proxies.toml: network.trusted_proxies: \"nginx\" is not an IP address or prefix (such as 10.0.0.0/8)" \
      -c "$work/proxies.toml"

    printf '[network]\nproxy_protocol = true\n' >"$work/proxy_protocol.toml"
    expect_one_line "the PROXY protocol without trusted proxies" \
      "config error: $work/proxy_protocol.toml: network.proxy_protocol is true: network.trusted_proxies must list the load balancers that send the header" \
      -c "$work/proxy_protocol.toml"

    printf '[limits]\nmax_message_bytes = 100\n' >"$work/small.toml"
    expect_one_line "message limit below 16 KiB" "limits.max_message_bytes" -c "$work/small.toml"

    printf '[workers]\nsocket_workers = 2\n' >"$work/workers.toml"
    expect_one_line "several socket workers need request workers" \
      "config error: $work/workers.toml: workers.request_workers = 0 (socket worker owns the swarms) needs workers.socket_workers = 1, not 2" \
      -c "$work/workers.toml"

    printf '[workers]\nsocket_workers = 64\nrequest_workers = 64\n[channels]\nrequest_queue_capacity = 65536\n' \
      >"$work/channels.toml"
    expect_one_line "channels beyond their memory bound" "channels.request_queue_capacity + channels.response_queue_capacity" \
      -c "$work/channels.toml"

    # The bound itself: 4 x 4 workers with 2^18 slots each way are 2^23 slots in all.
    printf '[workers]\nsocket_workers = 4\nrequest_workers = 4\n[channels]\nrequest_queue_capacity = 262144\nresponse_queue_capacity = 262144\n' \
      >"$work/channels_at_bound.toml"
    "$program" -c "$work/channels_at_bound.toml" -P >/dev/null || fail "2^23 channel slots refused"
    echo "ok: 2^23 channel slots load"
    printf '[workers]\nsocket_workers = 4\nrequest_workers = 4\n[channels]\nrequest_queue_capacity = 262144\nresponse_queue_capacity = 262145\n' \
      >"$work/channels_past_bound.toml"
    expect_one_line "channels one slot per pair past the bound" "1.5 GiB" -c "$work/channels_past_bound.toml"

    printf '[workers]\nsocket_workers = 1\nrequest_workers = 8\n[limits]\nmax_torrents = 4\n' >"$work/split.toml"
    expect_one_line "a tracker-wide limit below one per request worker" \
      "limits.max_torrents (4) must be at least workers.request_workers (8)" -c "$work/split.toml"

    printf '[protocol]\nannounce_interval_seconds = 600\n' >"$work/cross.toml"
    expect_one_line "cross-field rule" "protocol.peer_timeout_seconds" -c "$work/cross.toml"

    printf '[limits]\nidle_timeout_seconds = 100\n' >"$work/idle.toml"
    expect_one_line "idle timeout under two intervals" "limits.idle_timeout_seconds" -c "$work/idle.toml"

    printf '[limits]\nmax_connections = 10\nmax_connections_per_ip = 20\n' >"$work/per_ip.toml"
    expect_one_line "per-IP above total" "limits.max_connections_per_ip" -c "$work/per_ip.toml"

    printf '[network]\nipv4_address = "::1"\n' >"$work/family.toml"
    expect_one_line "wrong family" "network.ipv4_address" -c "$work/family.toml"

    expect_one_line "unknown flag" "usage error:" --bogus

    # A file name holding a newline stays on its line (the newline written as \x0a).
    expect_one_line "a file name with a newline" "config error: $work/no\\x0afile: cannot read:" -c "$work/no"$'\n'"file"

    # What ends a start-up is one line too, its controls escaped as in the log.
    printf '[access_list]\nmode = "allow"\npath = "%s/a\\u0007b\\n"\n' "$work" >"$work/list_path.toml"
    expect_one_line_with_status 1 "an access list path with controls" "$work/a\\x07b\\x0a" -c "$work/list_path.toml"
    ;;

  *)
    fail "unknown mode $mode"
    ;;
esac
