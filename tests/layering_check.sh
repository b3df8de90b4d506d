#!/usr/bin/env bash
# The pure layers stay pure: proto/ and core/ include no Asio, Beast, toml11 or runtime header,
# and proto/ includes nothing from core/. Fails listing every offending line.
set -euo pipefail
root="${1:?usage: layering_check.sh SOURCE_DIR}"
common="$root/tracker_common"
status=0

check() {
  local description="$1" pattern="$2"
  shift 2
  local hits
  hits="$(grep -rnE "$pattern" "$@" || true)"
  if [[ -n "$hits" ]]; then
    echo "layering violation: $description"
    echo "$hits"
    status=1
  fi
}

pure=("$common/include/tracker/proto" "$common/src/proto" "$common/include/tracker/core" "$common/src/core")
check "proto/ and core/ must not use Asio, Beast, toml11 or the runtime" \
  '#include\s*[<"](boost/asio|boost/beast|toml|tracker/runtime|tracker/config/option_table|tracker/config/cli|sys/socket|netinet)' \
  "${pure[@]}"
check "proto/ must not depend on core/" '#include\s*[<"]tracker/core' "$common/include/tracker/proto" "$common/src/proto"

if [[ $status -eq 0 ]]; then echo "layering ok: proto/ and core/ are pure"; fi
exit $status
