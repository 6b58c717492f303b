// X25519, the key exchange every TLS 1.3 handshake hopcost runs does (and TLS 1.2's ECDHE,
// since make_server_ctx prefers X25519). Each side of a handshake does one keygen (its key
// share) and one derive (the shared secret from the peer's share), so a handshake costs at
// least 2 keygens + 2 derives of CPU, client and server together.
#include <benchmark/benchmark.h>
#include <openssl/curve25519.h>

#include <cstdint>

namespace hopcost {
namespace {

enum class X25519Op { keygen, derive };

void BM_X25519(benchmark::State& state, X25519Op op) {
  uint8_t public_key[32], private_key[32], peer_public[32], peer_private[32], shared[32];
  X25519_keypair(peer_public, peer_private);
  X25519_keypair(public_key, private_key);
  if (op == X25519Op::keygen) {
    for (auto _ : state) {
      X25519_keypair(public_key, private_key);
      benchmark::DoNotOptimize(public_key);
    }
  } else {
    for (auto _ : state) {
      if (!X25519(shared, private_key, peer_public)) {
        state.SkipWithError("X25519 failed (low-order point)");
        break;
      }
      benchmark::DoNotOptimize(shared);
    }
  }
}

BENCHMARK_CAPTURE(BM_X25519, keygen, X25519Op::keygen)->Unit(benchmark::kMicrosecond);
BENCHMARK_CAPTURE(BM_X25519, derive, X25519Op::derive)->Unit(benchmark::kMicrosecond);

}  // namespace
}  // namespace hopcost
