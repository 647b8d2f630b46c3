// SPDX-License-Identifier: MIT
#pragma once
// Random-number streams. Every stochastic component owns its own stream per purpose, seeded from
// (scenario seed, stable component name, purpose) by a specified hash (FNV-1a 64 over the names,
// mixed with the seed by SplitMix64), so adding a component never shifts another one's sequence and
// two scenarios that differ only in design see the same arrivals (common random numbers).
// Engines and distributions are Boost.Random: std:: distributions are implementation-defined
// (C++ [rand.dist.general]) and would make results depend on the standard library.

#include <boost/random/mersenne_twister.hpp>
#include <cstdint>
#include <string_view>

namespace kubemind::engine {

/// FNV-1a, 64-bit (Fowler, Noll, Vo; www.isthe.com/chongo/tech/comp/fnv): offset 14695981039346656037,
/// prime 1099511628211.
constexpr uint64_t fnv1a64(std::string_view bytes, uint64_t hash = 14695981039346656037ULL) {
  for (const char c : bytes) {
    hash ^= static_cast<uint8_t>(c);
    hash *= 1099511628211ULL;
  }
  return hash;
}

/// SplitMix64 finaliser (Steele, Lea, Flood 2014), a bijective 64-bit mixer.
constexpr uint64_t splitmix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ULL;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ULL;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBULL;
  return x ^ (x >> 31);
}

/// The seed of the stream (master_seed, component, purpose). A 0x1F unit separator between the two
/// names keeps ("ab", "c") apart from ("a", "bc").
constexpr uint64_t derive_seed(uint64_t master_seed, std::string_view component, std::string_view purpose) {
  uint64_t h = fnv1a64(component);
  h = fnv1a64(std::string_view("\x1f", 1), h);
  h = fnv1a64(purpose, h);
  return splitmix64(splitmix64(master_seed) ^ h);
}

/// One named random stream: a Boost mt19937_64 engine. Pass engine() to Boost distributions.
class RngStream {
 public:
  using Engine = boost::random::mt19937_64;

  RngStream(uint64_t master_seed, std::string_view component, std::string_view purpose)
      : seed_(derive_seed(master_seed, component, purpose)), engine_(seed_) {}

  Engine& engine() { return engine_; }
  uint64_t seed() const { return seed_; }

 private:
  uint64_t seed_;
  Engine engine_;
};

}  // namespace kubemind::engine
