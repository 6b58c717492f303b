#include "tls/session_store.hpp"

#include <mutex>

#include "tls/boringssl.hpp"
#include "util/check.hpp"

namespace hopcost {
namespace {

struct Store {
  std::mutex mutex;
  bssl::UniquePtr<SSL_SESSION> session;
};

void free_store(void* /*parent*/, void* ptr, CRYPTO_EX_DATA* /*ad*/, int /*index*/, long /*argl*/, void* /*argp*/) {
  delete static_cast<Store*>(ptr);
}

int store_index() {
  static const int index = SSL_CTX_get_ex_new_index(0, nullptr, nullptr, nullptr, free_store);
  HOPCOST_CHECK(index >= 0);
  return index;
}

Store* store_of(const SSL_CTX* ctx) { return static_cast<Store*>(SSL_CTX_get_ex_data(ctx, store_index())); }

int keep_newest(SSL* ssl, SSL_SESSION* session) {
  Store* store = store_of(SSL_get_SSL_CTX(ssl));
  if (store == nullptr) return 0;
  std::lock_guard lock(store->mutex);
  store->session.reset(session);  // takes the reference the callback was given
  return 1;
}

}  // namespace

void enable_session_store(SSL_CTX* ctx) {
  HOPCOST_CHECK(store_of(ctx) == nullptr);
  HOPCOST_CHECK(SSL_CTX_set_ex_data(ctx, store_index(), new Store));
  SSL_CTX_set_session_cache_mode(ctx, SSL_SESS_CACHE_CLIENT);
  SSL_CTX_sess_set_new_cb(ctx, keep_newest);
}

bool offer_stored_session(SSL* ssl) {
  Store* store = store_of(SSL_get_SSL_CTX(ssl));
  if (store == nullptr) return false;
  std::lock_guard lock(store->mutex);
  if (!store->session) return false;
  HOPCOST_CHECK(SSL_set_session(ssl, store->session.get()));
  return true;
}

}  // namespace hopcost
