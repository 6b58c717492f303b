#include "net/link_kind.hpp"

#include <array>

#include "util/check.hpp"

namespace hopcost {
namespace {
constexpr std::array kLinkKinds{
    LinkTraits{LinkKind::tls, "tls", Transport::tcp, true},
    LinkTraits{LinkKind::tcp, "tcp", Transport::tcp, false},
    LinkTraits{LinkKind::uds, "uds", Transport::uds, false},
    LinkTraits{LinkKind::tls_uds, "tls+uds", Transport::uds, true},
};
}  // namespace

std::span<const LinkTraits> all_link_kinds() { return kLinkKinds; }

const LinkTraits& traits(LinkKind kind) {
  for (const auto& t : kLinkKinds)
    if (t.kind == kind) return t;
  HOPCOST_CHECK(false && "link kind missing from kLinkKinds");
}

std::string_view to_string(LinkKind kind) { return traits(kind).name; }

std::optional<LinkKind> parse_link_kind(std::string_view text) {
  for (const auto& t : kLinkKinds)
    if (t.name == text) return t.kind;
  return std::nullopt;
}

}  // namespace hopcost
