// Real programs as nodes (issue #11, topologies/<program>.cpp and launcher.cpp): each
// launcher's configurations pass the program's own check, and each program, started by
// the launcher in front of a hopcost origin, carries a real request with TLS verified on
// both of its ends, logs its request id, and fails the request when its upstream's
// certificate does not chain to the CA it was given. Needs the programs scripts/bootstrap
// installs (haproxy, nginx, varnish, hitch, stunnel4).
#include <catch2/catch.hpp>
#include <netinet/in.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>

#include <algorithm>
#include <filesystem>
#include <regex>
#include <sstream>
#include <thread>

#include <nlohmann/json.hpp>

#include "support/process.hpp"
#include "topologies/haproxy.hpp"
#include "topologies/launcher.hpp"
#include "topologies/nginx.hpp"
#include "topologies/program_process.hpp"

using namespace hopcost;
using namespace hopcost::test;

namespace {

Endpoint endpoint_of(const std::string& url) {  // "tls://127.0.0.1:1234", "unix:/p", "tls+unix:/p"
  Endpoint e;
  if (const size_t u = url.find("unix:"); u != std::string::npos) {
    e.transport = Transport::uds;
    e.path = url.substr(u + 5);
  } else {
    const std::string hp = host_port(url);
    e.port = static_cast<uint16_t>(std::stoi(hp.substr(hp.rfind(':') + 1)));
  }
  return e;
}

std::string listen_url(LinkKind kind, const std::string& sock) {
  switch (kind) {
    case LinkKind::tcp:
      return "tcp://127.0.0.1:0";
    case LinkKind::tls:
      return "tls://127.0.0.1:0";
    case LinkKind::uds:
      return "unix:" + sock;
    case LinkKind::tls_uds:
      return "tls+unix:" + sock;
  }
  return {};
}

struct Setup {
  TempDir dir;
  std::string pki = dir / "pki";
  std::string other_pki = dir / "other-pki";  // a CA that issued nothing of this chain
  Setup() {
    REQUIRE(run_hopcost("pki --out " + pki + " --name origin --name relay1 --name client --name hop").code == 0);
    REQUIRE(run_hopcost("pki --out " + other_pki + " --name origin").code == 0);
  }

  // A node `relay1` of `kind`: listening as `listen` (the CA of `pki`), upstream `upstream`.
  ProgramNode node(ProgramKind kind, LinkKind listen, LinkKind upstream, Endpoint up) const {
    ProgramNode n;
    n.name = "relay1";
    n.run_dir = dir.path.string();
    n.listen.kind = listen;
    if (traits(listen).transport == Transport::tcp) {
      n.listen.endpoint.port = free_loopback_port();
    } else {
      n.listen.endpoint.transport = Transport::uds;
      n.listen.endpoint.path = dir / "relay1-listen.sock";
    }
    n.listen.cert = pki + "/relay1.pem";
    n.listen.key = pki + "/relay1.key";
    n.listen.ca = pki + "/ca.pem";
    n.upstream.kind = upstream;
    n.upstream.endpoint = std::move(up);
    n.upstream.ca = pki + "/ca.pem";
    n.upstream.peer_name = "origin";
    n.user = worker_user(kind, ::geteuid() == 0);
    return n;
  }
};

// curl through the node: "STATUS" (or curl's failure), with the request id header.
CommandResult curl(const ProgramNode& n, const std::string& ca, const std::string& id) {
  const bool tls = traits(n.listen.kind).tls;
  std::string cmd = "curl -sS -o /dev/null -w '%{http_code}' --max-time 10 -H 'X-Hopcost-Id: " + id + "' ";
  if (tls) cmd += "--cacert " + ca + " ";
  if (n.listen.endpoint.transport == Transport::uds) {
    cmd += "--unix-socket " + n.listen.endpoint.path + " " + (tls ? "https://relay1/" : "http://relay1/");
  } else {
    cmd += std::string(tls ? "https://relay1:" : "http://relay1:") + std::to_string(n.listen.endpoint.port) +
           "/ --resolve relay1:" + std::to_string(n.listen.endpoint.port) + ":127.0.0.1";
  }
  return run_command(cmd);
}

const ProgramKind kAll[] = {ProgramKind::haproxy, ProgramKind::nginx, ProgramKind::varnish, ProgramKind::stunnel};

}  // namespace

