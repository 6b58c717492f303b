#include "pg/scram.hpp"

#include "tls/boringssl.hpp"  // first: refuses any other <openssl/...>

#include <openssl/base64.h>
#include <openssl/crypto.h>
#include <openssl/digest.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include <array>
#include <charconv>

#include <fmt/format.h>

#include "util/check.hpp"

namespace hopcost::pg {
namespace {

using Digest = std::array<uint8_t, SHA256_DIGEST_LENGTH>;

std::string_view as_view(const Digest& d) { return {reinterpret_cast<const char*>(d.data()), d.size()}; }

Digest hmac(std::string_view key, std::string_view data) {
  Digest out{};
  unsigned len = 0;
  HOPCOST_CHECK(HMAC(EVP_sha256(), key.data(), key.size(), reinterpret_cast<const uint8_t*>(data.data()), data.size(),
                     out.data(), &len) != nullptr);
  HOPCOST_CHECK(len == out.size());
  return out;
}

Digest sha256(std::string_view data) {
  Digest out{};
  SHA256(reinterpret_cast<const uint8_t*>(data.data()), data.size(), out.data());
  return out;
}

// RFC 5802 saslname: ',' and '=' escaped.
std::string saslname(std::string_view user) {
  std::string out;
  for (char c : user) {
    if (c == ',')
      out += "=2C";
    else if (c == '=')
      out += "=3D";
    else
      out += c;
  }
  return out;
}

// "a=value" attributes separated by commas.
struct Attribute {
  char name;
  std::string_view value;
};
std::optional<Attribute> take_attribute(std::string_view& rest) {
  const size_t comma = rest.find(',');
  const std::string_view item = rest.substr(0, comma);
  rest = comma == std::string_view::npos ? std::string_view{} : rest.substr(comma + 1);
  if (item.size() < 2 || item[1] != '=') return std::nullopt;
  return Attribute{item[0], item.substr(2)};
}

}  // namespace

std::string base64_encode(std::string_view bytes) {
  size_t len = 0;
  HOPCOST_CHECK(EVP_EncodedLength(&len, bytes.size()));
  std::string out(len, '\0');
  const size_t n = EVP_EncodeBlock(reinterpret_cast<uint8_t*>(out.data()), reinterpret_cast<const uint8_t*>(bytes.data()),
                                   bytes.size());
  out.resize(n);  // without the NUL
  return out;
}

std::optional<std::string> base64_decode(std::string_view text) {
  size_t max = 0;
  if (!EVP_DecodedLength(&max, text.size())) return std::nullopt;
  std::string out(max, '\0');
  size_t n = 0;
  if (!EVP_DecodeBase64(reinterpret_cast<uint8_t*>(out.data()), &n, out.size(),
                        reinterpret_cast<const uint8_t*>(text.data()), text.size()))
    return std::nullopt;
  out.resize(n);
  return out;
}

ScramClient::ScramClient(std::string password, std::string user, std::string nonce)
    : password_(std::move(password)), nonce_(std::move(nonce)) {
  if (nonce_.empty()) {
    uint8_t raw[18];
    HOPCOST_CHECK(RAND_bytes(raw, sizeof raw) == 1);
    nonce_ = base64_encode(std::string_view(reinterpret_cast<const char*>(raw), sizeof raw));
  }
  // A nonce is printable ASCII without ',' (RFC 5802); ours and the tests' are.
  for (char c : nonce_) HOPCOST_CHECK(c > 0x20 && c < 0x7f && c != ',');
  client_first_bare_ = "n=" + saslname(user) + ",r=" + nonce_;
}

std::string ScramClient::client_first() const { return "n,," + client_first_bare_; }

std::optional<std::string> ScramClient::client_final(std::string_view server_first, std::string& error) {
  std::string_view rest = server_first;
  const auto r = take_attribute(rest);
  const auto s = take_attribute(rest);
  const auto i = take_attribute(rest);
  // Extensions after i= are allowed; a mandatory one (m=) before r= is not understood.
  if (!r || r->name != 'r' || !s || s->name != 's' || !i || i->name != 'i') {
    error = server_first.starts_with("m=") ? "SCRAM server-first asks for a mandatory extension (m=)"
                                            : fmt::format("malformed SCRAM server-first message '{}'", server_first);
    return std::nullopt;
  }
  // The server's nonce is ours with its own part appended.
  if (r->value.size() <= nonce_.size() || !r->value.starts_with(nonce_)) {
    error = "SCRAM server nonce does not extend the client's";
    return std::nullopt;
  }
  const auto salt = base64_decode(s->value);
  if (!salt || salt->empty()) {
    error = "SCRAM salt is not base64";
    return std::nullopt;
  }
  uint32_t iterations = 0;
  const auto [end, ec] = std::from_chars(i->value.data(), i->value.data() + i->value.size(), iterations);
  if (ec != std::errc{} || end != i->value.data() + i->value.size() || iterations < 1 ||
      iterations > kMaxIterations) {
    error = fmt::format("SCRAM iteration count '{}' is not within 1 to {}", i->value, kMaxIterations);
    return std::nullopt;
  }

  Digest salted{};
  HOPCOST_CHECK(PKCS5_PBKDF2_HMAC(password_.data(), password_.size(), reinterpret_cast<const uint8_t*>(salt->data()),
                                  salt->size(), iterations, EVP_sha256(), salted.size(), salted.data()) == 1);
  const Digest client_key = hmac(as_view(salted), "Client Key");
  const Digest stored_key = sha256(as_view(client_key));
  // "biws" is base64("n,,"): the GS2 header, without channel binding.
  const std::string without_proof = "c=biws,r=" + std::string(r->value);
  const std::string auth_message = client_first_bare_ + "," + std::string(server_first) + "," + without_proof;
  const Digest client_signature = hmac(as_view(stored_key), auth_message);
  Digest proof{};
  for (size_t k = 0; k < proof.size(); ++k) proof[k] = client_key[k] ^ client_signature[k];
  const Digest server_key = hmac(as_view(salted), "Server Key");
  expected_server_signature_ = std::string(as_view(hmac(as_view(server_key), auth_message)));
  OPENSSL_cleanse(salted.data(), salted.size());
  return without_proof + ",p=" + base64_encode(as_view(proof));
}

bool ScramClient::verify_server_final(std::string_view server_final, std::string& error) const {
  HOPCOST_CHECK(!expected_server_signature_.empty());  // client_final came first
  std::string_view rest = server_final;
  const auto a = take_attribute(rest);
  if (a && a->name == 'e') {
    error = fmt::format("SCRAM server-final reports an error: {}", a->value);
    return false;
  }
  if (!a || a->name != 'v') {
    error = fmt::format("malformed SCRAM server-final message '{}'", server_final);
    return false;
  }
  const auto signature = base64_decode(a->value);
  if (!signature || signature->size() != expected_server_signature_.size() ||
      CRYPTO_memcmp(signature->data(), expected_server_signature_.data(), signature->size()) != 0) {
    error = "SCRAM server signature does not match: the server did not prove it knows the password";
    return false;
  }
  return true;
}

}  // namespace hopcost::pg
