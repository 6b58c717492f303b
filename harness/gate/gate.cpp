#include "gate/gate.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "gate/format.hpp"
#include "gate/noise.hpp"
#include "report/json.hpp"
#include "report/reporter.hpp"
#include "report/result.hpp"
#include "util/errors.hpp"

namespace hopcost::gate {

using nlohmann::json;

namespace {

// A variant's figures as report.json names them: the writer's JSON form of the typed
// variant (report/json.hpp), so that a metric path has the writer's one definition.
json figures_of(const VariantResult& v) { return json(variant_to_json(v)); }

bool matches(const Selector& s, const VariantKey& k, bool ignore_topology = false) {
  return (ignore_topology || !s.topology || *s.topology == k.topology) &&
         (!s.hops || *s.hops == k.hops) && (!s.tls || *s.tls == k.tls) &&
         (!s.conn || *s.conn == k.conn) && (!s.placement || *s.placement == k.placement) &&
         (!s.upstream || s.upstream == k.upstream) && (!s.rtt_us || *s.rtt_us == k.chain_rtt_us);
}

const json* find_path(const json& variant, std::string_view path) {
  const json* node = &variant;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part(
        path.substr(start, dot == std::string_view::npos ? std::string_view::npos : dot - start));
    if (node->is_array()) {
      // per_hop.1.added_latency_us.p99: an array element by its index.
      if (part.empty() ||
          !std::all_of(part.begin(), part.end(), [](char c) { return c >= '0' && c <= '9'; }) ||
          part.size() > 6)
        return nullptr;
      const size_t index = std::stoul(part);
      if (index >= node->size()) return nullptr;
      node = &(*node)[index];
    } else if (node->is_object()) {
      const auto it = node->find(part);
      if (it == node->end()) return nullptr;
      node = &*it;
    } else {
      return nullptr;
    }
    if (dot == std::string_view::npos) return node;
    start = dot + 1;
  }
}

void collect_paths(const json& node, const std::string& prefix, bool top,
                   std::vector<std::string>& out) {
  for (const auto& [key, value] : node.items()) {
    // Node breakdowns are per node, not per variant; repeats and their statistics, and
    // the latency histograms (latency_us carries their figures), describe the figures
    // rather than being figures.
    if (top && (key == "nodes" || key == "repeats" || key == "repeat_values" || key == "ci95" ||
                key == "latency_histogram" || key == "uncorrected_latency_histogram"))
      continue;
    const std::string path = prefix.empty() ? key : prefix + "." + key;
    if (value.is_number())
      out.push_back(path);
    else if (value.is_structured())
      collect_paths(value, path, false, out);
  }
}

std::string join(const std::vector<std::string>& items, std::string_view sep = ", ") {
  std::string out;
  for (const auto& s : items) {
    if (!out.empty()) out += sep;
    out += s;
  }
  return out;
}

// Values a selector key takes in a report, for messages.
std::string report_values(const std::vector<VariantKey>& keys) {
  std::vector<std::string> topo, hops, tls, conn, placement, upstream, rtt;
  auto add = [](std::vector<std::string>& list, std::string v) {
    if (std::find(list.begin(), list.end(), v) == list.end()) list.push_back(std::move(v));
  };
  for (const auto& k : keys) {
    add(topo, k.topology);
    add(hops, std::to_string(k.hops));
    add(tls, k.tls);
    add(conn, k.conn);
    add(placement, k.placement);
    add(upstream, k.upstream.value_or("none"));
    add(rtt, fmt::format("{:g}us", k.chain_rtt_us));
  }
  return fmt::format("topology {}; hops {}; tls {}; conn {}; placement {}; upstream {}; rtt {}", join(topo, ", "),
                     join(hops, ", "), join(tls, ", "), join(conn, ", "), join(placement, ", "), join(upstream, ", "),
                     join(rtt, ", "));
}

// Differences of a few ulps must not flip a verdict at exactly the limit (1.1/1.0 − 1 is
// 0.10000000000000009): changes and ratios are compared at 9 decimals.
// "budget 'p99'", or "budget 3" when it has no name.
std::string quoted(const Budget& b) {
  return b.name.empty() ? b.display_name() : "budget '" + b.name + "'";
}

double tidy(double v) {
  return std::isfinite(v) ? std::round(v * 1e9) / 1e9 : v;
}

int repeats_of(const VariantResult& v) { return std::max(1, v.repeats); }

// The repeat values of `metric`, when the variant carries at least 2 for it.
std::optional<std::vector<double>> repeat_values(const VariantResult& v, const std::string& metric) {
  const auto it = v.repeat_values.find(metric);
  if (it == v.repeat_values.end() || it->second.size() < 2) return std::nullopt;
  return it->second;
}

// What a point value is: "single run" or "median of K repeats".
std::string point_origin(const VariantResult& v) {
  const int k = repeats_of(v);
  return k > 1 ? fmt::format("median of {} repeats", k) : "single run";
}

std::string ci95_text(const VariantResult& v, const std::string& metric, std::string_view unit) {
  const auto it = v.ci95.find(metric);
  if (it == v.ci95.end()) return {};
  return fmt::format("; the report's 95% CI {} to {}", format_value(it->second.low, unit),
                     format_value(it->second.high, unit));
}

// The relative change current/baseline − 1; from a baseline of 0, any rise is +∞.
double relative_change(double current, double baseline) {
  if (baseline == 0) {
    if (current == 0) return 0;
    return current > 0 ? std::numeric_limits<double>::infinity()
                       : -std::numeric_limits<double>::infinity();
  }
  return current / baseline - 1.0;
}

// Whether every value of [low, high] breaks `op limit`, and whether every value keeps it.
bool wholly_beyond(double low, double high, Op op, double limit) {
  switch (op) {
    case Op::le:
      return low > limit;
    case Op::lt:
      return low >= limit;
    case Op::ge:
      return high < limit;
    case Op::gt:
      return high <= limit;
    case Op::eq:
      return low > limit || high < limit;
  }
  return false;
}
bool wholly_within(double low, double high, Op op, double limit) {
  return holds(low, op, limit) && holds(high, op, limit);
}

class Evaluator {
 public:
  Evaluator(const Budgets& budgets, const Report& report, std::string_view report_name,
            const Report* baseline, std::string_view baseline_name)
      : budgets_(budgets),
        report_(report),
        report_name_(report_name),
        baseline_(baseline),
        baseline_name_(baseline_name) {
    for (const auto& v : report.variants) {
      keys_.push_back(v);
      figures_.push_back(figures_of(v));
    }
    if (!keys_.empty()) valid_paths_ = metric_paths(figures_[0]);
    if (baseline_)
      for (const auto& v : baseline_->variants) {
        baseline_keys_.push_back(v);
        baseline_figures_.push_back(figures_of(v));
      }
  }

