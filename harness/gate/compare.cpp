#include "gate/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <limits>
#include <nlohmann/json.hpp>

#include "gate/budgets.hpp"
#include "gate/format.hpp"
#include "report/json.hpp"
#include "report/reporter.hpp"
#include "report/result.hpp"

namespace hopcost::gate {

using nlohmann::json;

namespace {

// "latency_us.p50" -> the number at that path; none for null, missing or not a number.
std::optional<double> number_at(const json& variant, const std::string& path) {
  const json* node = &variant;
  size_t start = 0;
  while (true) {
    const size_t dot = path.find('.', start);
    const std::string part = path.substr(start, dot == std::string::npos ? std::string::npos : dot - start);
    if (!node->is_object()) return std::nullopt;
    const auto it = node->find(part);
    if (it == node->end()) return std::nullopt;
    node = &*it;
    if (dot == std::string::npos) break;
    start = dot + 1;
  }
  if (!node->is_number()) return std::nullopt;
  return node->get<double>();
}

// The variant's repeat values of `metric` (none: empty).
std::vector<double> repeat_values_of(const VariantResult& v, const std::string& metric) {
  const auto it = v.repeat_values.find(metric);
  return it == v.repeat_values.end() ? std::vector<double>{} : it->second;
}

// B/A − 1; from an A of 0, any rise is +∞ (as the gate's relative budgets).
double relative_change(double b, double a) {
  if (a == 0) {
    if (b == 0) return 0;
    return b > 0 ? std::numeric_limits<double>::infinity() : -std::numeric_limits<double>::infinity();
  }
  return b / a - 1.0;
}

// Changes of a few ulps do not decide a verdict (the gate's tidy()).
double tidy(double v) { return std::isfinite(v) ? std::round(v * 1e9) / 1e9 : v; }

std::string value_text(const std::optional<double>& v, const std::string& metric) {
  return v ? format_value(*v, metric_unit(metric)) : "-";
}

std::string change_text(const FigureChange& f) { return f.change ? format_change(*f.change) : "-"; }

std::string ci_text(const FigureChange& f) {
  if (!f.ci) return "-";
  return fmt::format("{} to {}", format_change(tidy(f.ci->low)), format_change(tidy(f.ci->high)));
}

struct Counts {
  int better = 0, worse = 0, noise = 0, unknown = 0;
};
Counts count(const Comparison& c) {
  Counts n;
  for (const auto& p : c.pairs)
    for (const auto& f : p.changes) {
      if (f.verdict == "better")
        ++n.better;
      else if (f.verdict == "worse")
        ++n.worse;
      else if (f.verdict == "-")
        ++n.unknown;
      else
        ++n.noise;
    }
  return n;
}

std::string summary(const Comparison& c) {
  const Counts n = count(c);
  const auto only = [&](const char* side) {
    return std::count_if(c.unmatched.begin(), c.unmatched.end(),
                         [&](const UnmatchedVariant& u) { return u.only_in == side; });
  };
  return fmt::format(
      "compare: {} matched variant{}; {} better, {} worse, {} within noise, {} not comparable; {} only in A, {} "
      "only in B",
      c.pairs.size(), c.pairs.size() == 1 ? "" : "s", n.better, n.worse, n.noise, n.unknown, only("A"), only("B"));
}

std::string md_cell(std::string_view s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '|': out += "\\|"; break;
      case '\n':
      case '\r': out += ' '; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '&': out += "&amp;"; break;
      default: out += ch;
    }
  }
  return out;
}

// Where the two runs' machines, builds or settings differ: their figures may differ for
// that reason alone.
// The typed contexts are compared in their report.json form (context_to_json), the
// configurations as written.
std::vector<std::string> context_differences(const Report& a, const Report& b) {
  std::vector<std::string> out;
  const json context_a(context_to_json(a.context)), context_b(context_to_json(b.context));
  const json configuration_a = json::parse(a.configuration.value_or("{}"));
  const json configuration_b = json::parse(b.configuration.value_or("{}"));
  auto compare = [&](const std::string& name, const json& x, const json& y, std::initializer_list<const char*> keys) {
    if (!x.is_object() || !y.is_object()) return;
    for (const char* key : keys) {
      const auto i = x.find(key), j = y.find(key);
      if (i == x.end() || j == y.end() || *i == *j) continue;
      out.push_back(fmt::format("A and B differ in {}.{}: {} in A, {} in B", name, key, i->dump(), j->dump()));
    }
  };
  compare("context", context_a, context_b,
          {"cpu_model", "cores", "tls_library", "build_type", "hopcost_version", "compiler"});
  compare("context.configuration", configuration_a, configuration_b,
          {"duration", "warmup", "connections", "rate", "request_bytes", "response_bytes", "cpu_policy"});
  return out;
}