TEST_CASE("every program's generated configuration passes its own check, for tls, tcp and uds ends") {
  const Setup s;
  struct Ends {
    LinkKind listen, upstream;
  };
  const Ends variants[] = {{LinkKind::tls, LinkKind::tls},         {LinkKind::tcp, LinkKind::tcp},
                           {LinkKind::uds, LinkKind::uds},         {LinkKind::tls_uds, LinkKind::tls_uds},
                           {LinkKind::tls, LinkKind::tcp},         {LinkKind::tcp, LinkKind::tls},
                           {LinkKind::tls, LinkKind::uds}};
  int checked = 0;
  for (const ProgramKind kind : kAll) {
    for (const auto& v : variants) {
      for (const UpstreamPolicy policy : {UpstreamPolicy::one_to_one, UpstreamPolicy::pool}) {
        Endpoint up;
        if (traits(v.upstream).transport == Transport::uds) {
          up.transport = Transport::uds;
          up.path = s.dir / "origin.sock";
        } else {
          up.port = 9;  // not contacted by a check
        }
        ProgramNode n = s.node(kind, v.listen, v.upstream, up);
        n.policy = policy;
        n.upstream_resumption = policy == UpstreamPolicy::pool;  // both settings, across the variants
        if (traits(v.listen).tls) n.listen.group = TlsGroup::x25519;
        if (traits(v.upstream).tls && kind != ProgramKind::haproxy) n.upstream.group = TlsGroup::p256;
        if (traits(v.listen).tls && policy == UpstreamPolicy::pool) n.listen.mtls = true;
        if (traits(v.upstream).tls && policy == UpstreamPolicy::pool) {
          n.upstream.mtls = true;
          n.upstream.cert = s.pki + "/client.pem";
          n.upstream.key = s.pki + "/client.key";
        }
        INFO(to_string(kind) << " " << to_string(v.listen) << " -> " << to_string(v.upstream) << " " << to_string(policy));
        ProgramConfig c;
        try {
          c = program_config(kind, n);
        } catch (const UnsupportedSetting& e) {
          // Refusals this matrix meets, each a real limit of the program.
          INFO(e.what());
          const bool expected = (kind == ProgramKind::stunnel && (policy == UpstreamPolicy::pool ||
                                                                  (!traits(v.listen).tls && !traits(v.upstream).tls))) ||
                                (kind == ProgramKind::varnish && v.listen == LinkKind::tls_uds);
          CHECK(expected);
          CHECK(e.program.find(to_string(kind)) == 0);
          continue;
        }
        REQUIRE_NOTHROW(check_program_config(c));
        for (const auto& f : c.files) CHECK(std::filesystem::exists(f.path));
        ++checked;
      }
    }
  }
  CHECK(checked >= 40);
  // And the checkers are real: a configuration they must reject is rejected.
  ProgramNode bad = s.node(ProgramKind::nginx, LinkKind::tls, LinkKind::tls, Endpoint{Transport::tcp, "127.0.0.1", 9, ""});
  bad.listen.cert = s.dir / "missing.pem";
  CHECK_THROWS_WITH(check_program_config(nginx_config(bad)), Catch::Contains("nginx rejects the configuration of node relay1"));
  ProgramNode bad_haproxy = s.node(ProgramKind::haproxy, LinkKind::tls, LinkKind::tls, Endpoint{Transport::tcp, "127.0.0.1", 9, ""});
  bad_haproxy.upstream.ca = s.dir / "missing-ca.pem";
  CHECK_THROWS_WITH(check_program_config(haproxy_config(bad_haproxy)), Catch::Contains("haproxy rejects"));
}

