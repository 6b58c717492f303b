#include "topologies/http_probe.hpp"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include <fmt/format.h>

#include <cerrno>
#include <cstdlib>
#include <cstring>

#include "http/head.hpp"
#include "tls/boringssl.hpp"
#include <openssl/err.h>

namespace hopcost {
namespace {

using Clock = std::chrono::steady_clock;

int millis_left(Clock::time_point deadline) {
  const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - Clock::now()).count();
  return left > 0 ? static_cast<int>(left) : 0;
}

// Waits for `events` on `fd` until the deadline; false on timeout.
bool wait_for(int fd, short events, Clock::time_point deadline) {
  while (true) {
    pollfd p{fd, events, 0};
    const int n = ::poll(&p, 1, millis_left(deadline));
    if (n < 0 && errno == EINTR) continue;
    return n > 0;
  }
}

struct Fd {
  int fd = -1;
  ~Fd() {
    if (fd >= 0) ::close(fd);
  }
};

std::string ssl_error_text() {
  const uint32_t e = ERR_get_error();
  if (e == 0) return "TLS: connection closed during the handshake";
  char buf[256];
  ERR_error_string_n(e, buf, sizeof buf);
  ERR_clear_error();
  return std::string("TLS: ") + buf;
}

// Connects without blocking past the deadline; returns an error text, empty on success.
std::string connect_socket(const Endpoint& e, Fd& s, Clock::time_point deadline) {
  sockaddr_storage addr{};
  socklen_t len = 0;
  if (e.transport == Transport::tcp) {
    auto* in = reinterpret_cast<sockaddr_in*>(&addr);
    in->sin_family = AF_INET;
    in->sin_port = htons(e.port);
    if (::inet_pton(AF_INET, e.host.c_str(), &in->sin_addr) != 1) return "connect: not an IPv4 address: " + e.host;
    len = sizeof(sockaddr_in);
  } else {
    auto* un = reinterpret_cast<sockaddr_un*>(&addr);
    un->sun_family = AF_UNIX;
    if (e.path.size() >= sizeof un->sun_path) return "connect: socket path too long";
    std::memcpy(un->sun_path, e.path.c_str(), e.path.size() + 1);
    len = sizeof(sockaddr_un);
  }
  s.fd = ::socket(addr.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (s.fd < 0) return fmt::format("socket: {}", std::strerror(errno));
  if (e.transport == Transport::tcp) {
    const int one = 1;
    ::setsockopt(s.fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
  }
  if (::connect(s.fd, reinterpret_cast<sockaddr*>(&addr), len) == 0) return {};
  if (errno != EINPROGRESS && errno != EAGAIN) return fmt::format("connect: {}", std::strerror(errno));
  if (!wait_for(s.fd, POLLOUT, deadline)) return "connect: timed out";
  int err = 0;
  socklen_t elen = sizeof err;
  ::getsockopt(s.fd, SOL_SOCKET, SO_ERROR, &err, &elen);
  return err ? fmt::format("connect: {}", std::strerror(err)) : std::string{};
}

// Reads or writes through TLS or the plain socket, waiting as the operation needs.
class Channel {
 public:
  Channel(int fd, SSL* ssl) : fd_(fd), ssl_(ssl) {}

  // Bytes written, or an error text.
  std::string write_all(std::string_view data, Clock::time_point deadline) {
    while (!data.empty()) {
      ssize_t n;
      if (ssl_) {
        const int r = SSL_write(ssl_, data.data(), static_cast<int>(data.size()));
        if (r <= 0) {
          if (!wait_ssl(r, deadline)) return "write: timed out or failed";
          continue;
        }
        n = r;
      } else {
        n = ::send(fd_, data.data(), data.size(), MSG_NOSIGNAL);
        if (n < 0 && (errno == EAGAIN || errno == EINTR)) {
          if (!wait_for(fd_, POLLOUT, deadline)) return "write: timed out";
          continue;
        }
        if (n < 0) return fmt::format("write: {}", std::strerror(errno));
      }
      data.remove_prefix(static_cast<size_t>(n));
    }
    return {};
  }

  // Appends what arrives to `into`; false at end of stream, on an error or at the deadline.
  bool read_some(std::string& into, Clock::time_point deadline) {
    char buf[16384];
    while (true) {
      if (ssl_) {
        const int r = SSL_read(ssl_, buf, sizeof buf);
        if (r > 0) {
          into.append(buf, static_cast<size_t>(r));
          return true;
        }
        if (!wait_ssl(r, deadline)) return false;
      } else {
        const ssize_t n = ::recv(fd_, buf, sizeof buf, 0);
        if (n > 0) {
          into.append(buf, static_cast<size_t>(n));
          return true;
        }
        if (n == 0) return false;
        if (errno != EAGAIN && errno != EINTR) return false;
        if (!wait_for(fd_, POLLIN, deadline)) return false;
      }
    }
  }

  // After an SSL call returned `r`: waits for what it wants; false if it failed or timed out.
  bool wait_ssl(int r, Clock::time_point deadline) {
    switch (SSL_get_error(ssl_, r)) {
      case SSL_ERROR_WANT_READ:
        return wait_for(fd_, POLLIN, deadline);
      case SSL_ERROR_WANT_WRITE:
        return wait_for(fd_, POLLOUT, deadline);
      default:
        return false;
    }
  }

 private:
  int fd_;
  SSL* ssl_;
};

// Verification as usual, except that a certificate outside its validity dates passes
// (BoringSSL has no X509_V_FLAG_NO_CHECK_TIME); the chain and the name still must.
int ignore_validity_dates(int ok, X509_STORE_CTX* store) {
  if (ok) return 1;
  const int err = X509_STORE_CTX_get_error(store);
  return err == X509_V_ERR_CERT_HAS_EXPIRED || err == X509_V_ERR_CERT_NOT_YET_VALID ? 1 : 0;
}

}  // namespace

ProbeResult probe_http(const ProbeTarget& t, const std::string& request_id, std::chrono::milliseconds timeout) {
  const auto deadline = Clock::now() + timeout;
  ProbeResult r;
  Fd s;
  if (r.error = connect_socket(t.endpoint, s, deadline); !r.error.empty()) return r;

  bssl::UniquePtr<SSL_CTX> ctx;
  bssl::UniquePtr<SSL> ssl;
  if (t.tls) {
    ctx.reset(SSL_CTX_new(TLS_method()));
    SSL_CTX_set_min_proto_version(ctx.get(), TLS1_2_VERSION);
    SSL_CTX_set_max_proto_version(ctx.get(), TLS1_3_VERSION);
    if (!SSL_CTX_load_verify_locations(ctx.get(), t.ca.c_str(), nullptr)) {
      r.error = "TLS: cannot load the CA " + t.ca;
      return r;
    }
    SSL_CTX_set_verify(ctx.get(), SSL_VERIFY_PEER, ignore_validity_dates);
    if (!t.client_cert.empty() && (!SSL_CTX_use_certificate_chain_file(ctx.get(), t.client_cert.c_str()) ||
                                   !SSL_CTX_use_PrivateKey_file(ctx.get(), t.client_key.c_str(), SSL_FILETYPE_PEM))) {
      r.error = "TLS: cannot load the client identity " + t.client_cert;
      return r;
    }
    ssl.reset(SSL_new(ctx.get()));
    SSL_set_fd(ssl.get(), s.fd);
    SSL_set_tlsext_host_name(ssl.get(), t.server_name.c_str());
    X509_VERIFY_PARAM_set1_host(SSL_get0_param(ssl.get()), t.server_name.data(), t.server_name.size());
    Channel ch(s.fd, ssl.get());
    while (true) {
      const int h = SSL_connect(ssl.get());
      if (h == 1) break;
      const int err = SSL_get_error(ssl.get(), h);
      if (err != SSL_ERROR_WANT_READ && err != SSL_ERROR_WANT_WRITE) {
        const long verify = SSL_get_verify_result(ssl.get());
        r.error = verify != X509_V_OK ? std::string("TLS: ") + X509_verify_cert_error_string(verify) : ssl_error_text();
        return r;
      }
      if (!ch.wait_ssl(h, deadline)) {
        r.error = "TLS: handshake timed out";
        return r;
      }
    }
  }
  r.connected = true;
  Channel ch(s.fd, ssl.get());
  const std::string host = t.tls ? t.server_name : (t.endpoint.transport == Transport::tcp ? t.endpoint.host : "localhost");
  std::string request = fmt::format("GET / HTTP/1.1\r\nHost: {}\r\n", host);
  if (!t.request_id_header.empty()) request += fmt::format("{}: {}\r\n", t.request_id_header, request_id);
  request += "Connection: close\r\n\r\n";
  if (r.error = ch.write_all(request, deadline); !r.error.empty()) return r;

  std::string response;
  HttpHead head;
  while (true) {
    if (!ch.read_some(response, deadline)) {
      if (!r.answered) {
        r.error = response.empty() ? "read: no response" : "read: incomplete response head";
        r.closed_unanswered = response.empty() && Clock::now() < deadline;
      }
      return r;
    }
    if (!r.answered) {
      std::string why;
      const ParseResult p = parse_head(response, MessageType::response, head, &why);
      if (p == ParseResult::bad) {
        // A complete head hopcost's framing refuses (a chunked error page): the program
        // answered all the same; read to the end of the stream.
        if (response.rfind("HTTP/1.", 0) == 0 && response.size() > 12 && response.find("\r\n\r\n") != std::string::npos) {
          r.answered = true;
          r.status = std::atoi(response.c_str() + 9);
          head.head_bytes = response.size();
          head.content_length = UINT64_MAX / 2;
          continue;
        }
        r.error = "bad response: " + why;
        return r;
      }
      if (p == ParseResult::ok) {
        r.answered = true;
        r.status = head.status;
      }
    }
    if (r.answered && response.size() >= head.head_bytes + head.content_length) return r;
  }
}

}  // namespace hopcost
