// The statistics behind noise-aware verdicts (docs/gate.md, "Noise"): a confidence
// interval for the relative change between two sets of repeated measurements.
#pragma once

#include <optional>
#include <span>

namespace hopcost::gate {

// A relative change current/baseline − 1, as fractions (+0.03 is +3%).
struct ChangeInterval {
  double estimate = 0;  // ratio of geometric means − 1
  double low = 0;
  double high = 0;
  double df = 0;  // Welch–Satterthwaite degrees of freedom (∞ when neither sample varies)
};

// Welch's t interval on the difference of the mean logarithms of the two samples, mapped
// back by exp(): the interval of the ratio of geometric means, minus 1. Needs at least 2
// values on each side, all above 0 (nullopt otherwise). Deterministic, no resampling.
std::optional<ChangeInterval> welch_log_ratio_interval(std::span<const double> current,
                                                       std::span<const double> baseline,
                                                       double confidence = 0.95);

// The p-quantile of Student's t distribution with df degrees of freedom (df > 0, may be
// fractional), 0 < p < 1.
double student_t_quantile(double p, double df);

}  // namespace hopcost::gate
