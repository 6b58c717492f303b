// Standalone nodes, as a user runs them: `hopcost origin`, `hopcost hop`, `hopcost pki`.
#include <catch2/catch.hpp>
#include <signal.h>
#include <sys/socket.h>
#include <sys/un.h>

#include <nlohmann/json.hpp>

#include "support/process.hpp"

using namespace hopcost;
using namespace hopcost::test;
using namespace std::chrono_literals;

namespace {
struct Pki {
  TempDir dir;
  Pki() { REQUIRE(run_hopcost("pki --out " + dir.path.string() + " --name origin --name relay").code == 0); }
  std::string operator/(const std::string& f) const { return dir / f; }
};
}  // namespace

TEST_CASE("hopcost pki writes a CA, certificates, and private keys") {
  TempDir tmp;
  const auto r = run_hopcost("pki --out " + tmp / "pki");
  REQUIRE(r.code == 0);
  CHECK_THAT(r.output, Catch::Contains("ca.pem") && Catch::Contains("localhost.key"));
  CHECK(std::filesystem::exists(tmp / "pki/localhost.pem"));
  const auto perms = std::filesystem::status(tmp / "pki/localhost.key").permissions();
  CHECK((perms & std::filesystem::perms::group_read) == std::filesystem::perms::none);
  CHECK((perms & std::filesystem::perms::others_read) == std::filesystem::perms::none);
  CHECK(run_hopcost("pki --out /proc/none").code == 2);
}

TEST_CASE("a standalone chain serves, reports statistics on SIGUSR1, and shuts down cleanly on SIGTERM") {
  const Pki pki;
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0", "--response-bytes", "777"});
  auto relay = start_node({"hop", "--listen", "tls://127.0.0.1:0", "--upstream", origin.url, "--cert", pki / "relay.pem",
                           "--key", pki / "relay.key", "--name", "edge"});
  CHECK(relay.url.rfind("tls://127.0.0.1:", 0) == 0);
  const auto r = run_command("curl -sS --cacert " + pki / "ca.pem" + " -o /dev/null -w '%{http_code} %{size_download}' https://" +
                             host_port(relay.url) + "/");
  CHECK(r.output == "200 777");
  // The relay counts a message once its last write downstream has completed, and curl
  // may have the bytes and be gone before the relay's thread gets there (seen under TSan):
  // ask until it has.
  nlohmann::json stats;
  CHECK(eventually(
      [&] {
        relay.process->signal(SIGUSR1);
        const auto snapshot = relay.process->read_line(5s);
        REQUIRE(snapshot);
        stats = nlohmann::json::parse(*snapshot);
        return stats["messages"] == 1;
      },
      5s));
  CHECK(stats["name"] == "edge");
  CHECK(stats["role"] == "relay");
  CHECK(stats["server"]["handshakes"] == 1);
  CHECK(stats["server"]["handshake_bytes"].get<int>() > 500);  // a full TLS 1.3 handshake: about 1.3 KB
  CHECK(stats["negotiated"]["version"] == "TLSv1.3");
  relay.process->signal(SIGTERM);
  const auto line = relay.process->read_line(5s);
  REQUIRE(line);
  CHECK(nlohmann::json::parse(*line)["messages"] == 1);
  REQUIRE(eventually([&] { return relay.process->exited(); }));
  CHECK(relay.process->exit_code() == 0);
}

TEST_CASE("an upstream that goes away mid-run gives 502 and an error count, not a crash") {
  auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  auto relay = start_node({"hop", "--listen", "tcp://127.0.0.1:0", "--upstream", origin.url});
  const std::string url = "http://" + host_port(relay.url) + "/";
  CHECK(run_command("curl -s -o /dev/null -w '%{http_code}' " + url).output == "200");
  origin.process->terminate(5s);
  CHECK(run_command("curl -s -o /dev/null -w '%{http_code}' " + url).output == "502");
  relay.process->signal(SIGUSR1);
  const auto line = relay.process->read_line(5s);
  REQUIRE(line);
  const auto stats = nlohmann::json::parse(*line);
  CHECK(stats["errors"]["connect"] == 1);
  CHECK_THAT(stats["first_errors"]["connect"].get<std::string>(), Catch::Contains("refused"));
  CHECK_FALSE(relay.process->exited());
}

TEST_CASE("bad input to a standalone node exits 2 and says which") {
  const Pki pki;
  TempDir tmp;
  std::ofstream(tmp / "plain-file") << "x";
  auto busy = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  // A Unix socket something listens on.
  auto busy_uds = start_node({"origin", "--listen", "unix:" + tmp / "busy.sock"});
  struct Case {
    std::string args, expected;
  };
  const Case cases[] = {
      {"origin --listen tcp//127.0.0.1:80", "--listen: malformed URL 'tcp//127.0.0.1:80'"},
      {"origin --listen " + busy.url, "--listen: cannot listen on " + host_port(busy.url) + ": Address already in use"},
      {"origin --listen unix:" + tmp / "plain-file", "exists and is not a socket"},
      {"origin --listen unix:" + tmp / "busy.sock", "is in use"},
      {"origin --listen tcp://10.1.2.3:80", "not a loopback address"},
      {"hop --listen tcp://127.0.0.1:0 --upstream tcp://127.0.0.1:1", "--upstream: cannot connect to tcp://127.0.0.1:1: Connection refused"},
      {"origin --listen tls://127.0.0.1:0", "give --cert and --key"},
      {"origin --listen tls://127.0.0.1:0 --cert " + tmp / "none.pem" + " --key " + pki / "origin.key", "cannot read certificate"},
      {"origin --listen tls://127.0.0.1:0 --cert " + pki / "origin.pem" + " --key " + tmp / "plain-file", "is not a PEM private key"},
      {"origin --listen tls://127.0.0.1:0 --cert " + pki / "origin.pem" + " --key " + pki / "relay.key", "does not match certificate"},
      {"hop --listen tcp://127.0.0.1:0 --upstream tls://127.0.0.1:1", "give --ca"},
      {"origin --listen tcp://127.0.0.1:0 --tls 1.1", "--tls: unknown value '1.1'"},
      {"origin --listen tcp://127.0.0.1:0 --tls 1.3 --resume id", "--resume id needs --tls 1.2"},
      {"origin --listen tcp://127.0.0.1:0 --resume psk", "--resume: unknown value 'psk'; accepted: ticket, id"},
      {"origin --listen tcp://127.0.0.1:0 --tls 1.2 --early-data on", "--early-data on needs TLS 1.3"},
      {"hop --listen tcp://127.0.0.1:0 --upstream " + busy.url + " --upstream-resume maybe",
       "--upstream-resume: unknown value 'maybe'; accepted: on, off"},
  };
  for (const auto& c : cases) {
    const auto r = run_hopcost(c.args);
    INFO(c.args << " -> " << r.output);
    CHECK(r.code == 2);
    CHECK_THAT(r.output, Catch::Contains(c.expected));
  }
}
