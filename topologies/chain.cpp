#include "topologies/chain.hpp"

#include <fmt/format.h>

#include <cstdlib>
#include <filesystem>

#include "topologies/inproc_chain.hpp"
#include "topologies/process_chain.hpp"
#include "util/errors.hpp"

namespace hopcost {

std::string dns_name(const std::string& node_name) { return node_name + ".hopcost.test"; }

std::vector<std::string> node_names(int hops) {
  std::vector<std::string> names;
  for (int i = 1; i < hops; ++i) names.push_back(fmt::format("relay{}", i));
  names.push_back("origin");
  return names;
}

std::unique_ptr<Chain> build_chain(const ChainPlan& plan, Placement placement, const Pki& pki,
                                   const std::string& keep_dir) {
  if (placement == Placement::process) return std::make_unique<ProcessChain>(plan, pki);
  auto chain = std::make_unique<InprocChain>(plan, pki, keep_dir);
  chain->start();
  return chain;
}

ScratchDir::ScratchDir() {
  const auto tmp = std::filesystem::temp_directory_path();
  std::string tmpl = (tmp / "hopcost-XXXXXX").string();
  if (!mkdtemp(tmpl.data())) throw RunError(fmt::format("cannot create a private directory in {}", tmp.string()));
  path_ = tmpl;
}

ScratchDir::~ScratchDir() { remove(); }

void ScratchDir::remove() {
  if (path_.empty()) return;
  std::error_code ignored;
  std::filesystem::remove_all(path_, ignored);
  path_.clear();
}

}  // namespace hopcost
