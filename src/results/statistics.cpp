#include "results/statistics.hpp"

#include <cmath>
#include <limits>
#include <numeric>
#include <stdexcept>

namespace archsim {

namespace {

// Continued fraction of the regularised incomplete beta function (modified Lentz).
double beta_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEpsilon = 1e-15;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 10000; ++m) {
    const double m2 = 2.0 * m;
    double aa = m * (b - m) * x / ((a + m2 - 1.0) * (a + m2));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    h *= d * c;
    aa = -(a + m) * (a + b + m) * x / ((a + m2) * (a + m2 + 1.0));
    d = 1.0 + aa * d;
    if (std::fabs(d) < kTiny) d = kTiny;
    c = 1.0 + aa / c;
    if (std::fabs(c) < kTiny) c = kTiny;
    d = 1.0 / d;
    const double step = d * c;
    h *= step;
    if (std::fabs(step - 1.0) < kEpsilon) break;
  }
  return h;
}

// I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) + a * std::log(x) +
                                b * std::log1p(-x));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_fraction(a, b, x) / a;
  return 1.0 - front * beta_fraction(b, a, 1.0 - x) / b;
}

// P(T <= t) for Student's t with df degrees of freedom.
double student_t_cdf(double t, double df) {
  const double tail = 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
  return t >= 0 ? 1.0 - tail : tail;
}

double mean_of(const std::vector<double>& v) { return std::accumulate(v.begin(), v.end(), 0.0) / static_cast<double>(v.size()); }

double sample_variance(const std::vector<double>& v, double mean) {
  double sum = 0;
  for (double x : v) sum += (x - mean) * (x - mean);
  return sum / static_cast<double>(v.size() - 1);
}

}  // namespace

double student_t_quantile(double q, double df) {
  if (!(q > 0 && q < 1) || !(df > 0)) throw std::invalid_argument("student_t_quantile: q in (0, 1), df > 0");
  if (q == 0.5) return 0;
  if (q < 0.5) return -student_t_quantile(1.0 - q, df);
  // Bisection on the distribution function: a few dozen steps reach double precision.
  double low = 0, high = 1;
  while (student_t_cdf(high, df) < q) high *= 2;
  for (int i = 0; i < 200 && high - low > 1e-12 * high; ++i) {
    const double mid = 0.5 * (low + high);
    (student_t_cdf(mid, df) < q ? low : high) = mid;
  }
  return 0.5 * (low + high);
}

Interval mean_interval(const std::vector<double>& values, double confidence) {
  if (values.size() < 2) throw std::invalid_argument("an interval needs at least two observations");
  Interval i;
  i.n = values.size();
  i.mean = mean_of(values);
  i.se = std::sqrt(sample_variance(values, i.mean) / static_cast<double>(i.n));
  i.half_width = student_t_quantile(0.5 + confidence / 2.0, static_cast<double>(i.n - 1)) * i.se;
  i.low = i.mean - i.half_width;
  i.high = i.mean + i.half_width;
  return i;
}

Difference paired_difference(const std::vector<double>& a, const std::vector<double>& b, double confidence) {
  if (a.size() != b.size() || a.size() < 2) throw std::invalid_argument("a paired test needs two equal samples of 2+");
  std::vector<double> d(a.size());
  for (std::size_t i = 0; i < a.size(); ++i) d[i] = b[i] - a[i];
  const Interval i = mean_interval(d, confidence);
  return {i.mean, i.half_width, std::fabs(i.mean) > i.half_width, true};
}

Difference welch_difference(const std::vector<double>& a, const std::vector<double>& b, double confidence) {
  if (a.size() < 2 || b.size() < 2) throw std::invalid_argument("a test needs two samples of 2+");
  const double ma = mean_of(a), mb = mean_of(b);
  const double va = sample_variance(a, ma) / static_cast<double>(a.size());
  const double vb = sample_variance(b, mb) / static_cast<double>(b.size());
  const double se = std::sqrt(va + vb);
  Difference d;
  d.mean = mb - ma;
  if (se == 0) {
    d.significant = d.mean != 0;
    return d;
  }
  // Welch–Satterthwaite degrees of freedom.
  const double df = (va + vb) * (va + vb) /
                    (va * va / static_cast<double>(a.size() - 1) + vb * vb / static_cast<double>(b.size() - 1));
  d.half_width = student_t_quantile(0.5 + confidence / 2.0, df) * se;
  d.significant = std::fabs(d.mean) > d.half_width;
  return d;
}