  std::vector<Check> run() {
    std::vector<Check> checks;
    for (const auto& b : budgets_.budgets) {
      check_metric(b);
      switch (b.kind) {
        case LimitKind::absolute:
          for (size_t i : select(b)) checks.push_back(absolute(b, i));
          break;
        case LimitKind::relative:
          if (!baseline_)
            throw ConfigError(
                fmt::format("{}:{}: key 'check': '{}' is relative to a baseline report; give one "
                            "with --baseline",
                            budgets_.path, b.check_line, b.check));
          for (size_t i : select(b)) checks.push_back(relative(b, i));
          break;
        case LimitKind::ratio:
          checks.push_back(ratio(b));
          break;
      }
    }
    return checks;
  }

 private:
  std::string where(const Budget& b, std::string_view key) const {
    return fmt::format("{}:{}: key '{}'", budgets_.path,
                       key == "check" ? b.check_line : b.line_of(key), key);
  }

  void check_metric(const Budget& b) const {
    if (keys_.empty())
      throw ConfigError(fmt::format("{}: {} selects no variant: {} has no variants",
                                    where(b, "check"), quoted(b), report_name_));
    if (std::find(valid_paths_.begin(), valid_paths_.end(), b.metric) == valid_paths_.end()) {
      if (const json* node = find_path(figures_[0], b.metric); node && node->is_null())
        throw ConfigError(fmt::format(
            "{}: metric '{}' has no value (null) in {}: this run did not measure it; valid "
            "metrics: {}",
            where(b, "check"), b.metric, report_name_, join(valid_paths_)));
      throw ConfigError(fmt::format("{}: unknown metric '{}'; valid metrics: {}", where(b, "check"),
                                    b.metric, join(valid_paths_)));
    }
  }

