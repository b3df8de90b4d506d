#pragma once
// tracker_ws's request worker: runtime::request_worker around a ws_swarm_service, and the channel
// types between it and the socket workers.

#include "tracker/runtime/channels.hpp"
#include "tracker/runtime/request_worker.hpp"
#include "ws_messages.hpp"
#include "ws_swarm_service.hpp"

namespace riptide::ws {

using ws_request_inbox = runtime::basic_request_inbox<ws_request>;
using ws_response_inbox = runtime::basic_response_inbox<ws_response>;
using ws_request_worker = runtime::request_worker<ws_swarm_service>;

}  // namespace riptide::ws
