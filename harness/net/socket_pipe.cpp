// A socket as a byte pipe: every call is one system call, or Asio's own operation.
#include <netinet/in.h>
#include <netinet/tcp.h>

#include "net/byte_pipe.hpp"

namespace hopcost {
namespace {

class SocketPipe final : public BytePipe {
 public:
  explicit SocketPipe(Socket socket) : socket_(std::move(socket)) {
    socket_.non_blocking(true);  // for the synchronous reads and writes
  }

  asio::any_io_executor get_executor() override { return socket_.get_executor(); }

  size_t try_read(std::span<char> into, error_code& ec) override {
    return socket_.read_some(asio::buffer(into.data(), into.size()), ec);
  }

  // Not a coroutine: Asio's awaitable is returned as it is, without a frame of our own.
  asio::awaitable<std::tuple<error_code>> wait_readable() override {
    return socket_.async_wait(Socket::wait_read, nothrow);
  }

  asio::awaitable<std::tuple<error_code, size_t>> read_some(std::span<char> into) override {
    return socket_.async_read_some(asio::buffer(into.data(), into.size()), nothrow);
  }

  size_t try_write(std::span<const asio::const_buffer> buffers, error_code& ec) override {
    return socket_.write_some(buffers, ec);
  }

  asio::awaitable<std::tuple<error_code>> wait_writable() override {
    return socket_.async_wait(Socket::wait_write, nothrow);
  }

  void quickack() override {
    const int one = 1;
    ::setsockopt(socket_.native_handle(), IPPROTO_TCP, TCP_QUICKACK, &one, sizeof one);
  }

  void shutdown() override {
    error_code ignored;
    socket_.shutdown(Socket::shutdown_both, ignored);
    socket_.close(ignored);
  }

  void close() override {
    error_code ignored;
    socket_.close(ignored);
  }

 private:
  Socket socket_;
};

}  // namespace

std::unique_ptr<BytePipe> make_socket_pipe(Socket socket) {
  return std::make_unique<SocketPipe>(std::move(socket));
}

}  // namespace hopcost
