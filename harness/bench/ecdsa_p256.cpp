// ECDSA P-256, the signature of every hopcost certificate (tls/pki.hpp). A full handshake
// has the server sign once (CertificateVerify, or ServerKeyExchange in TLS 1.2) and the
// client verify twice (that signature, and the CA's signature on the leaf). Measured on a
// 32-byte digest: hashing the transcript is excluded, as it is tiny next to the curve
// arithmetic. This BoringSSL build has no P-256 assembly (FLOORS.md, "Traps").
#include <benchmark/benchmark.h>
#include <openssl/ec_key.h>
#include <openssl/ecdsa.h>
#include <openssl/nid.h>
#include <openssl/sha.h>

#include <cstdint>
#include <vector>

#include "tls/boringssl.hpp"

namespace hopcost {
namespace {

enum class EcdsaOp { sign, verify };

void BM_EcdsaP256(benchmark::State& state, EcdsaOp op) {
  bssl::UniquePtr<EC_KEY> key(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!key || !EC_KEY_generate_key(key.get())) {
    state.SkipWithError("cannot make a P-256 key");
    return;
  }
  uint8_t digest[SHA256_DIGEST_LENGTH];
  static constexpr char kMessage[] = "hopcost: the transcript hash a CertificateVerify signs";
  SHA256(reinterpret_cast<const uint8_t*>(kMessage), sizeof kMessage - 1, digest);
  std::vector<uint8_t> signature(ECDSA_size(key.get()));
  unsigned signature_len = 0;
  if (!ECDSA_sign(0, digest, sizeof digest, signature.data(), &signature_len, key.get())) {
    state.SkipWithError("ECDSA_sign failed");
    return;
  }
  if (op == EcdsaOp::sign) {
    for (auto _ : state) {
      unsigned len = 0;
      if (!ECDSA_sign(0, digest, sizeof digest, signature.data(), &len, key.get())) {
        state.SkipWithError("ECDSA_sign failed");
        break;
      }
      benchmark::DoNotOptimize(signature.data());
    }
  } else {
    for (auto _ : state) {
      if (ECDSA_verify(0, digest, sizeof digest, signature.data(), signature_len, key.get()) != 1) {
        state.SkipWithError("ECDSA_verify rejected a good signature");
        break;
      }
    }
  }
}

BENCHMARK_CAPTURE(BM_EcdsaP256, sign, EcdsaOp::sign)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_EcdsaP256, verify, EcdsaOp::verify)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hopcost
