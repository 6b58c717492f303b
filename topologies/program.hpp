// Real programs as nodes (issue #11): the seam every launcher shares. A launcher is a pure
// function from one node's settings (ProgramNode, plain data) to what must run
// (ProgramConfig, plain data: the configuration files, the command lines, the checker, the
// access log and its resolution). Starting, probing and stopping what it describes is
// launcher.hpp's job, one program-independent runner. One file per program:
// haproxy.cpp, nginx.cpp, stunnel.cpp, varnish.cpp (Varnish with Hitch and stunnel).
// Nothing else in the tree knows a program's name or its configuration syntax.
//
// Verification of the upstream is always on (DESIGN.md, "Rules that keep numbers honest"):
// no generator has a way to turn it off. A setting a program cannot do is refused with
// UnsupportedSetting (a ConfigError: exit 2), naming the program and the setting.
#pragma once

#include <chrono>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "http/head.hpp"
#include "metrics/attribution.hpp"
#include "net/endpoint.hpp"
#include "net/link_kind.hpp"
#include "node/upstream_policy.hpp"
#include "tls/group.hpp"
#include "tls/version.hpp"
#include "util/enum_table.hpp"
#include "util/errors.hpp"

namespace hopcost {

enum class ProgramKind { haproxy, nginx, varnish, stunnel };

inline constexpr EnumTable<ProgramKind, 4> kProgramKinds{{{{ProgramKind::haproxy, "haproxy"},
                                                           {ProgramKind::nginx, "nginx"},
                                                           {ProgramKind::varnish, "varnish"},
                                                           {ProgramKind::stunnel, "stunnel"}}}};
inline std::string_view to_string(ProgramKind k) { return kProgramKinds.text(k); }
inline std::optional<ProgramKind> parse_program_kind(std::string_view s) { return kProgramKinds.parse(s); }

// One end of a real node: where it listens or where its upstream listens, and the TLS
// settings of that link (TLS link kinds only).
struct ProgramEnd {
  LinkKind kind = LinkKind::tcp;
  Endpoint endpoint{};  // tcp: 127.0.0.1 and a port (not 0: the program binds it); uds: the path
  // The versions accepted (listen) or offered (upstream); one or both, in any order.
  std::vector<TlsVersion> versions{TlsVersion::v1_2, TlsVersion::v1_3};
  std::optional<TlsGroup> group{};  // the only key-exchange group (none: the program's default list)
  // The identity this program presents on this end (PEM: the leaf, then its chain; and the
  // key): listen, always for TLS; upstream, only with mtls (its client certificate).
  std::string cert{};
  std::string key{};
  // The link's CA (PEM). Upstream: the trust anchor the upstream's chain is verified
  // against (always, for TLS). Listen: what the readiness probe verifies the program's
  // certificate with and, with mtls, what the program verifies clients' chains with.
  std::string ca{};
  bool mtls = false;
  // Upstream: the name verified in the upstream's certificate and sent as SNI (required for
  // TLS). Listen with mtls: the name the client's certificate must carry (empty: chain only).
  std::string peer_name{};
};

struct ProgramNode {
  std::string name{};  // relay1 …: names files in the run directory and the program's logs
  ProgramEnd listen{};
  ProgramEnd upstream{};
  UpstreamPolicy policy = UpstreamPolicy::one_to_one;
  bool upstream_resumption = true;  // the program offers its cached TLS sessions upstream
  int workers = 1;                  // processes or threads, whichever the program scales by
  // Where configurations, logs, pid files, sockets and working directories go; must exist.
  std::string run_dir{};
  std::string request_id_header{kRequestIdHeader};  // logged per request, to pair residence times
  // Varnish only: let cache hits happen (off: every request is passed to the upstream, so
  // that every request crosses the whole chain).
  bool cache_hits = false;
  // Varnish only: TLS through its helpers (Hitch in front, stunnel behind). Off: a TLS end
  // is refused, as varnishd alone cannot do TLS.
  bool tls_helpers = true;
  // The user the program's workers run as, where the program drops privileges when started
  // as root (Nginx workers, Hitch workers: Hitch refuses to run them as root). Empty: the
  // program's default. The launcher chooses (launcher.hpp, worker_user()).
  std::string user{};
  // The name the listening certificate carries: what the readiness probe verifies and
  // sends as SNI. Empty: the node's name.
  std::string tls_name{};
  // With listen.mtls: the client identity (PEM) the readiness probe presents.
  std::string probe_cert{};
  std::string probe_key{};
};

// A command: the binary by name (found on PATH, /usr/sbin and /sbin) and its arguments.
struct ProgramCommand {
  std::string binary{};   // "haproxy"
  std::string package{};  // the Debian package that installs it, named when it is missing
  std::vector<std::string> args{};
  // The command as one line, shell-quoted where needed (for messages and docs).
  std::string text() const;
};

struct ProgramFile {
  std::string path{};
  std::string text{};
  // It holds a password or a secret: written 0600 and owned by ProgramConfig::owner, and not
  // copied into the run's kept configuration (it sits in a private directory, removed at stop).
  bool secret = false;
};

// A file concatenated from others when the program starts (HAProxy wants the certificate,
// its chain and the key in one PEM file). Not pure data to generate: the parts are read then.
struct PemBundle {
  std::string path{};
  std::vector<std::string> parts{};
};

// One process the node runs (the program itself, or a helper: Hitch, stunnel,
// varnishncsa), in the order they are started.
struct ProcessPlan {
  std::string name{};  // "haproxy", "hitch", "varnishncsa" …: names its logs and its errors
  ProgramCommand command{};
  std::optional<ProgramCommand> check{};  // the program's own configuration check, if it has one
  // Unix sockets the check wants to exist that an earlier process creates when it starts
  // (Hitch's check stats its backend, varnishd's socket): placeholders stand in during it.
  std::vector<std::string> check_needs_sockets{};
  ProgramCommand version{};               // prints the program's version
  bool helper = false;                    // not the node's program but a helper beside it
  // A Unix socket it creates that the next process needs: the next starts once it accepts.
  std::string listens_on{};
  std::string stdout_path{};
  std::string stderr_path{};
  // The user it runs as: the child takes that user's groups, gid and uid before exec (PostgreSQL
  // and PgBouncer refuse to run as root). Empty: hopcost's user.
  std::string run_as{};
  // The signal that stops it: SIGTERM, or the program's fast shutdown when SIGTERM waits for
  // its clients (postgres: SIGINT; SIGTERM is its "smart" shutdown).
  int stop_signal = 15;
};

// A command a node runs to completion: a step before its processes start (initdb), its
// readiness check (run until it passes, bounded), or a step once it is ready (creating the
// table the run reads). Plain data; launcher.hpp runs it.
struct ProgramStep {
  std::string what{};  // "initdb", "ready", "setup": names the step in errors
  ProgramCommand command{};
  std::string run_as{};  // as ProcessPlan::run_as
  // It passes when it exits 0 and its output, trimmed, is this; empty: any output.
  std::string expect{};
};

// What a node's residence time in its access log covers, and its resolution.
struct AccessLogPlan {
  std::string path{};
  std::chrono::nanoseconds resolution{0};  // HAProxy and Nginx: 1 ms; varnishncsa %D: 1 µs
  std::string covers{};                    // in words, for the report and the docs
};

// Everything a node runs, as plain data; written out and started by launcher.hpp.
struct ProgramConfig {
  ProgramKind kind = ProgramKind::haproxy;
  std::string node{};
  std::vector<ProgramFile> files{};
  std::vector<PemBundle> bundles{};
  std::vector<ProcessPlan> processes{};
  AccessLogPlan access_log{};
  // Unix sockets the processes create (the listening end's and any between a program and
  // its helpers): a stale one left by an earlier run is removed before they start.
  std::vector<std::string> sockets{};
  // A process runs as another user (Hitch's workers as nobody) and must reach a socket in
  // the run directory: the directory gets search permission for others (o+x; not listing).
  bool run_dir_searchable = false;
  // The program's name in messages, for programs that are not relays (ProgramKind names
  // relays): "postgresql", "pgbouncer". Empty: to_string(kind).
  std::string program{};
  // The user that owns the private directories, the secret files and the bundles (the
  // processes' run_as, who must read its key: PostgreSQL wants it 0600 and its own). Empty:
  // hopcost's user.
  std::string owner{};
  // Directories created empty (mode 0700, owned by `owner`) before anything is written,
  // replacing any left by an earlier run, and removed with everything in them at stop: a
  // database's data directory, sockets, keys and passwords.
  std::vector<std::string> private_dirs{};
  // Run in order once the files are written, before the processes start (initdb).
  std::vector<ProgramStep> before_start{};
  // Readiness by a command (a real client's query) instead of the HTTP probe: retried until
  // it passes, bounded by LaunchOptions::ready_timeout.
  std::optional<ProgramStep> ready_check{};
  // Run in order once it is ready (the table's creation, a check over the listening link).
  std::vector<ProgramStep> after_ready{};
};

// ProgramConfig::program, or the relay kind's name.
inline std::string program_name(const ProgramConfig& c) { return c.program.empty() ? std::string(to_string(c.kind)) : c.program; }

// A setting a program cannot do: "varnish cannot do TLS on its listening end without Hitch".
struct UnsupportedSetting : ConfigError {
  UnsupportedSetting(std::string program_, std::string setting_);
  std::string program;
  std::string setting;
};

// A program that is not installed: "haproxy is not installed (Debian package haproxy)".
struct MissingProgram : ConfigError {
  MissingProgram(std::string binary_, std::string package_);
  std::string binary;
  std::string package;
};

// Pure: the configuration of `node` run by `kind`; dispatches to the one generator per
// program (haproxy.hpp, nginx.hpp, stunnel.hpp, varnish.hpp).
ProgramConfig program_config(ProgramKind kind, const ProgramNode& node);

// Shared by the generators -------------------------------------------------------------

// Throws UnsupportedSetting unless `node` is well formed: a TLS end has its files and
// versions, a TLS upstream has a peer name, a TCP endpoint has a port, workers ≥ 1.
void check_program_node(std::string_view program, const ProgramNode& node);
// The lowest and highest of `versions`.
TlsVersion min_version(const std::vector<TlsVersion>& versions);
TlsVersion max_version(const std::vector<TlsVersion>& versions);
// OpenSSL's protocol name: "TLSv1.2", "TLSv1.3".
std::string_view openssl_protocol(TlsVersion v);
// OpenSSL's group name ("X25519", "P-256", "P-384"); throws UnsupportedSetting for groups
// OpenSSL 3 does not have (CECPQ2 is BoringSSL's only).
std::string openssl_group(std::string_view program, TlsGroup g, std::string_view end);
// RUN/NODE-SUFFIX
std::string run_file(const ProgramNode& node, std::string_view suffix);
// The same, for a Unix socket: throws ConfigError when the path is longer than a socket
// address can hold (107 bytes), naming it.
std::string run_socket(const ProgramNode& node, std::string_view suffix);
inline constexpr size_t kMaxSocketPath = 107;

// Access logs ------------------------------------------------------------------------
// Every generated access-log format writes one line per request in the same shape,
//   hopcost id=<request id> residence_<unit>=<number> key=value …
// with unit ms, s or us, so one reader serves every program.
struct AccessRecord {
  std::string request_id{};                     // "-" or empty when the request had none
  std::optional<std::chrono::nanoseconds> residence{};  // absent when the program logged "-"
  std::vector<std::pair<std::string, std::string>> fields{};  // every key=value, in order
  std::optional<std::string> field(std::string_view key) const;
};
// Lines that are not in that shape are skipped. Throws RunError if the file cannot be read.
std::vector<AccessRecord> read_access_log(const std::string& path);
AccessRecord parse_access_line(std::string_view line);  // empty request_id if not in shape

// A node's residence times for attribution (metrics/attribution.hpp), from its access
// log: the lines whose id is a number (the driver's ids; the launcher's `probe-N` are
// left out) and whose residence is known. Unknown, with the reason, when the program
// keeps no access log (stunnel) or the log holds no such line. A value is as the program
// logged it, at the log's resolution (HAProxy and Nginx: 1 ms, so a loopback hop often
// reads 0): `plan.resolution` says how far to trust a share.
NodeResidence residence_from_access_log(const AccessLogPlan& plan);

}  // namespace hopcost
