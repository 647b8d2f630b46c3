// SPDX-License-Identifier: MIT
#include "sim/engine/rng.h"

#include <catch2/catch.hpp>

using namespace kubemind::engine;

TEST_CASE("FNV-1a 64 matches the reference test vectors", "[engine][rng]") {
  // From the FNV reference implementation's test suite (test_fnv.c, FNV1a_64).
  CHECK(fnv1a64("") == 0xcbf29ce484222325ULL);
  CHECK(fnv1a64("a") == 0xaf63dc4c8601ec8cULL);
  CHECK(fnv1a64("foobar") == 0x85944171f73967e8ULL);
}

TEST_CASE("SplitMix64 matches its reference first output", "[engine][rng]") {
  // The first output of the reference splitmix64.c (Vigna) seeded with 0.
  CHECK(splitmix64(0) == 0xe220a8397b1dcdafULL);
}

TEST_CASE("the stream engine is the standard mt19937_64", "[engine][rng]") {
  // C++ [rand.predef]: the 10000th output of a default-constructed mt19937_64 is 9981545732273789042.
  RngStream::Engine e(5489u);
  uint64_t x = 0;
  for (int i = 0; i < 10000; ++i) x = e();
  CHECK(x == 9981545732273789042ULL);
}

TEST_CASE("a stream is fixed by (seed, component, purpose) and by nothing else", "[engine][rng]") {
  RngStream a(1, "client/load", "arrivals");
  RngStream b(1, "client/load", "arrivals");
  for (int i = 0; i < 100; ++i) REQUIRE(a.engine()() == b.engine()());
  CHECK(derive_seed(1, "client/load", "arrivals") != derive_seed(2, "client/load", "arrivals"));
  CHECK(derive_seed(1, "client/load", "arrivals") != derive_seed(1, "client/load2", "arrivals"));
  CHECK(derive_seed(1, "client/load", "arrivals") != derive_seed(1, "client/load", "sizes"));
  CHECK(derive_seed(1, "ab", "c") != derive_seed(1, "a", "bc"));
}