std::uint64_t replication_seed(std::uint64_t base, int index) {
  if (index <= 1) return base;
  // splitmix64 of the base and the index, kept below 2^53 (seeds travel through JSON).
  std::uint64_t z = base + 0x9E3779B97F4A7C15ULL * static_cast<std::uint64_t>(index);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ULL;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBULL;
  z ^= z >> 31;
  return z & ((1ULL << 53) - 1);
}

std::optional<std::size_t> mser5_truncation(const std::vector<double>& series, std::size_t limit) {
  constexpr std::size_t kBatch = 5;
  const std::size_t batches = series.size() / kBatch;
  if (batches < 4) return std::nullopt;
  std::vector<double> z(batches);
  for (std::size_t j = 0; j < batches; ++j) {
    double sum = 0;
    for (std::size_t k = 0; k < kBatch; ++k) sum += series[j * kBatch + k];
    z[j] = sum / kBatch;
  }
  // Suffix sums give each candidate's statistic in O(1).
  std::vector<double> sum(batches + 1, 0.0), squares(batches + 1, 0.0);
  for (std::size_t j = batches; j-- > 0;) {
    sum[j] = sum[j + 1] + z[j];
    squares[j] = squares[j + 1] + z[j] * z[j];
  }
  // Candidates up to half the batches; a minimum at that bound means the series still
  // drifts there: no steady state within the run.
  const std::size_t half = batches / 2;
  std::size_t best = 0;
  double best_value = std::numeric_limits<double>::infinity();
  for (std::size_t d = 0; d <= half; ++d) {
    const double n = static_cast<double>(batches - d);
    const double mean = sum[d] / n;
    const double value = std::max(0.0, squares[d] - n * mean * mean) / (n * n);
    if (value < best_value) {
      best_value = value;
      best = d;
    }
  }
  if (best == half) return std::nullopt;
  return std::min(best, limit / kBatch) * kBatch;
}

double lag1_autocorrelation(const std::vector<double>& series) {
  if (series.size() < 3) return 0;
  const double mean = mean_of(series);
  double numerator = 0, denominator = 0;
  for (std::size_t i = 0; i < series.size(); ++i) {
    denominator += (series[i] - mean) * (series[i] - mean);
    if (i + 1 < series.size()) numerator += (series[i] - mean) * (series[i + 1] - mean);
  }
  return denominator > 0 ? numerator / denominator : 0.0;
}

std::optional<BatchMeans> batch_means(const std::vector<double>& series, std::size_t min_batches, double confidence,
                                      const std::vector<double>& weights) {
  if (min_batches < 2) min_batches = 2;
  std::optional<BatchMeans> last;
  for (std::size_t size = 1; series.size() / size >= min_batches; size *= 2) {
    const std::size_t count = series.size() / size;
    std::vector<double> means(count);
    // The first observations are dropped when the series does not divide: the end is steadier.
    const std::size_t skip = series.size() - count * size;
    for (std::size_t b = 0; b < count; ++b) {
      double sum = 0, weight = 0;
      for (std::size_t k = 0; k < size; ++k) {
        const std::size_t i = skip + b * size + k;
        const double w = weights.empty() ? 1.0 : weights[i];
        sum += w * series[i];
        weight += w;
      }
      means[b] = weight > 0 ? sum / weight : 0.0;
    }
    const double r = lag1_autocorrelation(means);
    last = BatchMeans{mean_interval(means, confidence), size, count, r, r < 0.1};
    if (last->uncorrelated) break;
  }
  return last;
}

}  // namespace archsim