TEST_CASE("each program carries a verified request from curl to a hopcost origin over TLS and logs its request id") {
  const Setup s;
  for (const ProgramKind kind : kAll) {
    for (const LinkKind up_kind : {LinkKind::tls, LinkKind::tls_uds}) {
      INFO(to_string(kind) << " upstream " << to_string(up_kind));
      const auto origin = start_node({"origin", "--listen", listen_url(up_kind, s.dir / "origin.sock"), "--cert",
                                      s.pki + "/origin.pem", "--key", s.pki + "/origin.key"});
      const ProgramNode n = s.node(kind, LinkKind::tls, up_kind, endpoint_of(origin.url));
      auto program = launch_program(kind, n);
      REQUIRE(!program->versions().empty());
      for (const auto& [process, version] : program->versions()) CHECK(version.find_first_of("0123456789") != std::string::npos);

      const auto r = curl(n, s.pki + "/ca.pem", "4242");
      INFO(r.output);
      CHECK(r.output == "200");

      // Every process of the node is listed, and its CPU can be read.
      const auto pids = program->pids();
      CHECK(pids.size() >= program->config().processes.size());
      if (kind == ProgramKind::nginx) CHECK(pids.size() >= 2);    // master and worker
      if (kind == ProgramKind::varnish) CHECK(pids.size() >= 5);  // stunnel, varnishd manager and child, varnishncsa, hitch (master, worker)
      for (const auto& p : pids) CHECK(process_cpu(p.pid).has_value());  // /proc/PID/stat, every thread in it

      if (program->config().access_log.path.empty()) {
        CHECK(kind == ProgramKind::stunnel);  // stunnel relays bytes: no request log
      } else {
        // The line is written after the response: wait for it, bounded.
        std::optional<AccessRecord> seen;
        CHECK(eventually([&] {
          for (auto& rec : read_access_log(program->config().access_log.path))
            if (rec.request_id == "4242") seen = rec;
          return seen.has_value();
        }, std::chrono::seconds(5)));
        if (seen) {
          CHECK(seen->residence.has_value());
          CHECK(seen->field("status") == std::optional<std::string>("200"));
        }
        // What attribution will read: the request, by the driver's kind of id.
        const NodeResidence res = residence_from_access_log(program->config().access_log);
        CHECK(std::any_of(res.samples.begin(), res.samples.end(), [](const ResidenceSample& r) { return r.request_id == 4242; }));
      }
      program->stop();
      for (const auto& p : pids) CHECK_FALSE(alive(p.pid));
    }
  }
}

TEST_CASE("a standalone hopcost hop works in front of each program, and a hopcost origin behind it") {
  // curl -tls-> hopcost hop -tls-> the program -tls-> hopcost origin, every link verified.
  const Setup s;
  for (const ProgramKind kind : kAll) {
    INFO(to_string(kind));
    const auto origin = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", s.pki + "/origin.pem", "--key",
                                    s.pki + "/origin.key"});
    const ProgramNode n = s.node(kind, LinkKind::tls, LinkKind::tls, endpoint_of(origin.url));
    auto program = launch_program(kind, n);
    const auto hop = start_node({"hop", "--listen", "tls://127.0.0.1:0", "--cert", s.pki + "/hop.pem", "--key",
                                 s.pki + "/hop.key", "--upstream", "tls://127.0.0.1:" + std::to_string(n.listen.endpoint.port),
                                 "--upstream-name", "relay1", "--ca", s.pki + "/ca.pem"});
    const std::string port = host_port(hop.url).substr(host_port(hop.url).rfind(':') + 1);
    for (int i = 0; i < 3; ++i) {
      const auto r = run_command("curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert " + s.pki +
                                 "/ca.pem https://hop:" + port + "/ --resolve hop:" + port + ":127.0.0.1");
      INFO(r.output);
      CHECK(r.output == "200");
    }
    program->stop();
  }
}

