// The slice of Asio the engine uses, in one place. Asio is compiled once
// (asio_impl.cpp, BOOST_ASIO_SEPARATE_COMPILATION) and this header is precompiled; keep
// it out of headers that scenario, metrics and report code include.
#pragma once

#include <boost/asio/as_tuple.hpp>
#include <boost/asio/awaitable.hpp>
#include <boost/asio/basic_socket_acceptor.hpp>
#include <boost/asio/co_spawn.hpp>
#include <boost/asio/detached.hpp>
#include <boost/asio/generic/stream_protocol.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/steady_timer.hpp>
#include <boost/asio/use_awaitable.hpp>
#include <boost/asio/write.hpp>

namespace hopcost {

namespace asio = boost::asio;
using error_code = boost::system::error_code;
using Socket = asio::generic::stream_protocol::socket;
using Acceptor = asio::basic_socket_acceptor<asio::generic::stream_protocol>;

// Completion token for operations whose failure is expected: returns (error, result)
// instead of throwing, so that failures are counted, not unwound.
inline constexpr auto nothrow = asio::as_tuple(asio::use_awaitable);

}  // namespace hopcost
