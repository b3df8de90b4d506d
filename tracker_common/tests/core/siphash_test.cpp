#include "tracker/core/siphash.hpp"

#include <catch2/catch.hpp>

#include <array>
#include <cstdint>
#include <set>
#include <vector>

using riptide::core::random_siphash_key;
using riptide::core::siphash24;
using riptide::core::siphash_key;

namespace {

// The reference key: bytes 00 01 .. 0f, read as two little-endian 64-bit words.
constexpr siphash_key reference_key{0x0706050403020100ULL, 0x0f0e0d0c0b0a0908ULL};

// SipHash-2-4 reference vectors (vectors.h / the paper's test.c, `vectors_sip64`): entry n is the
// hash of the n bytes 00 01 .. n-1 under the reference key. Entry 15 is the worked example of the
// paper's Appendix A.
constexpr std::array<std::uint64_t, 64> reference_vectors = {
    0x726fdb47dd0e0e31, 0x74f839c593dc67fd, 0x0d6c8009d9a94f5a, 0x85676696d7fb7e2d, 0xcf2794e0277187b7,
    0x18765564cd99a68d, 0xcbc9466e58fee3ce, 0xab0200f58b01d137, 0x93f5f5799a932462, 0x9e0082df0ba9e4b0,
    0x7a5dbbc594ddb9f3, 0xf4b32f46226bada7, 0x751e8fbc860ee5fb, 0x14ea5627c0843d90, 0xf723ca908e7af2ee,
    0xa129ca6149be45e5, 0x3f2acc7f57c29bdb, 0x699ae9f52cbe4794, 0x4bc1b3f0968dd39c, 0xbb6dc91da77961bd,
    0xbed65cf21aa2ee98, 0xd0f2cbb02e3b67c7, 0x93536795e3a33e88, 0xa80c038ccd5ccec8, 0xb8ad50c6f649af94,
    0xbce192de8a85b8ea, 0x17d835b85bbb15f3, 0x2f2e6163076bcfad, 0xde4daaaca71dc9a5, 0xa6a2506687956571,
    0xad87a3535c49ef28, 0x32d892fad841c342, 0x7127512f72f27cce, 0xa7f32346f95978e3, 0x12e0b01abb051238,
    0x15e034d40fa197ae, 0x314dffbe0815a3b4, 0x027990f029623981, 0xcadcd4e59ef40c4d, 0x9abfd8766a33735c,
    0x0e3ea96b5304a7d0, 0xad0c42d6fc585992, 0x187306c89bc215a9, 0xd4a60abcf3792b95, 0xf935451de4f21df2,
    0xa9538f0419755787, 0xdb9acddff56ca510, 0xd06c98cd5c0975eb, 0xe612a3cb9ecba951, 0xc766e62cfcadaf96,
    0xee64435a9752fe72, 0xa192d576b245165a, 0x0a8787bf8ecb74b2, 0x81b3e73d20b49b6f, 0x7fa8220ba3b2ecea,
    0x245731c13ca42499, 0xb78dbfaf3a8d83bd, 0xea1ad565322a1a0b, 0x60e61c23a3795013, 0x6606d7e446282b93,
    0x6ca4ecb15c5f91e1, 0x9f626da15c9625f3, 0xe51b38608ef25f57, 0x958a324ceb064572,
};

}  // namespace

TEST_CASE("siphash24: the paper's example and the empty message", "[core][siphash]") {
  std::array<std::uint8_t, 15> message{};
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i);
  CHECK(siphash24(reference_key, message) == 0xa129ca6149be45e5ULL);
  CHECK(siphash24(reference_key, std::span<const std::uint8_t>{}) == 0x726fdb47dd0e0e31ULL);
}

TEST_CASE("siphash24: all 64 reference vectors (every tail length, 0 to 7 full words)", "[core][siphash]") {
  std::array<std::uint8_t, 64> message{};
  for (std::size_t i = 0; i < message.size(); ++i) message[i] = static_cast<std::uint8_t>(i);
  for (std::size_t n = 0; n < reference_vectors.size(); ++n) {
    INFO("length " << n);
    CHECK(siphash24(reference_key, std::span(message).first(n)) == reference_vectors[n]);
  }
}

TEST_CASE("siphash24: the key matters, in both halves", "[core][siphash]") {
  const std::array<std::uint8_t, 8> message{1, 2, 3, 4, 5, 6, 7, 8};
  const std::uint64_t reference = siphash24(reference_key, message);
  CHECK(siphash24({reference_key.k0 ^ 1, reference_key.k1}, message) != reference);
  CHECK(siphash24({reference_key.k0, reference_key.k1 ^ (1ULL << 63)}, message) != reference);
  CHECK(siphash24(siphash_key{}, message) != reference);
}

TEST_CASE("random_siphash_key: keys differ from call to call", "[core][siphash]") {
  std::set<std::pair<std::uint64_t, std::uint64_t>> seen;
  for (int i = 0; i < 64; ++i) {
    const siphash_key key = random_siphash_key();
    // 128 random bits: a repeat, or an all-zero half, means the source is broken.
    CHECK(key.k0 != 0);
    CHECK(key.k1 != 0);
    CHECK(key.k0 != key.k1);
    seen.emplace(key.k0, key.k1);
  }
  CHECK(seen.size() == 64);
}

TEST_CASE("siphash13: reference vectors for the first 16 message lengths", "[core][siphash]") {
  // SipHash-1-3 of the n bytes 00 01 .. n-1 under the reference key, as published with
  // SipHash-1-3 implementations (Swift's standard library tests, Go's sip13) and reproduced by an
  // independent implementation checked against all 64 SipHash-2-4 vectors above.
  constexpr std::array<std::uint64_t, 16> expected = {
      0xabac0158050fc4dc, 0xc9f49bf37d57ca93, 0x82cb9b024dc7d44d, 0x8bf80ab8e7ddf7fb,
      0xcf75576088d38328, 0xdef9d52f49533b67, 0xc50d2b50c59f22a7, 0xd3927d989bb11140,
      0x369095118d299a8e, 0x25a48eb36c063de4, 0x79de85ee92ff097f, 0x70c118c1f94dc352,
      0x78a384b157b4d9a2, 0x306f760c1229ffa7, 0x605aa111c0f95d34, 0xd320d86d2a519956,
  };
  std::vector<std::uint8_t> message;
  for (std::size_t n = 0; n < expected.size(); ++n) {
    INFO("message length " << n);
    CHECK(riptide::core::siphash13(reference_key, message) == expected[n]);
    message.push_back(static_cast<std::uint8_t>(n));
  }
}