TEST_CASE("each program refuses an upstream whose certificate does not chain to its CA") {
  const Setup s;
  for (const ProgramKind kind : kAll) {
    INFO(to_string(kind));
    const auto origin = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", s.pki + "/origin.pem", "--key",
                                    s.pki + "/origin.key"});
    ProgramNode n = s.node(kind, LinkKind::tls, LinkKind::tls, endpoint_of(origin.url));
    n.upstream.ca = s.other_pki + "/ca.pem";  // the origin's chain does not lead there
    LaunchOptions options;
    // stunnel closes the client's connection when its upstream fails verification: there
    // is no HTTP answer to wait for, only its TLS handshake.
    options.ready_when_connected = kind == ProgramKind::stunnel;
    auto program = launch_program(kind, n, options);
    const auto r = curl(n, s.pki + "/ca.pem", "4343");
    INFO(r.output);
    if (kind == ProgramKind::stunnel) {
      CHECK(r.code != 0);  // curl: empty reply or reset
    } else {
      CHECK(r.output == (kind == ProgramKind::nginx ? "502" : "503"));
    }
    // And with the right CA the same chain works: the refusal is verification's.
    n.upstream.ca = s.pki + "/ca.pem";
    program.reset();
    program = launch_program(kind, n);
    CHECK(curl(n, s.pki + "/ca.pem", "4344").output == "200");
  }
}

TEST_CASE("a program that exits at start is reported by name with its status and stderr") {
  const Setup s;
  ProgramNode n = s.node(ProgramKind::stunnel, LinkKind::tls, LinkKind::tcp, Endpoint{Transport::tcp, "127.0.0.1", 9, ""});
  n.listen.cert = s.dir / "missing.pem";  // stunnel has no check: it fails when it starts
  try {
    launch_program(ProgramKind::stunnel, n);
    FAIL("stunnel started with a missing certificate");
  } catch (const RunError& e) {
    CHECK_THAT(e.what(), Catch::Contains("stunnel (pid") && Catch::Contains("of node relay1 exited before the node was ready") &&
                             Catch::Contains("exited with status") && Catch::Contains("missing.pem"));
  }
}

TEST_CASE("a program that dies while running is reported by name with how it ended") {
  const Setup s;
  const auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
  auto program = launch_program(ProgramKind::haproxy, s.node(ProgramKind::haproxy, LinkKind::tcp, LinkKind::tcp, endpoint_of(origin.url)));
  CHECK_NOTHROW(program->check_running());
  const pid_t pid = program->pids().front().pid;
  ::kill(pid, SIGKILL);
  CHECK(eventually([&] {
    try {
      program->check_running();
      return false;
    } catch (const RunError& e) {
      CHECK_THAT(e.what(), Catch::Contains("haproxy (pid " + std::to_string(pid) + ") of node relay1 exited: killed by signal 9"));
      return true;
    }
  }));
}

TEST_CASE("a missing program is a typed error naming its Debian package") {
  ProgramCommand c{"haproxy-that-is-not-there", "haproxy", {}};
  try {
    resolve_binary(c);
    FAIL("found a binary that does not exist");
  } catch (const MissingProgram& e) {
    CHECK(e.package == "haproxy");
    CHECK_THAT(e.what(), Catch::Contains("Debian package haproxy"));
  }
  CHECK(find_binary("haproxy"));
  CHECK(find_binary("nginx"));
  CHECK(find_binary("varnishd"));
  CHECK(find_binary("hitch"));
  CHECK(find_binary("stunnel"));
}

