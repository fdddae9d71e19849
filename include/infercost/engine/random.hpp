#pragma once
// Named, independent random streams derived from the scenario seed (xoshiro256++ seeded through SplitMix64).
// A stream is identified by (name, index): adding a user or a replica never changes another stream's draws.
#include <cmath>
#include <cstdint>
#include <string_view>
#include <vector>

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
/// Aligned to 32 bytes (64 in all), so that each of an array of per-user streams is one cache line: at 40
/// bytes half of them straddled two, and a user's stream is cold at nearly every arrival of a large fleet.
class alignas(32) RandomStream {
 public:
  RandomStream() : RandomStream(0) {}
  explicit RandomStream(std::uint64_t seed) {
    std::uint64_t sm = seed;
    for (auto& w : s_) w = splitmix64(sm);
  }

  /// A stream's 32 bytes of state without its sink: StreamStates keeps many of them two to a line.
  struct alignas(32) State {
    std::uint64_t s[4];
  };
  /// The stream whose state is `state`, adding its draws to `sink` (may be null).
  RandomStream(const State& state, std::uint64_t* sink) : draw_sink_(sink) {
    for (int i = 0; i < 4; ++i) s_[i] = state.s[i];
  }
  State state() const { return State{{s_[0], s_[1], s_[2], s_[3]}}; }
  std::uint64_t* draw_sink() const { return draw_sink_; }

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
  /// Exponential with the given rate (mean 1/rate): a standard exponential by the 256-layer ziggurat
  /// (Marsaglia & Tsang 2000; docs/models.md), one draw and a compare in about 99% of calls.
  double exponential(double rate) { return standard_exponential() / rate; }
  double standard_exponential() {
    const std::uint64_t bits = next_u64();
    const unsigned i = static_cast<unsigned>(bits & 0xff);
    const double x = static_cast<double>(bits >> 11) * 0x1.0p-53 * kExponentialZiggurat.x[i];
    if (x < kExponentialZiggurat.x[i + 1]) return x;
    return exponential_edge(i, x);
  }
  /// Standard normal by the 256-layer ziggurat (Marsaglia & Tsang 2000; docs/models.md): one draw per
  /// variate in about 99% of calls, the layer from the draw's low 8 bits and the abscissa from its top 53
  /// (disjoint bits, after Doornik 2005).
  double normal() {
    const std::uint64_t bits = next_u64();
    const unsigned i = static_cast<unsigned>(bits & 0xff);
    const double x = static_cast<double>(static_cast<std::int64_t>(bits) >> 11) * 0x1.0p-52 * kNormalZiggurat.x[i];
    if (std::fabs(x) < kNormalZiggurat.x[i + 1]) return x;
    return normal_edge(i, x);
  }
  double normal(double mean, double sd) { return mean + sd * normal(); }
  /// Lognormal: exp(N(mu, sigma)).
  double lognormal(double mu, double sigma) { return std::exp(normal(mu, sigma)); }

  /// Adds every later draw to *sink (an engine's fingerprint input, Engine::random_draw_sink); null: none.
  /// The draws themselves do not change.
  void set_draw_sink(std::uint64_t* sink) { draw_sink_ = sink; }

 private:
  /// The ziggurat's layers: layer i covers heights [f[i], f[i + 1]] and abscissas up to x[i] (layer 0, the
  /// base, also stands for the tail beyond x[1] = r); every layer has the same area.
  struct Ziggurat {
    double x[257];
    double f[257];  ///< exp(-x^2 / 2)
    Ziggurat() {
      constexpr double r = 3.6541528853610088;  // Marsaglia & Tsang's 256-layer constants
      constexpr double v = 4.92867323399e-3;    // each layer's area
      const auto pdf = [](double t) { return std::exp(-0.5 * t * t); };
      x[0] = v / pdf(r);
      x[1] = r;
      for (int i = 1; i < 255; ++i) x[i + 1] = std::sqrt(-2.0 * std::log(v / x[i] + pdf(x[i])));
      x[256] = 0.0;
      for (int i = 0; i < 257; ++i) f[i] = pdf(x[i]);
    }
  };
  static inline const Ziggurat kNormalZiggurat{};

  /// The same construction for the density exp(-x) on x >= 0.
  struct ExponentialZiggurat {
    double x[257];
    double f[257];  ///< exp(-x)
    ExponentialZiggurat() {
      constexpr double r = 7.69711747013104972;      // Marsaglia & Tsang's 256-layer constants
      constexpr double v = 3.949659822581557199e-3;  // each layer's area
      x[0] = v / std::exp(-r);
      x[1] = r;
      for (int i = 1; i < 255; ++i) x[i + 1] = -std::log(v / x[i] + std::exp(-x[i]));
      x[256] = 0.0;
      for (int i = 0; i < 257; ++i) f[i] = std::exp(-x[i]);
    }
  };
  static inline const ExponentialZiggurat kExponentialZiggurat{};

  /// The rare exponential ziggurat cases: x from layer i fell outside its inner rectangle.
  [[gnu::noinline]] double exponential_edge(unsigned i, double x) {
    // The tail beyond r is r plus a fresh exponential (memorylessness).
    if (i == 0) return kExponentialZiggurat.x[1] - std::log(uniform_open0());
    // A wedge: accept x when a uniform height in the layer falls under the density, else draw afresh.
    const double y =
        kExponentialZiggurat.f[i] + uniform() * (kExponentialZiggurat.f[i + 1] - kExponentialZiggurat.f[i]);
    return y < std::exp(-x) ? x : standard_exponential();
  }

  /// The rare normal ziggurat cases: x from layer i fell outside its inner rectangle.
  [[gnu::noinline]] double normal_edge(unsigned i, double x) {
    if (i == 0) {
      // The tail beyond r (Marsaglia 1964): r + a with a ~ Exp(r), accepted with probability exp(-a^2 / 2).
      const double r = kNormalZiggurat.x[1];
      double a, b;
      do {
        a = -std::log(uniform_open0()) / r;
        b = -std::log(uniform_open0());
      } while (b + b < a * a);
      return x < 0 ? -(r + a) : r + a;
    }
    // A wedge: accept x when a uniform height in the layer falls under the density, else draw afresh (about 1%
    // of draws).
    const double y = kNormalZiggurat.f[i] + uniform() * (kNormalZiggurat.f[i + 1] - kNormalZiggurat.f[i]);
    return y < std::exp(-0.5 * x * x) ? x : normal();
  }

  static std::uint64_t rotl(std::uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  std::uint64_t s_[4];
  std::uint64_t* draw_sink_ = nullptr;
};

/// Many streams that share one sink, 32 bytes each (a RandomStream takes 64 with its sink pointer): a draw
/// loads one into a RandomStream and stores it back, and an array of a fleet's users' streams takes half the
/// cache it would.
class StreamStates {
 public:
  /// Takes the streams' states; they must share one sink.
  explicit StreamStates(const std::vector<RandomStream>& streams)
      : sink_(streams.empty() ? nullptr : streams.front().draw_sink()) {
    states_.reserve(streams.size());
    for (const RandomStream& s : streams) states_.push_back(s.state());
  }
  RandomStream load(std::size_t i) const { return RandomStream(states_[i], sink_); }
  void store(std::size_t i, const RandomStream& stream) { states_[i] = stream.state(); }
  const RandomStream::State* data() const { return states_.data(); }

 private:
  std::vector<RandomStream::State> states_;
  std::uint64_t* sink_ = nullptr;
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
