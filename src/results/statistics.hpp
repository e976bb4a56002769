#pragma once
// The statistics of output analysis, as plain functions (unit-tested without an engine):
// Student-t confidence intervals over independent replications, paired and unpaired tests
// of a difference, the seeds of replications, MSER-5 (the truncation point of an initial
// transient) and batch means in one long run.
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

namespace archsim {

// The q-quantile of Student's t distribution with `df` degrees of freedom (df > 0).
double student_t_quantile(double q, double df);

// A two-sided confidence interval for a mean.
struct Interval {
  double mean = 0;
  double se = 0;          // standard error of the mean
  double half_width = 0;  // t quantile x se
  double low = 0;
  double high = 0;
  std::size_t n = 0;  // observations (replications or batches)
};

// The interval for the mean of independent, identically distributed `values` (at least 2)
// at `confidence` (e.g. 0.95).
Interval mean_interval(const std::vector<double>& values, double confidence = 0.95);

// Whether two columns differ by more than the noise, at `confidence`. Paired (the same
// seeds in replication i of both: common random numbers), from the differences b_i - a_i;
// otherwise Welch's test for unequal variances.
struct Difference {
  double mean = 0;        // mean of b minus mean of a
  double half_width = 0;  // of its confidence interval
  bool significant = false;
  bool paired = false;
};
Difference paired_difference(const std::vector<double>& a, const std::vector<double>& b, double confidence = 0.95);
Difference welch_difference(const std::vector<double>& a, const std::vector<double>& b, double confidence = 0.95);

// The seed of replication `index` (1, 2, ...) of a scenario whose seed is `base`: replication
// 1 keeps the scenario's own seed, the others are spread by a mixing function, so that every
// column of a comparison uses the same seeds (common random numbers). Below 2^53.
std::uint64_t replication_seed(std::uint64_t base, int index);

// MSER-5 (White 1997; Franklin & White 2008): the series is averaged in batches of 5; the
// truncation point d (in batches) minimises the squared standard error of the mean of what
// is left, sum((x - mean)^2) / (n - d)^2, over d up to half the batches (a minimum at that
// bound means the series still drifts: the run is too short to tell). `limit` (in observations) bounds the cut:
// no truncation past it (the first scheduled fault or load change). Returns the number of
// observations to drop, or nothing when the run is too short to tell.
std::optional<std::size_t> mser5_truncation(const std::vector<double>& series, std::size_t limit);

// Batch means (Law & Kelton): consecutive observations are grouped into batches, doubling the
// batch size until the lag-1 autocorrelation of the batch means is below 0.1 (the batches are
// then as good as independent) while at least `min_batches` batches remain. The interval is
// over the batch means. When no size gets there, the largest one with `min_batches` batches
// is used and `uncorrelated` is false (the run is too short for its correlation: the
// interval is too narrow). Nothing with fewer than `min_batches` observations.
struct BatchMeans {
  Interval interval;
  std::size_t batch_size = 0;  // observations per batch
  std::size_t batches = 0;
  double lag1 = 0;  // autocorrelation of the batch means at that size
  bool uncorrelated = false;
};
// With `weights` (one per observation, e.g. the requests a window's mean latency stands for),
// a batch's value is the weighted mean of its observations.
std::optional<BatchMeans> batch_means(const std::vector<double>& series, std::size_t min_batches = 10,
                                      double confidence = 0.95, const std::vector<double>& weights = {});

// Lag-1 autocorrelation of a series (0 when it has no variance).
double lag1_autocorrelation(const std::vector<double>& series);

}  // namespace archsim
