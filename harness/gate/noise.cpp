#include "gate/noise.hpp"

#include <cmath>
#include <limits>

#include "util/check.hpp"

namespace hopcost::gate {
namespace {

// Continued fraction of the regularized incomplete beta function (modified Lentz).
double beta_continued_fraction(double a, double b, double x) {
  constexpr double kTiny = 1e-300;
  constexpr double kEps = 1e-15;
  double c = 1.0;
  double d = 1.0 - (a + b) * x / (a + 1.0);
  if (std::fabs(d) < kTiny) d = kTiny;
  d = 1.0 / d;
  double h = d;
  for (int m = 1; m <= 1000; ++m) {
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
    const double delta = d * c;
    h *= delta;
    if (std::fabs(delta - 1.0) < kEps) break;
  }
  return h;
}

// I_x(a, b).
double incomplete_beta(double a, double b, double x) {
  if (x <= 0) return 0;
  if (x >= 1) return 1;
  const double front = std::exp(std::lgamma(a + b) - std::lgamma(a) - std::lgamma(b) +
                                a * std::log(x) + b * std::log1p(-x));
  if (x < (a + 1.0) / (a + b + 2.0)) return front * beta_continued_fraction(a, b, x) / a;
  return 1.0 - front * beta_continued_fraction(b, a, 1.0 - x) / b;
}

// P(T <= t) for t >= 0.
double student_t_cdf(double t, double df) {
  return 1.0 - 0.5 * incomplete_beta(df / 2.0, 0.5, df / (df + t * t));
}

struct Moments {
  double mean = 0;
  double variance = 0;  // sample variance (n − 1)
};

std::optional<Moments> log_moments(std::span<const double> values) {
  if (values.size() < 2) return std::nullopt;
  Moments m;
  for (double v : values) {
    if (!(v > 0) || !std::isfinite(v)) return std::nullopt;
    m.mean += std::log(v);
  }
  m.mean /= static_cast<double>(values.size());
  for (double v : values) m.variance += (std::log(v) - m.mean) * (std::log(v) - m.mean);
  m.variance /= static_cast<double>(values.size() - 1);
  return m;
}

}  // namespace

double student_t_quantile(double p, double df) {
  HOPCOST_CHECK(p > 0 && p < 1 && df > 0);
  if (p < 0.5) return -student_t_quantile(1.0 - p, df);
  if (p == 0.5) return 0;
  double hi = 1.0;
  while (student_t_cdf(hi, df) < p && hi < 1e12) hi *= 2.0;
  double lo = 0;
  for (int i = 0; i < 200 && hi - lo > 1e-12 * hi; ++i) {
    const double mid = 0.5 * (lo + hi);
    (student_t_cdf(mid, df) < p ? lo : hi) = mid;
  }
  return 0.5 * (lo + hi);
}

std::optional<ChangeInterval> welch_log_ratio_interval(std::span<const double> current,
                                                       std::span<const double> baseline,
                                                       double confidence) {
  HOPCOST_CHECK(confidence > 0 && confidence < 1);
  const auto c = log_moments(current);
  const auto b = log_moments(baseline);
  if (!c || !b) return std::nullopt;
  const double vc = c->variance / static_cast<double>(current.size());
  const double vb = b->variance / static_cast<double>(baseline.size());
  const double se = std::sqrt(vc + vb);
  const double diff = c->mean - b->mean;
  ChangeInterval out;
  out.estimate = std::expm1(diff);
  if (se == 0) {
    // Neither sample varies at all: the interval is the point.
    out.df = std::numeric_limits<double>::infinity();
    out.low = out.high = out.estimate;
    return out;
  }
  out.df = (vc + vb) * (vc + vb) /
           (vc * vc / static_cast<double>(current.size() - 1) +
            vb * vb / static_cast<double>(baseline.size() - 1));
  const double t = student_t_quantile(0.5 + confidence / 2.0, out.df);
  out.low = std::expm1(diff - t * se);
  out.high = std::expm1(diff + t * se);
  return out;
}

}  // namespace hopcost::gate
