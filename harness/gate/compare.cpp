#include "gate/compare.hpp"

#include <fmt/format.h>

#include <algorithm>
#include <array>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <nlohmann/json.hpp>
#include <sstream>

#include "gate/budgets.hpp"
#include "gate/format.hpp"
#include "gate/gate.hpp"
#include "report/result.hpp"
#include "util/errors.hpp"

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

// The variant's repeat values of `metric` (as the gate reads them: all numbers).
std::vector<double> repeat_values_of(const json& v, const std::string& metric) {
  std::vector<double> out;
  const auto rv = v.find("repeat_values");
  if (rv == v.end() || !rv->is_object()) return out;
  const auto it = rv->find(metric);
  if (it == rv->end() || !it->is_array()) return out;
  for (const auto& x : *it) {
    if (!x.is_number()) return {};
    out.push_back(x.get<double>());
  }
  return out;
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

std::optional<std::string> failure_of(const json& v) {
  if (const auto it = v.find("failure"); it != v.end() && it->is_string()) return it->get<std::string>();
  return std::nullopt;
}

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
std::vector<std::string> context_differences(const json& a, const json& b) {
  std::vector<std::string> out;
  auto section = [](const json& doc, std::initializer_list<const char*> path) -> const json* {
    const json* node = &doc;
    for (const char* p : path) {
      if (!node->is_object() || !node->contains(p)) return nullptr;
      node = &(*node)[p];
    }
    return node->is_object() ? node : nullptr;
  };
  auto compare = [&](const std::string& name, const json* x, const json* y, std::initializer_list<const char*> keys) {
    if (!x || !y) return;
    for (const char* key : keys) {
      const auto i = x->find(key), j = y->find(key);
      if (i == x->end() || j == y->end() || *i == *j) continue;
      out.push_back(fmt::format("A and B differ in {}.{}: {} in A, {} in B", name, key, i->dump(), j->dump()));
    }
  };
  compare("context", section(a, {"context"}), section(b, {"context"}),
          {"cpu_model", "cores", "tls_library", "build_type", "hopcost_version", "compiler"});
  compare("context.configuration", section(a, {"context", "configuration"}), section(b, {"context", "configuration"}),
          {"duration", "warmup", "connections", "rate", "request_bytes", "response_bytes", "cpu_policy"});
  return out;
}

}  // namespace

bool lower_is_better(const std::string& metric) { return metric != "throughput_rps"; }

FigureChange compare_figure(const json& a, const json& b, const std::string& metric) {
  FigureChange f;
  f.metric = metric;
  f.a = number_at(a, metric);
  f.b = number_at(b, metric);
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

void check_compare_input(const json& doc, const std::string& name) {
  if (!doc.is_object()) throw ConfigError(fmt::format("{}: not a hopcost report: not a JSON object", name));
  const auto sv = doc.find("schema_version");
  if (sv == doc.end() || !sv->is_number_integer())
    throw ConfigError(fmt::format("{}: not a hopcost report: no whole number 'schema_version'", name));
  const int version = sv->get<int>();
  if (version < 1 || version > kSchemaVersion)
    throw ConfigError(fmt::format("{}: schema_version {} is not one this hopcost reads (1 to {}){}", name, version,
                                  kSchemaVersion, version > kSchemaVersion ? ": written by a newer hopcost" : ""));
  // The gate's shape check (variants with their identity) and message wording.
  (void)parse_report(doc.dump(), name);
  int index = 0;
  for (const auto& v : doc["variants"]) {
    ++index;
    try {
      (void)read_key(v);
    } catch (const json::exception& e) {
      throw ConfigError(fmt::format("{}: not a hopcost report: variant {}: {}", name, index, e.what()));
    }
  }
}

json load_compare_report(const std::string& path, const std::string& role) {
  const std::string file = report_file(path);
  std::error_code ec;
  if (!std::filesystem::is_regular_file(file, ec)) throw ConfigError(fmt::format("{} '{}': no such file", role, file));
  std::ifstream in(file, std::ios::binary);
  if (!in) throw ConfigError(fmt::format("{} '{}': cannot be read", role, file));
  std::stringstream text;
  text << in.rdbuf();
  // The version first: a newer schema is named as such, whatever else it changed.
  json doc = json::parse(text.str(), nullptr, false);
  if (doc.is_discarded()) (void)parse_report(text.str(), file);  // throws, naming line and column
  check_compare_input(doc, file);
  return doc;
}

Comparison compare_reports(const json& a, const json& b, const std::string& name_a, const std::string& name_b) {
  check_compare_input(a, name_a);
  check_compare_input(b, name_b);
  Comparison c;
  c.name_a = name_a;
  c.name_b = name_b;
  std::vector<VariantKey> keys_b;
  for (const auto& v : b["variants"]) keys_b.push_back(read_key(v));
  std::vector<bool> used(keys_b.size(), false);
  for (const auto& va : a["variants"]) {
    const VariantKey key = read_key(va);
    size_t j = 0;
    while (j < keys_b.size() && (used[j] || !(keys_b[j] == key))) ++j;
    if (j == keys_b.size()) {
      c.unmatched.push_back({key, "A"});
      continue;
    }
    used[j] = true;
    const json& vb = b["variants"][j];
    ComparedPair p{key, {}};
    for (const char* metric : kHeadlineFigures) p.changes.push_back(compare_figure(va, vb, metric));
    const auto fa = failure_of(va), fb = failure_of(vb);
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

}  // namespace hopcost::gate
