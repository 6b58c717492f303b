// What program a node of the chain is (issue #11): hopcost's own relay, or a real proxy
// launched from the node's spec (topologies/real_node.hpp). `--relay` takes one of these
// for every relay, or a preset: `article`, the article's stack (HAProxy, Varnish, Nginx,
// then hopcost as the app, for the 4 relays of a 5-hop chain). The origin and the client
// are always hopcost's. Plain data.
#pragma once

#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "util/enum_table.hpp"

namespace hopcost {

enum class Implementation { hopcost, haproxy, nginx, varnish, stunnel };

inline constexpr EnumTable<Implementation, 5> kImplementations{{{{Implementation::hopcost, "hopcost"},
                                                                 {Implementation::haproxy, "haproxy"},
                                                                 {Implementation::nginx, "nginx"},
                                                                 {Implementation::varnish, "varnish"},
                                                                 {Implementation::stunnel, "stunnel"}}}};
inline std::string_view to_string(Implementation i) { return kImplementations.text(i); }
inline std::optional<Implementation> parse_implementation(std::string_view s) { return kImplementations.parse(s); }

// The `--relay` presets.
inline constexpr std::string_view kArticleRelays = "article";
inline const std::vector<Implementation>& article_relays() {
  static const std::vector<Implementation> relays{Implementation::haproxy, Implementation::varnish, Implementation::nginx,
                                                  Implementation::hopcost};
  return relays;
}

// Whether `choice` is a --relay value: an implementation or a preset.
inline bool valid_relay_choice(std::string_view choice) {
  return choice == kArticleRelays || parse_implementation(choice).has_value();
}
// "hopcost, haproxy, nginx, varnish, stunnel, article"
inline std::string relay_choices() { return kImplementations.accepted() + ", " + std::string(kArticleRelays); }

}  // namespace hopcost