// A figure's change, its values looked up in the variants' report.json forms.
FigureChange compare_figure(const VariantResult& a, const json& figures_a, const VariantResult& b,
                            const json& figures_b, const std::string& metric);

}  // namespace

bool lower_is_better(const std::string& metric) { return metric != "throughput_rps"; }

FigureChange compare_figure(const VariantResult& a, const VariantResult& b, const std::string& metric) {
  return compare_figure(a, json(variant_to_json(a)), b, json(variant_to_json(b)), metric);
}

namespace {

FigureChange compare_figure(const VariantResult& a, const json& figures_a, const VariantResult& b,
                            const json& figures_b, const std::string& metric) {
  FigureChange f;
  f.metric = metric;
  f.a = number_at(figures_a, metric);
  f.b = number_at(figures_b, metric);
  const auto ra = repeat_values_of(a, metric), rb = repeat_values_of(b, metric);
  f.repeats_a = static_cast<int>(ra.size());
  f.repeats_b = static_cast<int>(rb.size());
  if (!f.a || !f.b) {
    f.verdict = "-";
    return f;
  }
  f.change = relative_change(*f.b, *f.a);
  if (ra.size() < 2 || rb.size() < 2) {
    f.verdict = "within noise (too few repeats to tell)";
    return f;
  }
  // The gate's interval: B's repeats as current, A's as baseline.
  f.ci = welch_log_ratio_interval(rb, ra);
  if (!f.ci) {
    f.verdict = "within noise (no interval: a repeat value is not above 0)";
    return f;
  }
  const double low = tidy(f.ci->low), high = tidy(f.ci->high);
  if (low > 0 || high < 0) {
    const bool rose = low > 0;
    f.verdict = rose == lower_is_better(metric) ? "worse" : "better";
  } else {
    f.verdict = "within noise";
  }
  return f;
}

}  // namespace

Comparison compare_reports(const Report& a, const Report& b, const std::string& name_a, const std::string& name_b) {
  Comparison c;
  c.name_a = name_a;
  c.name_b = name_b;
  std::vector<VariantKey> keys_b(b.variants.begin(), b.variants.end());
  std::vector<bool> used(keys_b.size(), false);
  for (const VariantResult& va : a.variants) {
    const VariantKey& key = va;
    size_t j = 0;
    while (j < keys_b.size() && (used[j] || !(keys_b[j] == key))) ++j;
    if (j == keys_b.size()) {
      c.unmatched.push_back({key, "A"});
      continue;
    }
    used[j] = true;
    const VariantResult& vb = b.variants[j];
    const json figures_a(variant_to_json(va)), figures_b(variant_to_json(vb));
    ComparedPair p{key, {}};
    for (const char* metric : kHeadlineFigures)
      p.changes.push_back(compare_figure(va, figures_a, vb, figures_b, metric));
    const auto &fa = va.failure, &fb = vb.failure;
    if (fa || fb) {
      p.note = fa && fb ? fmt::format("failed in both: A: {}; B: {}", *fa, *fb)
                        : fmt::format("failed in {}: {}", fa ? "A" : "B", fa ? *fa : *fb);
      for (auto& f : p.changes) f.verdict.assign(1, '-');
    }
    c.pairs.push_back(std::move(p));
  }
  for (size_t j = 0; j < keys_b.size(); ++j)
    if (!used[j]) c.unmatched.push_back({keys_b[j], "B"});
  c.context_differences = context_differences(a, b);
  return c;
}

