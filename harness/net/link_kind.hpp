// The kinds of link between two neighbouring nodes, and what each is made of.
// Plain data; no Asio here, so that the scenario and topology code stay light.
#pragma once

#include <optional>
#include <span>
#include <string_view>

namespace hopcost {

enum class LinkKind { tcp, tls, uds, tls_uds };

enum class Transport { tcp, uds };

struct LinkTraits {
  LinkKind kind;
  std::string_view name;  // as written in a topology list
  Transport transport;
  bool tls;
};

// Every link kind, in the order they are documented. Adding a kind means adding a row
// here (and a transport file if the transport is new); tests/unit/guard_test.cpp checks
// that every row is wired.
std::span<const LinkTraits> all_link_kinds();
const LinkTraits& traits(LinkKind kind);
std::string_view to_string(LinkKind kind);
std::optional<LinkKind> parse_link_kind(std::string_view text);

}  // namespace hopcost
