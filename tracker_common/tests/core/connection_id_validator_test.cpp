#include "tracker/core/connection_id_validator.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <random>

using riptide::core::address_bytes;
using riptide::core::connection_id_validator;
using riptide::core::siphash_key;
using riptide::core::to_address_bytes;
using riptide::proto::connection_id;

namespace {

constexpr siphash_key test_key{0x0123456789abcdefULL, 0xfedcba9876543210ULL};
constexpr std::uint32_t lifetime = 120;

const address_bytes client_v4 = to_address_bytes(std::array<std::uint8_t, 4>{192, 0, 2, 10});
const address_bytes client_v6 = to_address_bytes(
    std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x10});

}  // namespace

TEST_CASE("to_address_bytes: IPv4 becomes ::ffff:a.b.c.d, IPv6 stays", "[core][connection_id]") {
  const address_bytes mapped = to_address_bytes(std::array<std::uint8_t, 4>{192, 0, 2, 10});
  CHECK(mapped == address_bytes{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10});
  const std::array<std::uint8_t, 16> v6{0x20, 0x01, 0x0d, 0xb8, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
  CHECK(to_address_bytes(v6) == v6);
}

TEST_CASE("connection id: valid from issue time through the lifetime, not after", "[core][connection_id]") {
  const connection_id_validator validator(test_key, lifetime);
  for (const std::uint32_t issued_at : {0U, 1U, 1000U, 0x7fffffffU, 0xffffffffU - lifetime - 1}) {
    INFO("issued at " << issued_at);
    const connection_id id = validator.issue(client_v4, issued_at);
    CHECK(validator.is_valid(id, client_v4, issued_at));
    CHECK(validator.is_valid(id, client_v4, issued_at + 1));
    CHECK(validator.is_valid(id, client_v4, issued_at + lifetime - 1));
    CHECK(validator.is_valid(id, client_v4, issued_at + lifetime));
    CHECK_FALSE(validator.is_valid(id, client_v4, issued_at + lifetime + 1));
    CHECK_FALSE(validator.is_valid(id, client_v4, issued_at + 100 * lifetime));
  }
}

TEST_CASE("connection id: the issue time is in the top 4 bytes", "[core][connection_id]") {
  const connection_id_validator validator(test_key, lifetime);
  CHECK(validator.issue(client_v4, 0x12345678U).value >> 32 == 0x12345678U);
  // Same address and time: same id (stateless); another time: another MAC too.
  CHECK(validator.issue(client_v4, 500) == validator.issue(client_v4, 500));
  CHECK((validator.issue(client_v4, 500).value & 0xffffffffU) != (validator.issue(client_v4, 501).value & 0xffffffffU));
}

TEST_CASE("connection id: an issue time in the future is refused", "[core][connection_id]") {
  const connection_id_validator validator(test_key, lifetime);
  const connection_id id = validator.issue(client_v4, 100);
  CHECK_FALSE(validator.is_valid(id, client_v4, 50));
  CHECK_FALSE(validator.is_valid(id, client_v4, 99));
  CHECK_FALSE(validator.is_valid(id, client_v4, 0));
  CHECK(validator.is_valid(id, client_v4, 100));
  // Not even when the clock "wraps" from the validator's point of view.
  const connection_id late = validator.issue(client_v4, 0xffffffffU);
  CHECK_FALSE(validator.is_valid(late, client_v4, 10));
}

TEST_CASE("connection id: bound to the source address", "[core][connection_id]") {
  const connection_id_validator validator(test_key, lifetime);
  const connection_id for_v4 = validator.issue(client_v4, 1000);
  const connection_id for_v6 = validator.issue(client_v6, 1000);
  CHECK(validator.is_valid(for_v4, client_v4, 1010));
  CHECK(validator.is_valid(for_v6, client_v6, 1010));

  const address_bytes other_v4 = to_address_bytes(std::array<std::uint8_t, 4>{192, 0, 2, 11});
  const address_bytes other_v6 = to_address_bytes(
      std::array<std::uint8_t, 16>{0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0x11});
  CHECK_FALSE(validator.is_valid(for_v4, other_v4, 1010));
  CHECK_FALSE(validator.is_valid(for_v4, other_v6, 1010));
  CHECK_FALSE(validator.is_valid(for_v4, client_v6, 1010));
  CHECK_FALSE(validator.is_valid(for_v6, other_v6, 1010));
  CHECK_FALSE(validator.is_valid(for_v6, other_v4, 1010));
  CHECK_FALSE(validator.is_valid(for_v6, client_v4, 1010));

  // Every single-bit change of the address invalidates the id.
  for (std::size_t byte = 0; byte < 16; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      address_bytes changed = client_v6;
      changed[byte] = static_cast<std::uint8_t>(changed[byte] ^ (1U << bit));
      INFO("byte " << byte << " bit " << bit);
      CHECK_FALSE(validator.is_valid(for_v6, changed, 1010));
    }
  }
}

TEST_CASE("connection id: IPv4 and v4-mapped IPv6 sources share ids", "[core][connection_id]") {
  const connection_id_validator validator(test_key, lifetime);
  const std::array<std::uint8_t, 16> mapped{0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 192, 0, 2, 10};
  const connection_id from_v4 = validator.issue(to_address_bytes(std::array<std::uint8_t, 4>{192, 0, 2, 10}), 7);
  const connection_id from_mapped = validator.issue(to_address_bytes(mapped), 7);
  CHECK(from_v4 == from_mapped);
  CHECK(validator.is_valid(from_v4, to_address_bytes(mapped), 8));
  CHECK(validator.is_valid(from_mapped, to_address_bytes(std::array<std::uint8_t, 4>{192, 0, 2, 10}), 8));
}

TEST_CASE("connection id: flipping any single bit invalidates it", "[core][connection_id]") {
  // Mid-life, so that a flipped time bit can land both in the past and in the future.
  const connection_id_validator validator(test_key, 1u << 20);
  const std::uint32_t issued_at = 0x00f00000U;
  const std::uint32_t now = issued_at + 1000;
  for (const address_bytes& source : {client_v4, client_v6}) {
    const connection_id id = validator.issue(source, issued_at);
    REQUIRE(validator.is_valid(id, source, now));
    for (int bit = 0; bit < 64; ++bit) {
      INFO("bit " << bit);
      CHECK_FALSE(validator.is_valid(connection_id{id.value ^ (1ULL << bit)}, source, now));
    }
  }
}

TEST_CASE("connection id: another key refuses it", "[core][connection_id]") {
  const connection_id_validator validator(test_key, lifetime);
  const connection_id_validator other(siphash_key{test_key.k0 ^ 1, test_key.k1}, lifetime);
  const connection_id_validator other_high(siphash_key{test_key.k0, test_key.k1 ^ (1ULL << 63)}, lifetime);
  const connection_id id = validator.issue(client_v4, 300);
  CHECK(validator.is_valid(id, client_v4, 300));
  CHECK_FALSE(other.is_valid(id, client_v4, 300));
  CHECK_FALSE(other_high.is_valid(id, client_v4, 300));
}

TEST_CASE("connection id: guessed ids are refused", "[core][connection_id]") {
  // A spoofer who knows the layout and the clock but not the key: random MACs for the right time.
  const connection_id_validator validator(test_key, lifetime);
  std::mt19937_64 random(0x6e55);
  int accepted = 0;
  for (int i = 0; i < 100000; ++i) {
    const connection_id guess{(std::uint64_t{5000} << 32) | (random() & 0xffffffffU)};
    if (validator.is_valid(guess, client_v4, 5000)) ++accepted;
  }
  CHECK(accepted == 0);
}