  // The numeric figure `metric` of a variant; bad input if this variant lacks it.
  double figure(const Budget& b, const json& v, const VariantKey& k,
                std::string_view source) const {
    const json* node = find_path(v, b.metric);
    if (!node || !node->is_number())
      throw ConfigError(fmt::format("{}: metric '{}' is not a number in variant {} of {}",
                                    where(b, "check"), b.metric, k.label(), source));
    return node->get<double>();
  }

  // Indices of the variants a budget's selector matches; bad input when none does,
  // naming the selector's keys that no variant has.
  std::vector<size_t> select(const Budget& b) const {
    std::vector<size_t> out;
    for (size_t i = 0; i < keys_.size(); ++i)
      if (matches(b.selector, keys_[i])) out.push_back(i);
    if (!out.empty()) return out;
    std::vector<std::string> culprits;
    const auto& s = b.selector;
    auto any = [&](auto pred) { return std::any_of(keys_.begin(), keys_.end(), pred); };
    if (s.topology && !any([&](const VariantKey& k) { return k.topology == *s.topology; }))
      culprits.push_back("topology");
    if (s.hops && !any([&](const VariantKey& k) { return k.hops == *s.hops; }))
      culprits.push_back("hops");
    if (s.tls && !any([&](const VariantKey& k) { return k.tls == *s.tls; }))
      culprits.push_back("tls");
    if (s.conn && !any([&](const VariantKey& k) { return k.conn == *s.conn; }))
      culprits.push_back("conn");
    if (s.placement && !any([&](const VariantKey& k) { return k.placement == *s.placement; }))
      culprits.push_back("placement");
    if (s.upstream && !any([&](const VariantKey& k) { return k.upstream == s.upstream; })) culprits.push_back("upstream");
    if (s.rtt_us && !any([&](const VariantKey& k) { return k.chain_rtt_us == *s.rtt_us; })) culprits.push_back("rtt");
    if (culprits.empty())  // each key matches some variant, but not together
      for (const auto& [key, line] : b.key_lines)
        if (key != "name" && key != "check") culprits.push_back(key);
    throw ConfigError(fmt::format("{}: {} selects no variant of {} ({}); the report has {}",
                                  where(b, culprits.front()), quoted(b), report_name_, s.text(),
                                  report_values(keys_)));
  }

  Check start(const Budget& b, std::string variant) const {
    Check c;
    c.budget = b.display_name();
    c.budget_line = b.line;
    c.selector = b.selector.text();
    c.variant = std::move(variant);
    c.check = b.check;
    c.metric = b.metric;
    c.kind = b.kind;
    c.limit = b.limit_text();
    return c;
  }

  static void failed_variant(Check& c, std::string_view which, const std::string& reason) {
    c.measured = std::numeric_limits<double>::quiet_NaN();
    c.measured_text = "FAILED";
    c.verdict = Verdict::fail;
    c.note = fmt::format("{} failed, its figures are partial: {}", which, reason);
  }

  Check absolute(const Budget& b, size_t i) const {
    const VariantResult& v = report_.variants[i];
    Check c = start(b, keys_[i].label());
    const std::string unit = metric_unit(b.metric);
    const double value = figure(b, figures_[i], keys_[i], report_name_);
    if (const auto& f = v.failure) {
      failed_variant(c, "the variant", *f);
      return c;
    }
    c.measured = value;
    c.measured_text = format_value(value, unit);
    c.verdict = holds(value, b.op, b.limit) ? Verdict::pass : Verdict::fail;
    c.note = point_origin(v) + ": point comparison" + ci95_text(v, b.metric, unit);
    return c;
  }

