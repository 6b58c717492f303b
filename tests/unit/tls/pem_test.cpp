#include <catch2/catch.hpp>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>

#include "tls/pem.hpp"
#include "util/errors.hpp"

using namespace hopcost;

namespace {
struct Dir {
  Dir() {
    std::string t = (std::filesystem::temp_directory_path() / "hopcost-pem-XXXXXX").string();
    REQUIRE(mkdtemp(t.data()));
    path = t;
  }
  ~Dir() { std::filesystem::remove_all(path); }
  std::string path;
};

std::string load_error(const std::string& cert, const std::string& key) {
  try {
    load_credential(cert, key);
  } catch (const ConfigError& e) {
    return e.what();
  }
  return "no error";
}
}  // namespace

TEST_CASE("credentials round-trip through PEM files, keys are private") {
  Dir dir;
  const Pki pki;
  write_credential(dir.path, "relay1", pki.issue("relay1"));
  write_certificate(dir.path + "/ca.pem", pki.ca_cert());
  const Credential loaded = load_credential(dir.path + "/relay1.pem", dir.path + "/relay1.key");
  CHECK(X509_check_private_key(loaded.cert.get(), loaded.key.get()) == 1);
  CHECK(X509_cmp(load_certificate(dir.path + "/ca.pem").get(), pki.ca_cert()) == 0);
  struct stat st {};
  REQUIRE(stat((dir.path + "/relay1.key").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0600);
}

TEST_CASE("missing, unreadable, malformed and mismatched files are named") {
  Dir dir;
  const Pki pki;
  write_credential(dir.path, "a", pki.issue("a"));
  write_credential(dir.path, "b", pki.issue("b"));
  std::ofstream(dir.path + "/junk.pem") << "not PEM\n";
  CHECK_THAT(load_error(dir.path + "/none.pem", dir.path + "/a.key"), Catch::Contains("cannot read certificate") &&
                                                                         Catch::Contains("none.pem"));
  CHECK_THAT(load_error(dir.path + "/junk.pem", dir.path + "/a.key"), Catch::Contains("is not a PEM certificate"));
  CHECK_THAT(load_error(dir.path + "/a.pem", dir.path + "/junk.pem"), Catch::Contains("is not a PEM private key"));
  CHECK_THAT(load_error(dir.path + "/a.pem", dir.path + "/b.key"), Catch::Contains("b.key' does not match certificate"));
}
