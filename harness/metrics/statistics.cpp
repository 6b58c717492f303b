#include "metrics/statistics.hpp"

#include <algorithm>
#include <array>
#include <cmath>

namespace hopcost {

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  const size_t n = v.size();
  return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

double t95(int dof) {
  static constexpr std::array<double, 30> kT = {12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228,
                                                2.201,  2.179, 2.160, 2.145, 2.131, 2.120, 2.110, 2.101, 2.093, 2.086,
                                                2.080,  2.074, 2.069, 2.064, 2.060, 2.056, 2.052, 2.048, 2.045, 2.042};
  if (dof < 1) return NAN;
  return dof <= 30 ? kT[static_cast<size_t>(dof - 1)] : 1.96;
}

std::optional<Interval> mean_ci95(const std::vector<double>& v) {
  const size_t n = v.size();
  if (n < 2) return std::nullopt;
  double mean = 0;
  for (double x : v) mean += x;
  mean /= static_cast<double>(n);
  double ss = 0;
  for (double x : v) ss += (x - mean) * (x - mean);
  const double half = t95(static_cast<int>(n) - 1) * std::sqrt(ss / static_cast<double>(n - 1) / static_cast<double>(n));
  return Interval{mean - half, mean + half};
}

namespace {

// Solves the k×k system A·x = b (k ≤ 3) by Gaussian elimination with partial pivoting,
// and returns the inverse of A too (for the slope's variance). False if singular.
template <size_t K>
bool invert(std::array<std::array<double, K>, K> a, std::array<std::array<double, K>, K>& inv) {
  for (size_t i = 0; i < K; ++i)
    for (size_t j = 0; j < K; ++j) inv[i][j] = i == j ? 1.0 : 0.0;
  for (size_t col = 0; col < K; ++col) {
    size_t pivot = col;
    for (size_t r = col + 1; r < K; ++r)
      if (std::fabs(a[r][col]) > std::fabs(a[pivot][col])) pivot = r;
    if (std::fabs(a[pivot][col]) < 1e-9) return false;
    std::swap(a[col], a[pivot]);
    std::swap(inv[col], inv[pivot]);
    const double p = a[col][col];
    for (size_t j = 0; j < K; ++j) {
      a[col][j] /= p;
      inv[col][j] /= p;
    }
    for (size_t r = 0; r < K; ++r) {
      if (r == col) continue;
      const double f = a[r][col];
      for (size_t j = 0; j < K; ++j) {
        a[r][j] -= f * a[col][j];
        inv[r][j] -= f * inv[col][j];
      }
    }
  }
  return true;
}

// Ordinary least squares on the columns `x(point)` (the first is the intercept's 1).
template <size_t K, typename Row>
std::optional<Slope> fit(const std::vector<Point>& points, Row row) {
  std::array<std::array<double, K>, K> xtx{};
  std::array<double, K> xty{};
  for (const auto& p : points) {
    const auto x = row(p);
    for (size_t i = 0; i < K; ++i) {
      xty[i] += x[i] * p.value;
      for (size_t j = 0; j < K; ++j) xtx[i][j] += x[i] * x[j];
    }
  }
  std::array<std::array<double, K>, K> inv{};
  if (!invert<K>(xtx, inv)) return std::nullopt;
  std::array<double, K> beta{};
  for (size_t i = 0; i < K; ++i)
    for (size_t j = 0; j < K; ++j) beta[i] += inv[i][j] * xty[j];
  Slope s;
  s.value = beta[1];
  s.points = static_cast<int>(points.size());
  const int dof = static_cast<int>(points.size()) - static_cast<int>(K);
  if (dof >= 1) {
    double rss = 0;
    for (const auto& p : points) {
      const auto x = row(p);
      double fitted = 0;
      for (size_t i = 0; i < K; ++i) fitted += beta[i] * x[i];
      rss += (p.value - fitted) * (p.value - fitted);
    }
    const double se = std::sqrt(rss / dof * inv[1][1]);
    const double half = t95(dof) * se;
    s.ci95 = Interval{s.value - half, s.value + half};
  }
  return s;
}

}  // namespace

std::optional<Slope> tls_link_slope(const std::vector<Point>& points) {
  if (points.size() < 2) return std::nullopt;
  auto differ = [&](auto field) {
    return std::any_of(points.begin(), points.end(), [&](const Point& p) { return field(p) != field(points[0]); });
  };
  if (!differ([](const Point& p) { return p.tls_links; })) return std::nullopt;
  const bool hops_vary = differ([](const Point& p) { return p.hops; });
  if (hops_vary) {
    auto s = fit<3>(points, [](const Point& p) { return std::array<double, 3>{1.0, p.tls_links, p.hops}; });
    if (s) {
      s->hops_held_equal = true;
      return s;
    }
  }
  auto s = fit<2>(points, [](const Point& p) { return std::array<double, 2>{1.0, p.tls_links}; });
  if (s) s->confounded = hops_vary;  // hops varied but only together with TLS links
  return s;
}

}  // namespace hopcost
