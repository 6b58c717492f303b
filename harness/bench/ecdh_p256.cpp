// ECDH over P-256: the key exchange a peer falls back to when it does not offer X25519
// (make_server_ctx lists "X25519:P-256"). keygen is the ephemeral key share, derive the
// scalar multiplication of the peer's point (ECDH_compute_key, no KDF), as in a
// handshake's key_share / ServerKeyExchange. This BoringSSL build has no P-256 assembly
// (FLOORS.md): expect it several times slower than X25519.
#include <benchmark/benchmark.h>
#include <openssl/ec.h>
#include <openssl/ec_key.h>
#include <openssl/ecdh.h>
#include <openssl/nid.h>

#include <cstdint>

#include "tls/boringssl.hpp"

namespace hopcost {
namespace {

enum class EcdhOp { keygen, derive };

void BM_EcdhP256(benchmark::State& state, EcdhOp op) {
  bssl::UniquePtr<EC_KEY> key(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  bssl::UniquePtr<EC_KEY> peer(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
  if (!key || !peer || !EC_KEY_generate_key(key.get()) || !EC_KEY_generate_key(peer.get())) {
    state.SkipWithError("cannot make P-256 keys");
    return;
  }
  if (op == EcdhOp::keygen) {
    for (auto _ : state) {
      // A fresh EC_KEY each time, as each handshake makes its own ephemeral key.
      bssl::UniquePtr<EC_KEY> ephemeral(EC_KEY_new_by_curve_name(NID_X9_62_prime256v1));
      if (!ephemeral || !EC_KEY_generate_key(ephemeral.get())) {
        state.SkipWithError("EC_KEY_generate_key failed");
        break;
      }
      benchmark::DoNotOptimize(ephemeral.get());
    }
  } else {
    const EC_POINT* peer_point = EC_KEY_get0_public_key(peer.get());
    uint8_t shared[32];
    for (auto _ : state) {
      if (ECDH_compute_key(shared, sizeof shared, peer_point, key.get(), nullptr) !=
          sizeof shared) {
        state.SkipWithError("ECDH_compute_key failed");
        break;
      }
      benchmark::DoNotOptimize(shared);
    }
  }
}

BENCHMARK_CAPTURE(BM_EcdhP256, keygen, EcdhOp::keygen)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_EcdhP256, derive, EcdhOp::derive)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hopcost
