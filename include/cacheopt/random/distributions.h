// The project's own distributions over Rng. std:: distributions are not used
// anywhere in the simulator: their algorithms differ between standard
// libraries, which would break byte-identical output for a fixed seed.
// Each function consumes a documented, implementation-fixed number of draws.
#pragma once

#include <cstdint>
#include <span>
#include <utility>

#include "cacheopt/random/rng.h"

namespace cacheopt {

// Uniform in [0, 1) with 53 random bits (the top bits of one draw).
double UniformDouble(Rng& rng);

// Uniform integer in [0, n), n > 0, unbiased (rejection, not a bare modulo).
uint64_t UniformInt(Rng& rng, uint64_t n);

// Exponential with the given rate (> 0); mean 1 / rate. Inversion.
double Exponential(Rng& rng, double rate);

// Normal(mean, stddev) by Marsaglia's polar method. The second variate of
// each pair is discarded so the function keeps no hidden state.
double Normal(Rng& rng, double mean, double stddev);

// exp(Normal(mu, sigma)): median exp(mu), mean exp(mu + sigma^2 / 2).
double LogNormal(Rng& rng, double mu, double sigma);

// Gamma(shape > 0, scale > 0): mean shape * scale, CV 1 / sqrt(shape).
// Marsaglia-Tsang (2000); for shape < 1, Gamma(shape + 1) * U^(1 / shape).
double Gamma(Rng& rng, double shape, double scale);

// Fisher-Yates, front to back: item i is swapped with a uniform pick from
// [i, n). The first k items after the shuffle are a uniform k-sample, and they
// are the same whatever n - k items follow them would have been drawn.
template <typename T>
void Shuffle(Rng& rng, std::span<T> items) {
  const size_t n = items.size();
  for (size_t i = 0; i + 1 < n; ++i) {
    const size_t j = i + static_cast<size_t>(UniformInt(rng, n - i));
    using std::swap;
    swap(items[i], items[j]);
  }
}

}  // namespace cacheopt
