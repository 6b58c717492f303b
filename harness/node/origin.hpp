// The origin: the last service of the chain (the article's app server or DB proxy). It
// answers every request with 200 and a body of the configured size, on keep-alive
// connections unless the request says Connection: close.
#pragma once

#include "node/node.hpp"

namespace hopcost {

class Origin final : public Node {
 public:
  Origin(std::string name, uint64_t response_bytes);
  ~Origin() override { stop(); }

 private:
  asio::awaitable<void> serve(std::unique_ptr<Stream> downstream) override;
  const std::string body_;
};

}  // namespace hopcost
