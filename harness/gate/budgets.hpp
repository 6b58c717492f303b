// Latency budgets for `hopcost gate`: a TOML file of [[budget]] tables, each a selector
// over a report's variants and one check written like a k6 threshold (docs/gate.md):
//
//   [[budget]]
//   name = "p99 at 3 hops"
//   hops = 3
//   tls = "1.3"
//   check = "latency_us.p99 <= 2500"                                   # absolute
//   check = "latency_us.p50 <= +10%"                                   # against a baseline
//   check = "cpu_us_per_request: tls-everywhere / terminate-once <= 3.0"  # ratio in one run
//
// Parsing checks only the file's own syntax; whether a metric path or a selector exists
// depends on the report, and is checked when the budgets are evaluated (gate.hpp). Every
// budget keeps its file and lines so that those errors can name them too.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace hopcost::gate {

enum class Op { le, lt, ge, gt, eq };
std::string_view to_string(Op op);
// Whether `value op limit` holds.
bool holds(double value, Op op, double limit);

enum class LimitKind {
  absolute,  // metric OP number
  relative,  // metric OP ±N%, against the same variant of a baseline report
  ratio,     // metric: topologyA / topologyB OP number, two variants of the same report
};

// Which variants a budget applies to. A key that is absent matches every variant.
struct Selector {
  std::optional<std::string> topology;
  std::optional<int> hops;
  std::optional<std::string> tls;  // the variant's `tls` field: "1.2" or "1.3"
  std::optional<std::string> conn;
  std::optional<std::string> placement;
  std::optional<std::string> upstream;  // the variant's `upstream`: "1:1" or "pool"
  std::optional<double> rtt_us;         // the variant's `chain_rtt_us` (a budget writes rtt = "1ms")

  bool empty() const { return !topology && !hops && !tls && !conn && !placement && !upstream && !rtt_us; }
  // "hops=3 tls=1.3", or "all variants".
  std::string text() const;
};

struct Budget {
  int index = 0;     // 1-based position in the file
  std::string name;  // as written; may be empty
  int line = 0;      // line of the [[budget]] header
  int check_line = 0;
  Selector selector;
  std::string check;  // the check string as written
  LimitKind kind = LimitKind::absolute;
  std::string metric;  // a JSON path with dots: "latency_us.p99"
  Op op = Op::le;
  // absolute: the limit in the metric's unit; relative: a fraction (+10% is 0.10);
  // ratio: the ratio.
  double limit = 0;
  std::string numerator, denominator;                  // ratio: the two topology names
  std::vector<std::pair<std::string, int>> key_lines;  // every key written, with its line

  // The line of `key`, or of the budget's header when it was not written.
  int line_of(std::string_view key) const;

  // The name, or "budget N".
  std::string display_name() const;
  // "<= 2500 µs", "<= +10% vs baseline", "<= 3×".
  std::string limit_text() const;
};

struct Budgets {
  std::string path;  // the file, as named in every message
  std::vector<Budget> budgets;
  bool needs_baseline() const;
};

// Throws ConfigError "PATH:LINE: ..." naming the key for anything it cannot read.
Budgets parse_budgets(std::string_view toml_text, const std::string& path);
Budgets load_budgets(const std::string& path);

// The unit of a metric path, derived from its name as report-format.md spells units:
// "µs", "µs/req", "req/s", "s", "/req"; empty for counts.
std::string metric_unit(std::string_view metric);

}  // namespace hopcost::gate
