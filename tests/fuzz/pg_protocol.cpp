// The PostgreSQL backend protocol as hopcost's client reads it (pg/protocol.cpp): the
// chunk-proof message decoder and every message parser, on a byte stream from the server
// in fuzzer-chosen chunks. Input: byte 0 the largest chunk (1 to 256 bytes), byte 1 the
// chunk sizes' seed, then the stream.
//
// Properties: the decoder yields the same messages whatever the chunking (fed whole, the
// stream gives the same sequence), each payload within the stream; once broken it stays
// broken; a message parser never reads past its payload (ASan) and its views point into
// it; ErrorResponse and NoticeResponse always print.
#include <string>
#include <vector>

#include "fuzz.hpp"
#include "pg/protocol.hpp"

using namespace hopcost;
using namespace hopcost::pg;

namespace {

struct Decoded {
  std::vector<std::pair<char, std::string>> messages;
  bool error = false;
};

// A small limit, so that the fuzzer reaches it: the real one (64 MiB) is the same code.
constexpr size_t kLimit = 1024;

void parse(const BackendMessage& m) {
  const std::string_view p = m.payload;
  auto inside = [&](std::string_view v) {
    FUZZ_CHECK(v.empty() || (v.data() >= p.data() && v.data() + v.size() <= p.data() + p.size()));
  };
  switch (m.type) {
    case 'R':
      if (const auto a = parse_authentication(p)) FUZZ_CHECK(!auth_method_name(a->code).empty());
      break;
    case 'S':
      (void)parse_parameter_status(p);
      break;
    case 'K':
      if (parse_backend_key_data(p)) FUZZ_CHECK(p.size() == 8);
      break;
    case 'Z':
      if (const auto s = parse_ready_for_query(p)) FUZZ_CHECK(*s == 'I' || *s == 'T' || *s == 'E');
      break;
    case 'T':
      if (const auto fields = parse_row_description(p)) FUZZ_CHECK(fields->size() <= p.size());
      break;
    case 'D':
      if (const auto row = parse_data_row(p))
        for (const auto& v : *row)
          if (v) inside(*v);
      break;
    case 'C':
      (void)parse_command_complete(p);
      break;
    case 'E':
    case 'N':
      if (const auto e = parse_server_message(p)) FUZZ_CHECK(!to_string(*e).empty());
      break;
    default:
      // Every parser takes any payload: what hopcost does with an unexpected type.
      (void)parse_authentication(p);
      (void)parse_row_description(p);
      (void)parse_data_row(p);
      (void)parse_server_message(p);
      break;
  }
}

// `max_chunk` 0: the whole stream in one feed.
Decoded decode(std::string_view stream, uint32_t max_chunk, uint32_t seed, bool check) {
  Decoded out;
  MessageDecoder decoder(kLimit);
  fuzz::Chunks chunks(seed, max_chunk);
  size_t fed = 0;
  while (true) {
    BackendMessage m;
    const auto status = decoder.next(m);
    if (status == MessageDecoder::Status::message) {
      FUZZ_CHECK(m.payload.size() <= kLimit);
      if (check) parse(m);
      out.messages.emplace_back(m.type, std::string(m.payload));
      continue;
    }
    if (status == MessageDecoder::Status::error) {
      FUZZ_CHECK(!decoder.error().empty());
      BackendMessage again;
      FUZZ_CHECK(decoder.next(again) == MessageDecoder::Status::error);  // it stays broken
      out.error = true;
      return out;
    }
    if (fed == stream.size()) {
      FUZZ_CHECK(decoder.buffered() <= kLimit);  // less than one whole message
      return out;
    }
    const size_t n = max_chunk == 0 ? stream.size() - fed : std::min(chunks.next(), stream.size() - fed);
    decoder.feed(stream.substr(fed, n));
    fed += n;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  fuzz::Header header(data, size);
  const uint32_t max_chunk = header.take(1) + 1;
  const uint32_t seed = header.take(1);
  const std::string_view stream = header.rest();
  const Decoded chunked = decode(stream, max_chunk, seed, true);
  const Decoded whole = decode(stream, 0, 0, false);  // fed at once
  FUZZ_CHECK(chunked.messages == whole.messages && chunked.error == whole.error);
  return 0;
}
