#include "tracker/core/access_list.hpp"

#include <catch2/catch.hpp>

#include <string>
#include <variant>

using riptide::core::access_list;
using riptide::core::access_list_mode;
using riptide::core::access_list_parse_error;
using riptide::core::parse_access_list;
using riptide::core::siphash_key;
using riptide::proto::info_hash;
using riptide::proto::info_hash_from_hex;

namespace {

constexpr siphash_key test_key{0x77, 0x88};

const std::string hash_a = "0123456789abcdef0123456789abcdef01234567";
const std::string hash_b = "FEDCBA9876543210FEDCBA9876543210FEDCBA98";
const std::string hash_c = "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa";

info_hash hash(const std::string& hex) { return *info_hash_from_hex(hex); }

access_list require_list(access_list_mode mode, const std::string& text) {
  auto result = parse_access_list(mode, text, test_key);
  if (const auto* error = std::get_if<access_list_parse_error>(&result)) {
    FAIL("unexpected parse error at line " << error->line << ": " << error->message);
  }
  return std::move(std::get<access_list>(result));
}

access_list_parse_error require_error(const std::string& text) {
  auto result = parse_access_list(access_list_mode::allow, text, test_key);
  REQUIRE(std::holds_alternative<access_list_parse_error>(result));
  return std::get<access_list_parse_error>(result);
}

}  // namespace

TEST_CASE("access list: allow mode serves only the listed hashes", "[core][access_list]") {
  const access_list list = require_list(access_list_mode::allow, hash_a + "\n" + hash_b + "\n");
  CHECK(list.mode() == access_list_mode::allow);
  CHECK(list.size() == 2);
  CHECK(list.allows(hash(hash_a)));
  CHECK(list.allows(hash(hash_b)));  // upper case in the file, the same bytes
  CHECK_FALSE(list.allows(hash(hash_c)));
  CHECK_FALSE(list.allows(info_hash{}));
}

TEST_CASE("access list: deny mode refuses only the listed hashes", "[core][access_list]") {
  const access_list list = require_list(access_list_mode::deny, hash_a + "\n" + hash_b);
  CHECK(list.mode() == access_list_mode::deny);
  CHECK(list.size() == 2);
  CHECK_FALSE(list.allows(hash(hash_a)));
  CHECK_FALSE(list.allows(hash(hash_b)));
  CHECK(list.allows(hash(hash_c)));
  CHECK(list.allows(info_hash{}));
}

TEST_CASE("access list: off serves everything", "[core][access_list]") {
  const access_list list = require_list(access_list_mode::off, hash_a + "\n");
  CHECK(list.mode() == access_list_mode::off);
  CHECK(list.allows(hash(hash_a)));
  CHECK(list.allows(hash(hash_c)));

  const access_list empty;
  CHECK(empty.mode() == access_list_mode::off);
  CHECK(empty.size() == 0);
  CHECK(empty.allows(hash(hash_a)));
}

TEST_CASE("access list: empty files", "[core][access_list]") {
  // An empty allow list serves nothing; an empty deny list serves everything.
  for (const std::string text : {"", "\n", "\n\n\r\n", "# nothing yet\n", "   \t  "}) {
    INFO("text \"" << text << "\"");
    const access_list allow = require_list(access_list_mode::allow, text);
    CHECK(allow.size() == 0);
    CHECK_FALSE(allow.allows(hash(hash_a)));
    const access_list deny = require_list(access_list_mode::deny, text);
    CHECK(deny.size() == 0);
    CHECK(deny.allows(hash(hash_a)));
  }
}

TEST_CASE("access list: comments (whole-line and after a hash), blank lines, CRLF and surrounding spaces", "[core][access_list]") {
  const std::string text =
      "# the allow list\r\n"
      "\r\n"
      "   " + hash_a + "   \r\n"
      "\t" + hash_b + "\t\r\n"
      "    # an indented comment with a hash " + hash_c + "\r\n"
      "\n"
      "   \t \n"
      + hash_a + "\r\n"  // a duplicate is harmless
      + hash_b + "  # a comment after a hash\n"
      + hash_a + "# a comment right behind it\r\n"
      "#" + hash_c;      // no newline at the end
  const access_list list = require_list(access_list_mode::allow, text);
  CHECK(list.size() == 2);
  CHECK(list.allows(hash(hash_a)));
  CHECK(list.allows(hash(hash_b)));
  CHECK_FALSE(list.allows(hash(hash_c)));
}

TEST_CASE("access list: a bad line fails the whole file with its line number", "[core][access_list]") {
  SECTION("first line") {
    const auto error = require_error("not a hash\n" + hash_a + "\n");
    CHECK(error.line == 1);
    CHECK_FALSE(error.message.empty());
  }
  SECTION("after comments and blank lines, CRLF") {
    const auto error = require_error("# c\r\n\r\n" + hash_a + "\r\n" + hash_b.substr(0, 39) + "\r\n" + hash_c);
    CHECK(error.line == 4);
    CHECK(error.message.find(hash_b.substr(0, 39)) != std::string::npos);
  }
  SECTION("the last line, without a newline") {
    const auto error = require_error(hash_a + "\n" + hash_b + "\n" + hash_c + "0");
    CHECK(error.line == 3);
  }
  SECTION("a non-hex digit") {
    std::string bad = hash_a;
    bad[17] = 'g';
    const auto error = require_error(hash_a + "\n\n\n" + bad + "\n");
    CHECK(error.line == 4);
  }
  SECTION("text after the hash that is not a comment") {
    const auto error = require_error(hash_a + " the first torrent\n");
    CHECK(error.line == 1);
  }
  SECTION("a comment that hides half of the hash") {
    const auto error = require_error(hash_a.substr(0, 20) + "#" + hash_a.substr(20) + "\n");
    CHECK(error.line == 1);
  }
  SECTION("two hashes on one line") {
    const auto error = require_error("\n" + hash_a + " " + hash_b + "\n");
    CHECK(error.line == 2);
  }
  SECTION("an overlong line is quoted in part only") {
    const auto error = require_error(std::string(10'000, 'x'));
    CHECK(error.line == 1);
    CHECK(error.message.size() < 200);
  }
}

TEST_CASE("access list: a UTF-8 byte order mark before the first line is ignored", "[core][access_list]") {
  const access_list list = require_list(access_list_mode::allow, "\xEF\xBB\xBF" + hash_a + "\n" + hash_b + "\n");
  CHECK(list.size() == 2);
  CHECK(list.allows(hash(hash_a)));
  // Only at the very start: elsewhere it is a bad line like any other.
  CHECK(require_error(hash_a + "\n\xEF\xBB\xBF" + hash_b + "\n").line == 2);
}