  Check relative(const Budget& b, size_t i) const {
    const VariantResult& v = report_.variants[i];
    const VariantKey& key = keys_[i];
    Check c = start(b, key.label());
    const std::string unit = metric_unit(b.metric);

    std::vector<size_t> found;
    for (size_t j = 0; j < baseline_keys_.size(); ++j)
      if (baseline_keys_[j] == key) found.push_back(j);
    if (found.size() != 1) {
      std::vector<std::string> labels;
      for (const auto& k : baseline_keys_) labels.push_back(k.label());
      throw ConfigError(fmt::format(
          "{}: baseline {} has {} variant {} (selected by {}); the baseline's variants: {}",
          where(b, "check"), baseline_name_, found.empty() ? "no" : "more than one", key.label(),
          quoted(b), labels.empty() ? "none" : join(labels, "; ")));
    }
    const VariantResult& base = baseline_->variants[found.front()];
    const double current = figure(b, figures_[i], key, report_name_);
    const double before = figure(b, baseline_figures_[found.front()], key, baseline_name_);
    if (const auto& f = v.failure) {
      failed_variant(c, "the variant", *f);
      return c;
    }
    if (const auto& f = base.failure) {
      failed_variant(c, "the baseline's variant", *f);
      return c;
    }
    const double change = relative_change(current, before);
    c.measured = change;
    c.measured_text = fmt::format("{} ({})", format_change(change), format_value(current, unit));
    const std::string values = "baseline " + format_value(before, unit);

    const auto now_repeats = repeat_values(v, b.metric);
    const auto base_repeats = repeat_values(base, b.metric);
    std::optional<ChangeInterval> ci;
    if (now_repeats && base_repeats) ci = welch_log_ratio_interval(*now_repeats, *base_repeats);
    if (!ci) {
      c.verdict = holds(tidy(change), b.op, b.limit) ? Verdict::pass : Verdict::fail;
      std::string how;
      if (repeats_of(v) == 1 && repeats_of(base) == 1)
        how = "single run: point comparison";
      else if (now_repeats && base_repeats)
        how = "point comparison of medians (repeat values not all above 0, no interval)";
      else
        how = fmt::format(
            "point comparison (report: {}, baseline: {}; repeat values for {} missing on {})",
            point_origin(v), point_origin(base), b.metric,
            !now_repeats && !base_repeats ? "both sides"
                                          : (!now_repeats ? "the report" : "the baseline"));
      c.note = how + "; " + values;
      return c;
    }
    // Noise-aware: fail only when the whole 95% interval of the change lies beyond the
    // limit; a shift the repeats cannot tell from noise passes, and says so.
    const double low = tidy(ci->low), high = tidy(ci->high);
    const std::string bounds = fmt::format("{} to {}", format_change(low), format_change(high));
    const std::string method = fmt::format("Welch t on log values, {} vs {} repeats",
                                           now_repeats->size(), base_repeats->size());
    if (wholly_beyond(low, high, b.op, b.limit)) {
      c.verdict = Verdict::fail;
      c.note =
          fmt::format("beyond noise: the whole 95% CI of the change, {}, breaks the limit ({}); {}",
                      bounds, method, values);
    } else if (wholly_within(low, high, b.op, b.limit)) {
      c.note = fmt::format("clear: the whole 95% CI of the change, {}, keeps the limit ({}); {}",
                           bounds, method, values);
    } else {
      c.note =
          fmt::format("within noise: the 95% CI of the change, {}, straddles the limit ({}); {}",
                      bounds, method, values);
    }
    return c;
  }