// Run by the next test in a child process of its own, never alone ("[.]": hidden).
TEST_CASE("helper for the orphan test: launch nginx and varnish then wait to be killed", "[.]") {
  const Setup s;
  const auto origin = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", s.pki + "/origin.pem", "--key",
                                  s.pki + "/origin.key"});
  auto nginx = launch_program(ProgramKind::nginx, s.node(ProgramKind::nginx, LinkKind::tls, LinkKind::tls, endpoint_of(origin.url)));
  ProgramNode v = s.node(ProgramKind::varnish, LinkKind::tls, LinkKind::tls, endpoint_of(origin.url));
  v.name = "relay2";
  v.listen.cert = s.pki + "/origin.pem";  // any certificate of the CA: the probe checks the name below
  v.listen.key = s.pki + "/origin.key";
  v.tls_name = "origin";
  auto varnish = launch_program(ProgramKind::varnish, v);
  std::string line = "pids " + s.dir.path.string();  // the parent removes it: this process is killed
  for (const auto* p : {nginx.get(), varnish.get()})
    for (const auto& pid : p->pids()) {
      line += ' ';
      line += std::to_string(pid.pid);
    }
  std::printf("%s %d\n", line.c_str(), origin.process->pid());
  std::fflush(stdout);
  ::sleep(60);  // killed long before; bounded all the same
}

TEST_CASE("no program outlives hopcost when it is killed with SIGKILL") {
  ::prctl(PR_SET_CHILD_SUBREAPER, 1);  // orphans come here, so that they can be reaped, not left as zombies
  ChildProcess helper(self_executable(), {"helper for the orphan test: launch nginx and varnish then wait to be killed"});
  auto line = helper.read_line(std::chrono::seconds(60));
  while (line && line->rfind("pids ", 0) != 0) line = helper.read_line(std::chrono::seconds(60));  // past Catch's own lines
  REQUIRE(line);
  INFO(*line);
  REQUIRE(line->rfind("pids ", 0) == 0);
  std::vector<pid_t> pids;
  std::istringstream in(line->substr(5));
  std::string helper_dir;
  in >> helper_dir;
  for (pid_t p; in >> p;) pids.push_back(p);
  CHECK(pids.size() >= 7);  // nginx master and worker, stunnel, varnishd manager and child, varnishncsa, hitch master and worker, the origin
  for (pid_t p : pids) CHECK(alive(p));
  helper.signal(SIGKILL);
  CHECK(eventually([&] { return helper.exited(); }));
  for (pid_t p : pids) {
    INFO("pid " << p);
    CHECK(eventually([&] {
      ::waitpid(p, nullptr, WNOHANG);  // ours once re-parented
      return !alive(p);
    }));
  }
  // The guards exited after killing their groups, and were re-parented here too.
  while (::waitpid(-1, nullptr, WNOHANG) > 0) {
  }
  ::prctl(PR_SET_CHILD_SUBREAPER, 0);
  REQUIRE(helper_dir.rfind(std::filesystem::temp_directory_path().string(), 0) == 0);
  std::filesystem::remove_all(helper_dir);
}

namespace {

struct OriginCounts {
  uint64_t messages = 0, handshakes = 0, resumed = 0;
};

// The origin's statistics line (SIGUSR1; docs/standalone-nodes.md).
OriginCounts origin_counts(Node& origin) {
  origin.process->signal(SIGUSR1);
  const auto line = origin.process->read_line(std::chrono::seconds(5));
  REQUIRE(line);
  const auto j = nlohmann::json::parse(*line);
  return {j.at("messages").get<uint64_t>(), j.at("server").at("handshakes").get<uint64_t>(),
          j.at("server").value("resumed", uint64_t{0})};
}

// The origin counts a message once its response is out, and a client (or the launcher's
// readiness probe) may see the response first: counts once they have settled, two reads
// 50 ms apart agreeing (bounded).
OriginCounts settled_counts(Node& origin) {
  OriginCounts last = origin_counts(origin);
  eventually([&] {
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
    const OriginCounts now = origin_counts(origin);
    const bool settled = now.messages == last.messages && now.handshakes == last.handshakes;
    last = now;
    return settled;
  }, std::chrono::seconds(2));
  return last;
}

}  // namespace

