#!/usr/bin/env bash
# Builds the libFuzzer targets (preset fuzz: clang-14 with ASan + UBSan) and runs each for a
# bounded time, keeping its corpus in build/fuzz/corpus/NAME.
#   scripts/fuzz.sh            # 60 s per target
#   scripts/fuzz.sh 600        # 10 minutes per target
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
seconds="${1:-60}"
RIPTIDE_FUZZ_DEPS=1 "$root/scripts/install-deps.sh"

fuzzers=(udp_request_fuzzer udp_response_fuzzer webtorrent_message_fuzzer json_document_fuzzer websocket_frame_fuzzer access_list_fuzzer udp_config_fuzzer forwarded_for_fuzzer proxy_protocol_fuzzer)
cd "$root"
cmake --preset fuzz >/dev/null
cmake --build --preset fuzz -j "$(nproc)" --target "${fuzzers[@]}"
status=0
for fuzzer in "${fuzzers[@]}"; do
  corpus="build/fuzz/corpus/$fuzzer"
  mkdir -p "$corpus"
  echo "fuzz: $fuzzer for ${seconds} s"
  # Known crashers first (fuzz/regressions) and the seeds of its format (fuzz/seeds/NAME), then new
  # inputs, for a bounded time. The JSON decoders get a dictionary to find JSON syntax sooner.
  seeds=()
  [[ -d "fuzz/seeds/$fuzzer" ]] && seeds=("fuzz/seeds/$fuzzer")
  dictionary=()
  [[ "$fuzzer" == webtorrent_message_fuzzer || "$fuzzer" == json_document_fuzzer ]] && dictionary=(-dict=fuzz/json.dict)
  if ! "build/fuzz/fuzz/$fuzzer" -max_total_time="$seconds" -max_len=4096 -print_final_stats=1 "${dictionary[@]}" \
      -artifact_prefix="build/fuzz/$fuzzer-" "$corpus" fuzz/regressions "${seeds[@]}" \
      > "build/fuzz/$fuzzer.log" 2>&1; then
    echo "fuzz: $fuzzer FAILED, see build/fuzz/$fuzzer.log"
    status=1
  else
    grep -E "^stat::number_of_executed_units" "build/fuzz/$fuzzer.log" || true
  fi
done
exit $status