  Check ratio(const Budget& b) const {
    std::vector<size_t> num, den;
    for (size_t i = 0; i < keys_.size(); ++i) {
      if (!matches(b.selector, keys_[i], true)) continue;
      if (keys_[i].topology == b.numerator) num.push_back(i);
      if (keys_[i].topology == b.denominator) den.push_back(i);
    }
    if (num.size() != 1 || den.size() != 1) {
      auto side = [&](const std::string& topology, const std::vector<size_t>& found) {
        std::vector<std::string> labels;
        for (size_t i : found) labels.push_back(keys_[i].label());
        return fmt::format("'{}' matches {} variant{}{}", topology, found.size(),
                           found.size() == 1 ? "" : "s",
                           labels.empty() ? "" : " (" + join(labels, "; ") + ")");
      };
      const std::string hint =
          num.size() > 1 || den.size() > 1
              ? "add hops, tls, conn or placement to the budget so that each side matches one"
              : "the report has " + report_values(keys_);
      throw ConfigError(fmt::format(
          "{}: under selector '{}', {} and {} in {}; each side of a ratio must match exactly "
          "one variant: {}",
          where(b, "check"), b.selector.text(), side(b.numerator, num), side(b.denominator, den),
          report_name_, hint));
    }
    const VariantResult& a = report_.variants[num.front()];
    const VariantResult& d = report_.variants[den.front()];
    const VariantKey& ka = keys_[num.front()];
    const VariantKey& kd = keys_[den.front()];
    Check c =
        start(b, fmt::format("{} / {}", ka.topology, kd.label()));
    // The rest of the two keys agree unless the selector leaves them open, in which
    // case each side still matched exactly one variant: name both fully.
    if (!(ka.with_topology(kd.topology) == kd))
      c.variant = ka.label() + " / " + kd.label();
    const std::string unit = metric_unit(b.metric);
    const double va = figure(b, figures_[num.front()], ka, report_name_);
    const double vd = figure(b, figures_[den.front()], kd, report_name_);
    if (const auto& f = a.failure) {
      failed_variant(c, ka.topology, *f);
      return c;
    }
    if (const auto& f = d.failure) {
      failed_variant(c, kd.topology, *f);
      return c;
    }
    const double r = vd != 0 ? va / vd
                             : (va == 0 ? std::numeric_limits<double>::quiet_NaN()
                                        : std::numeric_limits<double>::infinity());
    c.measured = r;
    c.measured_text = format_ratio(r);
    const std::string values = fmt::format("{} {} / {} {}", ka.topology, format_value(va, unit),
                                           kd.topology, format_value(vd, unit));
    if (std::isnan(r)) {
      c.verdict = Verdict::fail;
      c.note = values + ": both are 0, the ratio is undefined";
      return c;
    }
    c.verdict = holds(tidy(r), b.op, b.limit) ? Verdict::pass : Verdict::fail;
    const std::string origin = repeats_of(a) == 1 && repeats_of(d) == 1
                                   ? "single run"
                                   : fmt::format("{} / {}", point_origin(a), point_origin(d));
    c.note = origin + ": point comparison; " + values;
    return c;
  }

  const Budgets& budgets_;
  const Report& report_;
  std::string report_name_;
  const Report* baseline_;
  std::string baseline_name_;
  std::vector<VariantKey> keys_, baseline_keys_;  // the variants' identities, in report order
  std::vector<json> figures_, baseline_figures_;  // their JSON forms, for metric paths
  std::vector<std::string> valid_paths_;
};

}  // namespace

std::vector<std::string> metric_paths(const json& variant) {
  std::vector<std::string> out;
  if (variant.is_object()) collect_paths(variant, "", true, out);
  return out;
}

std::vector<Check> evaluate(const Budgets& budgets, const Report& report,
                            std::string_view report_name, const Report* baseline,
                            std::string_view baseline_name) {
  return Evaluator(budgets, report, report_name, baseline, baseline_name).run();
}

std::vector<std::string> comparability_warnings(const Report& report, const Report& baseline) {
  std::vector<std::string> out;
  // The typed context and the configuration as written, in their report.json form.
  const json context[] = {json(context_to_json(report.context)), json(context_to_json(baseline.context))};
  const json configuration[] = {json::parse(report.configuration.value_or("{}")),
                                json::parse(baseline.configuration.value_or("{}"))};
  auto compare = [&](const char* section, std::initializer_list<const char*> keys) {
    const bool top = std::string_view(section) == "context";
    const json* a = top ? &context[0] : &configuration[0];
    const json* b = top ? &context[1] : &configuration[1];
    if (!a->is_object() || !b->is_object()) return;
    for (const char* key : keys) {
      const auto x = a->find(key), y = b->find(key);
      if (x == a->end() || y == b->end() || *x == *y) continue;
      out.push_back(fmt::format("the baseline differs in {}.{}: {} here, {} in the baseline",
                                section, key, x->dump(), y->dump()));
    }
  };
  compare("context", {"cpu_model", "cores", "build_type", "tls_library"});
  compare("context.configuration", {"duration", "warmup", "connections", "rate", "request_bytes",
                                    "response_bytes", "cpu_policy"});
  return out;
}

int count_failures(const std::vector<Check>& checks) {
  return static_cast<int>(
      std::count_if(checks.begin(), checks.end(), [](const Check& c) { return !c.passed(); }));
}

std::string summary_line(const std::vector<Check>& checks) {
  const int failed = count_failures(checks);
  const size_t n = checks.size();
  if (failed == 0)
    return fmt::format("gate: {} {} passed", n == 1 ? "the" : "all " + std::to_string(n),
                       n == 1 ? "check" : "checks");
  return fmt::format("gate: {} of {} check{} failed", failed, n, n == 1 ? "" : "s");
}

}  // namespace hopcost::gate