std::string render_compare_table(const Comparison& c) {
  constexpr size_t kColumns = 7;
  using Row = std::array<std::string, kColumns>;
  std::vector<Row> rows;
  rows.push_back({"variant", "metric", "A", "B", "change", "95% CI of change", "verdict"});
  for (const auto& p : c.pairs)
    for (const auto& f : p.changes)
      rows.push_back({p.key.label(), f.metric, value_text(f.a, f.metric), value_text(f.b, f.metric), change_text(f),
                      ci_text(f), f.verdict});
  std::string out = fmt::format("A: {}\nB: {}\n", c.name_a, c.name_b) + aligned_columns(rows);
  for (const auto& p : c.pairs)
    if (!p.note.empty()) out += fmt::format("{}: {}\n", p.key.label(), p.note);
  for (const auto& u : c.unmatched) out += fmt::format("only in {}: {}\n", u.only_in, u.key.label());
  out += summary(c) + "\n";
  return out;
}

std::string render_compare_markdown(const Comparison& c) {
  std::string out = fmt::format("**{}**\n\nA: `{}`, B: `{}`; change is B/A − 1.\n\n", md_cell(summary(c)),
                                md_cell(c.name_a), md_cell(c.name_b));
  if (!c.pairs.empty()) {
    out += "| variant | metric | A | B | change | 95% CI of change | verdict |\n";
    out += "|---|---|---:|---:|---:|---|---|\n";
    for (const auto& p : c.pairs)
      for (const auto& f : p.changes) {
        const std::string mark = f.verdict == "better" ? "🟢 " : f.verdict == "worse" ? "🔴 " : "";
        out += fmt::format("| {} | `{}` | {} | {} | {} | {} | {}{} |\n", md_cell(p.key.label()), f.metric,
                           md_cell(value_text(f.a, f.metric)), md_cell(value_text(f.b, f.metric)),
                           md_cell(change_text(f)), md_cell(ci_text(f)), mark, md_cell(f.verdict));
      }
    out += "\n";
  }
  for (const auto& p : c.pairs)
    if (!p.note.empty()) out += fmt::format("- {}: {}\n", md_cell(p.key.label()), md_cell(p.note));
  for (const auto& u : c.unmatched) out += fmt::format("- only in {}: {}\n", u.only_in, md_cell(u.key.label()));
  for (const auto& w : c.context_differences) out += fmt::format("- warning: {}\n", md_cell(w));
  return out;
}

nlohmann::ordered_json compare_to_json(const Comparison& c) {
  using J = nlohmann::ordered_json;
  auto key_json = [](const VariantKey& k) {
    J j = J::object();
    write_key(j, k);
    return j;
  };
  auto number = [](const std::optional<double>& v) { return v && std::isfinite(*v) ? J(*v) : J(nullptr); };
  J pairs = J::array();
  for (const auto& p : c.pairs) {
    J changes = J::array();
    for (const auto& f : p.changes) {
      // The console's verdict text is "within noise (too few repeats to tell)" and the
      // like; here the verdict is one of three words, and the rest is its reason.
      J verdict = nullptr;
      std::string reason;
      if (f.verdict == "better" || f.verdict == "worse" || f.verdict == "within noise") {
        verdict = f.verdict;
      } else if (f.verdict.rfind("within noise (", 0) == 0) {
        verdict = "within noise";
        reason = f.verdict.substr(14, f.verdict.size() - 15);
      } else {
        reason = !p.note.empty() ? p.note : !f.a ? "no figure in A" : "no figure in B";
      }
      // A failed variant's figures are partial: no change is given for them.
      const bool failed = !p.note.empty();
      J ci = nullptr;
      if (f.ci && !failed) ci = J{{"low", tidy(1 + f.ci->low)}, {"high", tidy(1 + f.ci->high)}};
      changes.push_back(J{{"metric", f.metric},
                          {"a", number(f.a)},
                          {"b", number(f.b)},
                          {"change", f.change && !failed ? number(tidy(1 + *f.change)) : J(nullptr)},
                          {"ci95", ci},
                          {"verdict", verdict},
                          {"reason", reason},
                          {"repeats_a", f.repeats_a},
                          {"repeats_b", f.repeats_b}});
    }
    pairs.push_back(J{{"key", key_json(p.key)}, {"label", p.key.label()}, {"note", p.note}, {"changes", changes}});
  }
  J unmatched = J::array();
  for (const auto& u : c.unmatched)
    unmatched.push_back(J{{"key", key_json(u.key)}, {"label", u.key.label()}, {"only_in", u.only_in}});
  return J{{"a", c.name_a}, {"b", c.name_b}, {"pairs", pairs}, {"unmatched", unmatched}, {"context_differences", c.context_differences}};
}

}  // namespace hopcost::gate
