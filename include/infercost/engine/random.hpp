#pragma once
// Named, independent random streams derived from the scenario seed (xoshiro256++ seeded through SplitMix64).
// A stream is identified by (name, index): adding a user or a replica never changes another stream's draws.
#include <cmath>
#include <cstdint>
#include <string_view>

namespace infercost {

__extension__ using uint128_t = unsigned __int128;

/// SplitMix64 step (Steele, Lea, Flood 2014): used to expand seeds.
inline std::uint64_t splitmix64(std::uint64_t& state) {
  std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
  return z ^ (z >> 31);
}

/// FNV-1a 64-bit hash of a string (stream names, scenario text).
inline std::uint64_t fnv1a64(std::string_view s, std::uint64_t h = 0xcbf29ce484222325ULL) {
  for (unsigned char c : s) {
    h ^= c;
    h *= 0x100000001b3ULL;
  }
  return h;
}

/// One random stream: xoshiro256++ (Blackman & Vigna 2019), 32 bytes of state and an optional draw sink.
class RandomStream {
 public:
  RandomStream() : RandomStream(0) {}
  explicit RandomStream(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }

  std::uint64_t next_u64() {
    const std::uint64_t result = rotl(s_[0] + s_[3], 23) + s_[0];
    const std::uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    if (draw_sink_ != nullptr) *draw_sink_ += result;
    return result;
  }
  /// Uniform on [0, 1) with 53 random bits.
  double uniform() { return static_cast<double>(next_u64() >> 11) * 0x1.0p-53; }
  /// Uniform on (0, 1]: safe for log().
  double uniform_open0() { return 1.0 - uniform(); }
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  /// Uniform integer in [0, n) (Lemire's multiply-shift; bias below 2^-64 * n, negligible here).
  std::uint64_t uniform_int(std::uint64_t n) {
    return static_cast<std::uint64_t>((static_cast<uint128_t>(next_u64()) * n) >> 64);
  }
  /// Exponential with the given rate (mean 1/rate), by inversion.
  double exponential(double rate) { return -std::log(uniform_open0()) / rate; }
  /// Standard normal by Box-Muller (one value per call; the second is discarded for simplicity of state).
  double normal() {
    const double u1 = uniform_open0();
    const double u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  /// Lognormal: exp(N(mu, sigma)).
  double lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

  /// Adds every later draw to *sink (an engine's fingerprint input, Engine::random_draw_sink); null: none.
  /// The draws themselves do not change.
  void set_draw_sink(std::uint64_t* sink) { draw_sink_ = sink; }

 private:
  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  std::uint64_t* draw_sink_ = nullptr;
};

/// Derives independent streams from a scenario seed by name and index.
class StreamFactory {
 public:
  explicit StreamFactory(std::uint64_t seed) : seed_(seed) {}
  std::uint64_t seed() const { return seed_; }
  /// The stream for (name, index); the same arguments always give the same stream.
  RandomStream stream(std::string_view name, std::uint64_t index = 0) const {
    std::uint64_t state = seed_ ^ fnv1a64(name);
    std::uint64_t a = splitmix64(state);
    std::uint64_t mixed = a ^ (index * 0xd1b54a32d192ed03ULL);
    std::uint64_t b = splitmix64(mixed);
    RandomStream s(b);
    s.set_draw_sink(draw_sink_);
    return s;
  }
  /// Streams made after this call add their draws to *sink (see RandomStream::set_draw_sink).
  void set_draw_sink(std::uint64_t* sink) { draw_sink_ = sink; }

 private:
  std::uint64_t seed_;
  std::uint64_t* draw_sink_ = nullptr;
};

}  // namespace infercost