TEST_CASE("each program's upstream handshakes follow its policy and its resumption setting") {
  const Setup s;
  constexpr int kRequests = 6;  // each on a new client connection
  for (const ProgramKind kind : kAll) {
    for (const UpstreamPolicy policy : {UpstreamPolicy::one_to_one, UpstreamPolicy::pool}) {
      if (kind == ProgramKind::stunnel && policy == UpstreamPolicy::pool) continue;  // refused: it relays bytes
      for (const bool resume : {true, false}) {
        INFO(to_string(kind) << " " << to_string(policy) << " resumption " << (resume ? "on" : "off"));
        auto origin = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", s.pki + "/origin.pem", "--key",
                                  s.pki + "/origin.key"});
        ProgramNode n = s.node(kind, LinkKind::tls, LinkKind::tls, endpoint_of(origin.url));
        n.policy = policy;
        n.upstream_resumption = resume;
        auto program = launch_program(kind, n);
        const OriginCounts before = settled_counts(origin);
        for (int i = 0; i < kRequests; ++i) REQUIRE(curl(n, s.pki + "/ca.pem", std::to_string(500 + i)).output == "200");
        // The origin counts a message once its response is out, and the client may see the
        // response first: read its counts once they have caught up (bounded).
        OriginCounts after = origin_counts(origin);
        eventually([&] {
          after = origin_counts(origin);
          return after.messages - before.messages >= kRequests &&
                 (policy == UpstreamPolicy::pool || after.handshakes - before.handshakes >= kRequests);
        }, std::chrono::seconds(2));
        const uint64_t handshakes = after.handshakes - before.handshakes, resumed = after.resumed - before.resumed;
        INFO("upstream handshakes " << handshakes << ", resumed " << resumed);
        CHECK(after.messages - before.messages == kRequests);
        if (policy == UpstreamPolicy::pool) {
          CHECK(handshakes <= 1);  // the probe's pooled connection carries them all (one more if it was closed)
        } else {
          CHECK(handshakes == kRequests);  // one upstream connection per client connection
          if (resume) CHECK(resumed >= kRequests - 1);
        }
        if (!resume) CHECK(resumed == 0);
      }
    }
  }
}

TEST_CASE("each program does mutual TLS on both ends: it requires a client certificate and presents its own upstream") {
  const Setup s;
  for (const ProgramKind kind : kAll) {
    INFO(to_string(kind));
    // The origin requires a client certificate of the CA, named relay1.
    const auto origin = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", s.pki + "/origin.pem", "--key",
                                    s.pki + "/origin.key", "--client-ca", s.pki + "/ca.pem", "--client-name", "relay1"});
    ProgramNode n = s.node(kind, LinkKind::tls, LinkKind::tls, endpoint_of(origin.url));
    n.listen.mtls = true;
    if (kind == ProgramKind::stunnel) n.listen.peer_name = "client";  // the only one that checks the client's name
    n.probe_cert = s.pki + "/client.pem";
    n.probe_key = s.pki + "/client.key";
    n.upstream.mtls = true;
    n.upstream.cert = s.pki + "/relay1.pem";
    n.upstream.key = s.pki + "/relay1.key";
    auto program = launch_program(kind, n);
    const std::string with_cert = "--cert " + s.pki + "/client.pem --key " + s.pki + "/client.key ";
    const std::string url = "https://relay1:" + std::to_string(n.listen.endpoint.port) + "/ --resolve relay1:" +
                            std::to_string(n.listen.endpoint.port) + ":127.0.0.1";
    const auto ok = run_command("curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert " + s.pki + "/ca.pem " +
                                with_cert + url);
    INFO(ok.output);
    CHECK(ok.output == "200");
    // Without a client certificate the program refuses the client.
    const auto refused = run_command("curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert " + s.pki + "/ca.pem " + url);
    INFO(refused.output);
    CHECK(refused.output.find("200") == std::string::npos);
  }
}

