// SCRAM-SHA-256 as the server's messages reach hopcost's client (pg/scram.cpp):
// server-first (r=, s=, i=) and server-final (v= or e=), and base64. Input: server-first,
// then a NUL byte, then server-final (no NUL: server-first only).
//
// Properties: a malformed message is refused with a reason, never a crash; an accepted
// server-first gives client-final with the server's nonce and a proof; a server-final is
// accepted only with the signature computed from the password (never from fuzzed bytes
// alone, which cannot know it: a mismatch is what is checked); base64 decodes what it
// encodes.
//
// Iteration counts between 4097 and the client's limit are skipped: each would cost up to
// a second of PBKDF2, which tests nothing the parser does (counts beyond the limit are
// refused before any PBKDF2, and are fuzzed).
#include <charconv>
#include <string>

#include "fuzz.hpp"
#include "pg/scram.hpp"

using namespace hopcost;
using namespace hopcost::pg;

namespace {

constexpr std::string_view kNonce = "rOprNGfwEbeRWgbNEkqO";  // RFC 7677's client nonce

// The i= of server-first as the client reads it: the third comma-separated attribute.
bool costly(std::string_view server_first) {
  for (int skip = 0; skip < 2; ++skip) {
    const size_t comma = server_first.find(',');
    if (comma == std::string_view::npos) return false;
    server_first.remove_prefix(comma + 1);
  }
  const std::string_view i = server_first.substr(0, server_first.find(','));
  if (!i.starts_with("i=")) return false;
  uint64_t n = 0;
  const auto [end, ec] = std::from_chars(i.data() + 2, i.data() + i.size(), n);
  return ec == std::errc{} && n > 4096 && n <= ScramClient::kMaxIterations;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view input = fuzz::as_text(data, size);
  const size_t nul = input.find('\0');
  const std::string_view server_first = input.substr(0, nul);
  const std::string_view server_final = nul == std::string_view::npos ? std::string_view{} : input.substr(nul + 1);

  const auto decoded = base64_decode(input);
  if (decoded) FUZZ_CHECK(decoded->size() <= input.size());
  FUZZ_CHECK(base64_decode(base64_encode(input)) == std::string(input));

  if (costly(server_first)) return 0;
  ScramClient client("pencil", "", std::string(kNonce));
  FUZZ_CHECK(client.client_first() == "n,,n=,r=" + std::string(kNonce));
  std::string error;
  const auto final = client.client_final(server_first, error);
  if (!final) {
    FUZZ_CHECK(!error.empty());
    return 0;
  }
  FUZZ_CHECK(final->starts_with("c=biws,r=" + std::string(kNonce)) && final->find(",p=") != std::string::npos);
  if (nul == std::string_view::npos) return 0;
  error.clear();
  if (client.verify_server_final(server_final, error)) {
    // Only the signature the client computed itself passes: a fuzzed one matching it by
    // chance is out of reach, so an accepted input must carry exactly it.
    FUZZ_CHECK(server_final.starts_with("v="));
  } else {
    FUZZ_CHECK(!error.empty());
  }
  return 0;
}
