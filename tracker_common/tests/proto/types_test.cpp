#include "tracker/proto/types.hpp"

#include <catch2/catch.hpp>

#include <random>
#include <string>

using riptide::proto::info_hash;
using riptide::proto::info_hash_from_hex;
using riptide::proto::to_hex;

namespace {

info_hash counting_hash() {
  info_hash hash;
  for (std::size_t i = 0; i < info_hash::size; ++i) hash.bytes[i] = static_cast<std::uint8_t>(0x10 * i + i);
  return hash;
}

}  // namespace

TEST_CASE("info_hash_from_hex reads lower- and upper-case digits", "[proto][types]") {
  // bytes 0x00, 0x11, 0x22, ..., 0xff, 0x10, 0x21, 0x32, 0x43 (0x11 * i, wrapping)
  const std::string lower = "00112233445566778899aabbccddeeff10213243";
  const std::string upper = "00112233445566778899AABBCCDDEEFF10213243";
  const auto from_lower = info_hash_from_hex(lower);
  const auto from_upper = info_hash_from_hex(upper);
  REQUIRE(from_lower.has_value());
  REQUIRE(from_upper.has_value());
  CHECK(*from_lower == counting_hash());
  CHECK(*from_upper == counting_hash());
  CHECK(from_lower->bytes[10] == 0xaa);
  CHECK(from_lower->bytes[15] == 0xff);
  CHECK(from_lower->bytes[19] == 0x43);

  const auto mixed = info_hash_from_hex("aBcDeF0123456789abcdefABCDEF0123456789aB");
  REQUIRE(mixed.has_value());
  CHECK(mixed->bytes[0] == 0xab);
  CHECK(mixed->bytes[1] == 0xcd);
  CHECK(mixed->bytes[2] == 0xef);
  CHECK(mixed->bytes[19] == 0xab);
}

TEST_CASE("info_hash_from_hex refuses the wrong length", "[proto][types]") {
  const std::string good = "00112233445566778899aabbccddeeff10213243";
  CHECK_FALSE(info_hash_from_hex("").has_value());
  CHECK_FALSE(info_hash_from_hex(good.substr(0, 39)).has_value());
  CHECK_FALSE(info_hash_from_hex(good.substr(0, 38)).has_value());
  CHECK_FALSE(info_hash_from_hex(good + "0").has_value());
  CHECK_FALSE(info_hash_from_hex(good + "00").has_value());
  CHECK_FALSE(info_hash_from_hex(" " + good).has_value());
  CHECK_FALSE(info_hash_from_hex(good + "\n").has_value());
}

TEST_CASE("info_hash_from_hex refuses anything but hex digits", "[proto][types]") {
  const std::string good = "00112233445566778899aabbccddeeff10213243";
  REQUIRE(info_hash_from_hex(good).has_value());
  // One bad character at every position, in both halves of a byte.
  for (const char bad : std::string("gGzZ -+x/:@`[{\0", 15)) {
    for (std::size_t i = 0; i < good.size(); ++i) {
      std::string text = good;
      text[i] = bad;
      INFO("character " << static_cast<int>(bad) << " at " << i);
      CHECK_FALSE(info_hash_from_hex(text).has_value());
    }
  }
}

TEST_CASE("to_hex writes 40 lower-case digits and round-trips", "[proto][types]") {
  CHECK(to_hex(counting_hash()) == "00112233445566778899aabbccddeeff10213243");
  CHECK(to_hex(info_hash{}) == std::string(40, '0'));

  std::mt19937_64 random(0x7e57'0001);
  for (int iteration = 0; iteration < 1000; ++iteration) {
    info_hash hash;
    for (auto& byte : hash.bytes) byte = static_cast<std::uint8_t>(random());
    const std::string hex = to_hex(hash);
    REQUIRE(hex.size() == 40);
    REQUIRE(hex.find_first_not_of("0123456789abcdef") == std::string::npos);
    const auto back = info_hash_from_hex(hex);
    REQUIRE(back.has_value());
    REQUIRE(*back == hash);
  }
}
