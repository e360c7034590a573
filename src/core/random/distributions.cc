#include "cacheopt/random/distributions.h"

#include <cassert>
#include <cmath>

namespace cacheopt {

double UniformDouble(Rng& rng) { return static_cast<double>(rng.Next() >> 11) * 0x1.0p-53; }

uint64_t UniformInt(Rng& rng, uint64_t n) {
  assert(n > 0);
  // 2^64 mod n draws at the bottom are the ones a modulo would overweight.
  const uint64_t threshold = (0 - n) % n;
  uint64_t x = rng.Next();
  while (x < threshold) x = rng.Next();
  return x % n;
}

double Exponential(Rng& rng, double rate) {
  assert(rate > 0);
  // log1p(-u) with u in [0, 1) is finite: never log(0).
  return -std::log1p(-UniformDouble(rng)) / rate;
}

double Normal(Rng& rng, double mean, double stddev) {
  double u, v, s;
  do {
    u = 2 * UniformDouble(rng) - 1;
    v = 2 * UniformDouble(rng) - 1;
    s = u * u + v * v;
  } while (s >= 1 || s == 0);
  return mean + stddev * u * std::sqrt(-2 * std::log(s) / s);
}

double LogNormal(Rng& rng, double mu, double sigma) { return std::exp(Normal(rng, mu, sigma)); }

double Gamma(Rng& rng, double shape, double scale) {
  assert(shape > 0 && scale > 0);
  if (shape < 1) {
    // Boost: Gamma(a) = Gamma(a + 1) * U^(1/a); 1 - u is in (0, 1], never 0.
    const double g = Gamma(rng, shape + 1, 1.0);
    const double u = 1 - UniformDouble(rng);
    return scale * g * std::exp(std::log(u) / shape);
  }
  const double d = shape - 1.0 / 3.0;
  const double c = 1 / std::sqrt(9 * d);
  while (true) {
    double x, v;
    do {
      x = Normal(rng, 0, 1);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const double u = 1 - UniformDouble(rng);
    const double x2 = x * x;
    if (u < 1 - 0.0331 * x2 * x2) return scale * d * v;
    if (std::log(u) < 0.5 * x2 + d * (1 - v + std::log(v))) return scale * d * v;
  }
}

}  // namespace cacheopt