TEST_CASE("each program carries requests over plaintext TCP and Unix-socket ends") {
  const Setup s;
  struct Ends {
    LinkKind listen, upstream;
  };
  for (const ProgramKind kind : kAll) {
    for (const Ends e : {Ends{LinkKind::tcp, LinkKind::tcp}, Ends{LinkKind::uds, LinkKind::uds}, Ends{LinkKind::uds, LinkKind::tls},
                         Ends{LinkKind::tls_uds, LinkKind::uds}}) {
      if (kind == ProgramKind::stunnel && !traits(e.listen).tls && !traits(e.upstream).tls) continue;  // refused
      if (kind == ProgramKind::varnish && e.listen == LinkKind::tls_uds) continue;                      // refused (Hitch)
      INFO(to_string(kind) << " " << to_string(e.listen) << " -> " << to_string(e.upstream));
      std::vector<std::string> args{"origin", "--listen", listen_url(e.upstream, s.dir / "origin.sock")};
      if (traits(e.upstream).tls) args.insert(args.end(), {"--cert", s.pki + "/origin.pem", "--key", s.pki + "/origin.key"});
      const auto origin = start_node(args);
      const ProgramNode n = s.node(kind, e.listen, e.upstream, endpoint_of(origin.url));
      auto program = launch_program(kind, n);
      const auto r = curl(n, s.pki + "/ca.pem", "77");
      INFO(r.output);
      CHECK(r.output == "200");
    }
  }
}

TEST_CASE("varnish passes every request to its upstream unless cache hits are allowed") {
  const Setup s;
  for (const bool hits : {false, true}) {
    INFO("cache_hits " << hits);
    auto origin = start_node({"origin", "--listen", "tcp://127.0.0.1:0"});
    ProgramNode n = s.node(ProgramKind::varnish, LinkKind::tcp, LinkKind::tcp, endpoint_of(origin.url));
    n.cache_hits = hits;
    auto program = launch_program(ProgramKind::varnish, n);
    const OriginCounts before = settled_counts(origin);
    for (int i = 0; i < 4; ++i) REQUIRE(curl(n, s.pki + "/ca.pem", std::to_string(600 + i)).output == "200");
    const OriginCounts after = settled_counts(origin);
    // With hits allowed only the first reaches the origin (the probe's Host differed, so its
    // cached object is another); the other three are hits.
    CHECK(after.messages - before.messages == (hits ? 1u : 4u));
  }
}

TEST_CASE("each program keeps to the TLS versions it is given, on both ends") {
  const Setup s;
  for (const ProgramKind kind : kAll) {
    INFO(to_string(kind));
    auto origin = start_node({"origin", "--listen", "tls://127.0.0.1:0", "--cert", s.pki + "/origin.pem", "--key",
                              s.pki + "/origin.key"});  // accepts 1.2 and 1.3
    ProgramNode n = s.node(kind, LinkKind::tls, LinkKind::tls, endpoint_of(origin.url));
    n.listen.versions = {TlsVersion::v1_3};
    n.upstream.versions = {TlsVersion::v1_2};
    auto program = launch_program(kind, n);
    const std::string base = "curl -sS -o /dev/null -w '%{http_code}' --max-time 10 --cacert " + s.pki + "/ca.pem https://relay1:" +
                             std::to_string(n.listen.endpoint.port) + "/ --resolve relay1:" +
                             std::to_string(n.listen.endpoint.port) + ":127.0.0.1 ";
    CHECK(run_command(base + "--tlsv1.3").output == "200");
    const auto old = run_command(base + "--tlsv1.2 --tls-max 1.2");
    INFO(old.output);
    CHECK(old.output.find("200") == std::string::npos);  // TLS 1.2 in is refused
    // And the upstream link was TLS 1.2: the origin says what it negotiated.
    origin.process->signal(SIGUSR1);
    const auto line = origin.process->read_line(std::chrono::seconds(5));
    REQUIRE(line);
    CHECK(nlohmann::json::parse(*line).at("negotiated").at("version") == "TLSv1.2");
  }
}
