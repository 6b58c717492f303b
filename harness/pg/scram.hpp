// SCRAM-SHA-256 as a client (RFC 5802, RFC 7677), as PostgreSQL asks for it, with
// BoringSSL's PBKDF2, HMAC and SHA-256. No channel binding: the GS2 header is "n,,"
// ("client does not support it"), so a TLS link is not bound to the exchange
// (docs/database.md). No SASLprep: the password is used as its bytes, which is what
// SASLprep leaves of a printable ASCII password (hopcost generates those).
//
// The exchange, one object per authentication:
//   client_first()        -> "n,,n=,r=<client nonce>"
//   client_final(server_first) -> "c=biws,r=<nonce>,p=<proof>"   (PBKDF2: the costly step)
//   verify_server_final(server_final): the server proves it knows the password too.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>

namespace hopcost::pg {

inline constexpr std::string_view kScramSha256 = "SCRAM-SHA-256";

class ScramClient {
 public:
  // `user` goes into client-first's n= (PostgreSQL ignores it and takes the startup
  // message's; libpq sends it empty, and so does hopcost). `nonce`: empty for 18 random
  // bytes (RAND_bytes) in base64, as libpq; tests pass RFC 7677's.
  explicit ScramClient(std::string password, std::string user = {}, std::string nonce = {});

  std::string client_first() const;

  // Parses server-first (r=, s=, i=) and returns client-final with the proof; nothing,
  // with `error` saying why, when server-first is malformed, its nonce does not extend
  // ours, or its iteration count is not within 1 to kMaxIterations.
  std::optional<std::string> client_final(std::string_view server_first, std::string& error);

  // True when server-final carries the signature only a server that knows the password
  // can make; false, with `error`, otherwise (also for a server-final "e=..." error).
  bool verify_server_final(std::string_view server_final, std::string& error) const;

  // The most PBKDF2 iterations accepted from a server: PostgreSQL's default is 4096; a
  // server asking for far more would make the client spin for seconds per connection.
  static constexpr uint32_t kMaxIterations = 1'000'000;

 private:
  std::string password_;
  std::string client_first_bare_;  // "n=<user>,r=<nonce>"
  std::string nonce_;
  std::string expected_server_signature_;  // raw bytes, set by client_final
};

// Standard base64 (RFC 4648, with padding), as SCRAM uses it.
std::string base64_encode(std::string_view bytes);
std::optional<std::string> base64_decode(std::string_view text);

}  // namespace hopcost::pg
