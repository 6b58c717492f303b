// A relay of the chain that is a real program (issue #11): HAProxy, Nginx, Varnish (with
// Hitch and stunnel) or stunnel, launched from the node's spec in the chain plan by the
// program's launcher (topologies/program.hpp, launcher.hpp). The chain builder makes one
// per such node; everything else of the chain (the client, hopcost's own relays, the
// origin) stays as it is and reaches it over the same link ends.
//
// What a real node gives the report:
//   - its CPU: user + system of every process and thread of the program and its helpers,
//     from /proc (the counters a hopcost node keeps are zero: its TLS work is inside
//     its CPU, and its links' handshakes are counted at their hopcost ends);
//   - its residence time per request, from its access log (at the log's resolution);
//   - its version, and the configuration it ran, kept in the run's directory.
#pragma once

#include <map>
#include <memory>
#include <string>
#include <string_view>

#include "metrics/attribution.hpp"
#include "net/link.hpp"
#include "node/snapshot.hpp"
#include "tls/pki.hpp"
#include "topologies/placement.hpp"
#include "topologies/plan.hpp"

namespace hopcost {

class LaunchedProgram;
struct ProgramNode;
struct ProgramConfig;

class RealNode {
 public:
  // Prepares node `index` of `plan`: issues its certificates from `pki` and writes them,
  // with the CA, into `scratch_dir` (which also holds the program's files, logs and
  // sockets); gives `listen` (link `index`) an endpoint the program will bind. Nothing
  // runs yet. Both link ends must outlive it; `upstream`'s endpoint is read at launch(). `keep_dir`: where its configuration is copied once it runs (empty: nowhere).
  RealNode(const ChainPlan& plan, size_t index, LinkEnds& listen, const LinkEnds& upstream, const Pki& pki,
           std::string scratch_dir, std::string keep_dir);
  ~RealNode();
  RealNode(const RealNode&) = delete;
  RealNode& operator=(const RealNode&) = delete;

  // Generates the configuration, has the program check it, starts it and waits until a
  // real request through it is answered (its upstream must be running). Throws
  // MissingProgram or ConfigError (exit 2), RunError (it did not start).
  void launch();
  // Name, role, CPU so far; zero counters. Throws RunError naming the program, its exit
  // status and its stderr's tail if any of its processes has exited.
  NodeSnapshot snapshot() const;
  void stop();  // idempotent
  // After stop(): its residence times from its access log, or why there are none.
  NodeResidence residence() const;

  const std::string& name() const { return name_; }
  Implementation implementation() const { return implementation_; }
  // Each process's version line, by program ("haproxy" -> "HAProxy version 2.6.12 …").
  std::map<std::string, std::string> versions() const;
  // After stop(): what its access log says of its TLS sessions, per request id (HAProxy
  // both ends, Nginx its listening end; nothing for Varnish and stunnel).
  LoggedTls logged_tls() const;

 private:
  std::string name_;
  Implementation implementation_;
  ChainPlan plan_;
  size_t index_;
  const LinkEnds* listen_;
  const LinkEnds* upstream_;
  std::string scratch_dir_;
  std::string keep_dir_;
  std::unique_ptr<ProgramNode> spec_;
  std::unique_ptr<LaunchedProgram> program_;
  std::map<std::string, std::string> versions_;
  std::string version_;  // the program's own (not its helpers')
  std::string access_log_;
  bool stopped_ = false;
};

// Up front, before anything runs (exit 2 on failure): every real node of `plan` can do
// what its links ask (UnsupportedSetting names the program and the setting), its programs
// are installed (MissingProgram names the Debian package), and the placement allows it.
void check_real_nodes(const ChainPlan& plan, Placement placement, bool count_instructions);

// --relay-config: node `index` of `plan` runs its user's configuration (NodeSpec::user_config);
// fills it in for a scratch directory with real certificates and runs the program's own
// check (haproxy -c, nginx -t). Throws ConfigError naming the node, the file and what the
// checker said; leaves nothing behind.
void check_user_config(const ChainPlan& plan, size_t index);

// A user's configuration template (--relay-config) --------------------------------------
// What each placeholder {{name}} becomes for `node`, given the configuration hopcost would
// have generated for it (HAProxy or Nginx): listen, upstream (addresses as the program
// writes them), cert, key, bundle (HAProxy: certificate and key in one file), ca,
// upstream_name, access_log (Nginx: its path; HAProxy: stdout), log_format (hopcost's
// format, quoted as the program wants it), request_id_header, workers, run_dir, pid,
// user_line, node. Pure.
std::map<std::string, std::string> user_config_values(const ProgramConfig& generated, const ProgramNode& node);
// `text` with every {{name}} replaced. Throws ConfigError naming `file` for an unknown
// placeholder or a required one left out ({{listen}}, {{upstream}}, {{log_format}}, and
// for Nginx {{access_log}}). Pure.
std::string fill_user_config(const std::string& text, const std::map<std::string, std::string>& values,
                             const std::string& file, std::string_view program);
// `generated` with its configuration file replaced by `file`, filled in. Throws ConfigError.
ProgramConfig user_program_config(const ProgramConfig& generated, const ProgramNode& node, const std::string& file);

// Whether any node of `plan` is a real program.
bool has_real_nodes(const ChainPlan& plan);

}  // namespace hopcost
