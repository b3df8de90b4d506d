// The path of an HTTP request target, in origin-form and absolute-form (RFC 9112, 3.2).
#include "tracker/proto/http_target.hpp"

#include <catch2/catch.hpp>

namespace riptide::proto::http {
namespace {

TEST_CASE("http target: the path of origin-form and absolute-form targets, without the query", "[proto][http]") {
  CHECK(request_path("/stats") == "/stats");
  CHECK(request_path("/health?t=1700000000") == "/health");
  CHECK(request_path("/") == "/");
  CHECK(request_path("http://tracker.example/health") == "/health");
  CHECK(request_path("http://tracker.example:8000/stats?x=1") == "/stats");
  CHECK(request_path("HTTPS://[::1]:443/metrics") == "/metrics");
  CHECK(request_path("Http://127.0.0.1/a/b?c/d") == "/a/b");
  // No path: the root.
  CHECK(request_path("http://tracker.example") == "/");
  CHECK(request_path("http://tracker.example?/health") == "/");
  // The query never lends its slashes to the path, nor another scheme its form.
  CHECK(request_path("ftp://tracker.example/health") == "ftp://tracker.example/health");
  CHECK(request_path("http:/health") == "http:/health");
  CHECK(request_path("*") == "*");
  CHECK(request_path("tracker.example:443") == "tracker.example:443");
  CHECK(request_path("") == "");
  CHECK(request_path("?x") == "");
}

}  // namespace
}  // namespace riptide::proto::http
