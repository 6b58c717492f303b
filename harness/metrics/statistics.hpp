// The statistics of repeats and of the headline: medians, confidence intervals, and the
// least-squares slope of a cost against the number of TLS links. Pure functions.
#pragma once

#include <optional>
#include <vector>

namespace hopcost {

struct Interval {
  double low = 0, high = 0;
  double width() const { return high - low; }
};

double median(std::vector<double> values);  // 0 for none

// The two-sided 95% Student-t quantile for `dof` degrees of freedom (1.96 beyond 30).
double t95(int dof);

// The 95% confidence interval of the mean of `values` (Student t); none for fewer than 2.
std::optional<Interval> mean_ci95(const std::vector<double>& values);

struct Point {
  double tls_links = 0;  // x: TLS links in the variant
  double hops = 0;       // a second regressor when hops vary, so that the slope is per TLS link at equal hops
  double value = 0;      // y: the cost
};

struct Slope {
  double value = 0;            // cost per TLS link
  std::optional<Interval> ci95;  // none without a residual degree of freedom
  int points = 0;
  bool hops_held_equal = false;  // hops varied and were a regressor
  bool confounded = false;       // TLS links moved only with hops: the slope includes a hop's plain cost
};

// Least squares of value = a + b·tls_links (+ c·hops when hops vary and are not
// collinear with tls_links); the slope b with its 95% interval. None when all points
// have the same number of TLS links.
std::optional<Slope> tls_link_slope(const std::vector<Point>& points);

}  // namespace hopcost
