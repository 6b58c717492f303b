// The record layer's cost: sealing one TLS record's payload with the AEADs hopcost's TLS
// links can negotiate (AES-128-GCM is what make_*_ctx ask for; ChaCha20-Poly1305 is what
// a TLS 1.3 peer without AES instructions would prefer). 1 KiB is a small HTTP exchange,
// 16 KiB a full record. Each seal uses a new nonce and a 5-byte additional data, as a
// TLS 1.3 record does; framing the record and the write system call are excluded.
#include <benchmark/benchmark.h>
#include <openssl/aead.h>

#include <cstdint>
#include <cstring>
#include <vector>

#include "tls/boringssl.hpp"

namespace hopcost {
namespace {

enum class Aead { aes_128_gcm, chacha20_poly1305 };

const EVP_AEAD* evp_aead(Aead a) {
  return a == Aead::aes_128_gcm ? EVP_aead_aes_128_gcm() : EVP_aead_chacha20_poly1305();
}

void BM_AeadSeal(benchmark::State& state, Aead which, size_t bytes) {
  const EVP_AEAD* aead = evp_aead(which);
  std::vector<uint8_t> key(EVP_AEAD_key_length(aead), 0x5a);
  bssl::ScopedEVP_AEAD_CTX ctx;
  if (!EVP_AEAD_CTX_init(ctx.get(), aead, key.data(), key.size(), EVP_AEAD_DEFAULT_TAG_LENGTH,
                         nullptr)) {
    state.SkipWithError("EVP_AEAD_CTX_init failed");
    return;
  }
  std::vector<uint8_t> nonce(EVP_AEAD_nonce_length(aead), 0);
  const uint8_t additional_data[5] = {0x17, 0x03, 0x03, 0x00, 0x00};
  std::vector<uint8_t> in(bytes, 0xab);
  std::vector<uint8_t> out(bytes + EVP_AEAD_max_overhead(aead));
  uint64_t sequence = 0;
  for (auto _ : state) {
    // A TLS record's nonce is its sequence number mixed into a fixed IV: never reused.
    ++sequence;
    std::memcpy(nonce.data() + nonce.size() - sizeof sequence, &sequence, sizeof sequence);
    size_t out_len = 0;
    if (!EVP_AEAD_CTX_seal(ctx.get(), out.data(), &out_len, out.size(), nonce.data(), nonce.size(),
                           in.data(), in.size(), additional_data, sizeof additional_data)) {
      state.SkipWithError("EVP_AEAD_CTX_seal failed");
      break;
    }
    benchmark::DoNotOptimize(out.data());
    benchmark::ClobberMemory();
  }
  state.SetBytesProcessed(static_cast<int64_t>(state.iterations()) * static_cast<int64_t>(bytes));
}

BENCHMARK_CAPTURE(BM_AeadSeal, aes_128_gcm_1KiB, Aead::aes_128_gcm, 1024)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AeadSeal, aes_128_gcm_16KiB, Aead::aes_128_gcm, 16 * 1024)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AeadSeal, chacha20_poly1305_1KiB, Aead::chacha20_poly1305, 1024)
    ->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_AeadSeal, chacha20_poly1305_16KiB, Aead::chacha20_poly1305, 16 * 1024)
    ->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hopcost
