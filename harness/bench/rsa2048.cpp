// RSA-2048 signatures, for comparison with ECDSA P-256: what a server with an RSA
// certificate pays per full handshake (sign, the private-key operation) and what its
// clients pay (verify, cheap with e = 65537). RSA-PSS with SHA-256, as TLS 1.3's
// rsa_pss_rsae_sha256 does; PKCS#1 v1.5 costs the same modular exponentiation.
#include <benchmark/benchmark.h>
#include <openssl/bn.h>
#include <openssl/digest.h>
#include <openssl/rsa.h>
#include <openssl/sha.h>

#include <cstdint>
#include <vector>

#include "tls/boringssl.hpp"

namespace hopcost {
namespace {

// Key generation takes tens to hundreds of milliseconds and Google Benchmark calls the
// function several times while it settles the iteration count: make the key once.
RSA* rsa2048_key() {
  static RSA* key = [] {
    bssl::UniquePtr<RSA> rsa(RSA_new());
    bssl::UniquePtr<BIGNUM> e(BN_new());
    if (!rsa || !e || !BN_set_word(e.get(), RSA_F4) ||
        !RSA_generate_key_ex(rsa.get(), 2048, e.get(), nullptr))
      return static_cast<RSA*>(nullptr);
    return rsa.release();
  }();
  return key;
}

enum class RsaOp { sign, verify };

void BM_Rsa2048(benchmark::State& state, RsaOp op) {
  RSA* key = rsa2048_key();
  if (!key) {
    state.SkipWithError("cannot make an RSA-2048 key");
    return;
  }
  uint8_t digest[SHA256_DIGEST_LENGTH];
  static constexpr char kMessage[] = "hopcost: the transcript hash a CertificateVerify signs";
  SHA256(reinterpret_cast<const uint8_t*>(kMessage), sizeof kMessage - 1, digest);
  std::vector<uint8_t> signature(RSA_size(key));
  size_t signature_len = 0;
  auto sign = [&] {
    return RSA_sign_pss_mgf1(key, &signature_len, signature.data(), signature.size(), digest,
                             sizeof digest, EVP_sha256(), EVP_sha256(), -1) == 1;
  };
  if (!sign()) {
    state.SkipWithError("RSA_sign_pss_mgf1 failed");
    return;
  }
  if (op == RsaOp::sign) {
    for (auto _ : state) {
      if (!sign()) {
        state.SkipWithError("RSA_sign_pss_mgf1 failed");
        break;
      }
      benchmark::DoNotOptimize(signature.data());
    }
  } else {
    for (auto _ : state) {
      if (RSA_verify_pss_mgf1(key, digest, sizeof digest, EVP_sha256(), EVP_sha256(), -1,
                              signature.data(), signature_len) != 1) {
        state.SkipWithError("RSA_verify_pss_mgf1 rejected a good signature");
        break;
      }
    }
  }
}

BENCHMARK_CAPTURE(BM_Rsa2048, sign, RsaOp::sign)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_Rsa2048, verify, RsaOp::verify)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hopcost
