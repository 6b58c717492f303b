#include "cli/pki_command.hpp"

#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <filesystem>

#include "tls/pem.hpp"
#include "util/errors.hpp"

namespace hopcost {

void register_pki_command(CLI::App& parent, PkiCommand& c) {
  c.app = parent.add_subcommand("pki", "Write a new CA and node certificates and keys as PEM files");
  c.app->add_option("--out", c.out, "Directory to write into (created if needed)")->required()->type_name("DIR");
  c.app->add_option("--name", c.names,
                    "A node to issue a certificate for, as NAME.pem and NAME.key; repeatable [default: localhost]")
      ->type_name("NAME")
      ->allow_extra_args(false);
  c.app->footer(
      "Writes ca.pem, and for each name NAME.pem and NAME.key (mode 0600): ECDSA P-256, subjectAltName "
      "DNS:NAME, IP:127.0.0.1 and IP:::1. Verify a node with curl --cacert DIR/ca.pem or openssl s_client -CAfile "
      "DIR/ca.pem.");
}

int execute_pki_command(const PkiCommand& c) {
  for (const auto& name : c.names)
    if (name.empty() || name.find('/') != std::string::npos || name == "ca")
      throw ConfigError(fmt::format("--name: '{}' cannot name a certificate file", name));
  std::error_code ec;
  std::filesystem::create_directories(c.out, ec);
  if (ec) throw ConfigError(fmt::format("--out: cannot create directory '{}': {}", c.out, ec.message()));
  const Pki pki;
  try {
    write_certificate(c.out + "/ca.pem", pki.ca_cert());
    for (const auto& name : c.names) write_credential(c.out, name, pki.issue(name));
  } catch (const RunError& e) {
    throw ConfigError(fmt::format("--out: {}", e.what()));
  }
  fmt::print("{}/ca.pem\n", c.out);
  for (const auto& name : c.names) fmt::print("{0}/{1}.pem\n{0}/{1}.key\n", c.out, name);
  return kExitOk;
}

}  // namespace hopcost
