// PostgreSQL's frontend/backend protocol (pg/protocol.hpp): the encoders byte for byte
// against hand-written bytes, the decoder's framing under every chunking of the same
// backend bytes, lengths out of bounds refused, and each backend message's parser.
#include <catch2/catch.hpp>

#include <random>

#include "pg/protocol.hpp"

using namespace hopcost::pg;
using namespace std::string_literals;

namespace {

// What a decoder yields from `chunks` fed one after another, as (type, payload) pairs.
struct Decoded {
  std::vector<std::pair<char, std::string>> messages;
  bool error = false;
  size_t left = 0;
};
Decoded decode(const std::vector<std::string>& chunks) {
  MessageDecoder d;
  Decoded out;
  for (const auto& c : chunks) {
    d.feed(c);
    BackendMessage m;
    MessageDecoder::Status s;
    while ((s = d.next(m)) == MessageDecoder::Status::message) out.messages.emplace_back(m.type, std::string(m.payload));
    if (s == MessageDecoder::Status::error) out.error = true;
  }
  out.left = d.buffered();
  return out;
}

// What a PostgreSQL 15 backend sends once a client is authenticated and then runs
// `SELECT id, payload FROM t` (two rows, the second's payload NULL), written out by
// hand from the protocol's message formats (kCaptured, below, is a real server's).
const std::string kBackend =
    // AuthenticationOk
    "R\x00\x00\x00\x08\x00\x00\x00\x00"s +
    // ParameterStatus server_version=15.18
    "S\x00\x00\x00\x19server_version\x00" "15.18\x00"s +
    // BackendKeyData pid 4660 (0x1234), key 0x01020304
    "K\x00\x00\x00\x0c\x00\x00\x12\x34\x01\x02\x03\x04"s +
    // ReadyForQuery idle
    "Z\x00\x00\x00\x05I"s +
    // RowDescription: 2 fields, "id" int4 (oid 23, size 4) and "payload" text (oid 25, size -1)
    "T\x00\x00\x00\x35\x00\x02"s +
    "id\x00\x00\x00\x40\x00\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff\xff\xff\x00\x00"s +
    "payload\x00\x00\x00\x40\x00\x00\x02\x00\x00\x00\x19\xff\xff\xff\xff\xff\xff\x00\x00"s +
    // DataRow ("1", "abc")
    "D\x00\x00\x00\x12\x00\x02\x00\x00\x00\x01" "1\x00\x00\x00\x03" "abc"s +
    // DataRow ("2", NULL)
    "D\x00\x00\x00\x0f\x00\x02\x00\x00\x00\x01" "2\xff\xff\xff\xff"s +
    // CommandComplete "SELECT 2"
    "C\x00\x00\x00\x0dSELECT 2\x00"s +
    // ReadyForQuery idle
    "Z\x00\x00\x00\x05I"s;

// Captured from PostgreSQL 15.18 (Debian 15.18-0+deb12u1) on this machine, as psql
// received it over TCP without TLS: what follows the SASLFinal (AuthenticationOk, 13
// ParameterStatus, BackendKeyData, ReadyForQuery), then the answer to
// `select id, left(payload, 3) as payload from hopcost_rows where id in (1, 11) order by id`
// (row 11's payload NULL).
const std::string kCaptured =
    "\x52\x00\x00\x00\x08\x00\x00\x00\x00\x53\x00\x00\x00\x1d\x61\x70\x70\x6c\x69\x63"
    "\x61\x74\x69\x6f\x6e\x5f\x6e\x61\x6d\x65\x00\x68\x6f\x70\x63\x6f\x73\x74\x00\x53"
    "\x00\x00\x00\x19\x63\x6c\x69\x65\x6e\x74\x5f\x65\x6e\x63\x6f\x64\x69\x6e\x67\x00"
    "\x55\x54\x46\x38\x00\x53\x00\x00\x00\x17\x44\x61\x74\x65\x53\x74\x79\x6c\x65\x00"
    "\x49\x53\x4f\x2c\x20\x4d\x44\x59\x00\x53\x00\x00\x00\x26\x64\x65\x66\x61\x75\x6c"
    "\x74\x5f\x74\x72\x61\x6e\x73\x61\x63\x74\x69\x6f\x6e\x5f\x72\x65\x61\x64\x5f\x6f"
    "\x6e\x6c\x79\x00\x6f\x66\x66\x00\x53\x00\x00\x00\x17\x69\x6e\x5f\x68\x6f\x74\x5f"
    "\x73\x74\x61\x6e\x64\x62\x79\x00\x6f\x66\x66\x00\x53\x00\x00\x00\x19\x69\x6e\x74"
    "\x65\x67\x65\x72\x5f\x64\x61\x74\x65\x74\x69\x6d\x65\x73\x00\x6f\x6e\x00\x53\x00"
    "\x00\x00\x1b\x49\x6e\x74\x65\x72\x76\x61\x6c\x53\x74\x79\x6c\x65\x00\x70\x6f\x73"
    "\x74\x67\x72\x65\x73\x00\x53\x00\x00\x00\x14\x69\x73\x5f\x73\x75\x70\x65\x72\x75"
    "\x73\x65\x72\x00\x6f\x6e\x00\x53\x00\x00\x00\x19\x73\x65\x72\x76\x65\x72\x5f\x65"
    "\x6e\x63\x6f\x64\x69\x6e\x67\x00\x55\x54\x46\x38\x00\x53\x00\x00\x00\x32\x73\x65"
    "\x72\x76\x65\x72\x5f\x76\x65\x72\x73\x69\x6f\x6e\x00\x31\x35\x2e\x31\x38\x20\x28"
    "\x44\x65\x62\x69\x61\x6e\x20\x31\x35\x2e\x31\x38\x2d\x30\x2b\x64\x65\x62\x31\x32"
    "\x75\x31\x29\x00\x53\x00\x00\x00\x22\x73\x65\x73\x73\x69\x6f\x6e\x5f\x61\x75\x74"
    "\x68\x6f\x72\x69\x7a\x61\x74\x69\x6f\x6e\x00\x68\x6f\x70\x63\x6f\x73\x74\x00\x53"
    "\x00\x00\x00\x23\x73\x74\x61\x6e\x64\x61\x72\x64\x5f\x63\x6f\x6e\x66\x6f\x72\x6d"
    "\x69\x6e\x67\x5f\x73\x74\x72\x69\x6e\x67\x73\x00\x6f\x6e\x00\x53\x00\x00\x00\x15"
    "\x54\x69\x6d\x65\x5a\x6f\x6e\x65\x00\x45\x74\x63\x2f\x55\x54\x43\x00\x4b\x00\x00"
    "\x00\x0c\x00\x00\x21\x2b\xc5\x4b\xe8\xf9\x5a\x00\x00\x00\x05\x49\x54\x00\x00\x00"
    "\x35\x00\x02\x69\x64\x00\x00\x00\x40\x00\x00\x01\x00\x00\x00\x17\x00\x04\xff\xff"
    "\xff\xff\x00\x00\x70\x61\x79\x6c\x6f\x61\x64\x00\x00\x00\x00\x00\x00\x00\x00\x00"
    "\x00\x19\xff\xff\xff\xff\xff\xff\x00\x00\x44\x00\x00\x00\x12\x00\x02\x00\x00\x00"
    "\x01\x31\x00\x00\x00\x03\x78\x78\x78\x44\x00\x00\x00\x10\x00\x02\x00\x00\x00\x02"
    "\x31\x31\xff\xff\xff\xff\x43\x00\x00\x00\x0d\x53\x45\x4c\x45\x43\x54\x20\x32\x00"
    "\x5a\x00\x00\x00\x05\x49"s;

}  // namespace

TEST_CASE("pg protocol: the frontend's messages are byte-exact") {
  CHECK(encode_ssl_request() == "\x00\x00\x00\x08\x04\xd2\x16\x2f"s);
  CHECK(encode_startup("app", "bench") ==
        "\x00\x00\x00\x3a\x00\x03\x00\x00"s + "user\x00" "app\x00" "database\x00" "bench\x00"s +
            "application_name\x00" "hopcost\x00\x00"s);
  CHECK(encode_query("SELECT 1") == "Q\x00\x00\x00\x0dSELECT 1\x00"s);
  CHECK(encode_terminate() == "X\x00\x00\x00\x04"s);
  CHECK(encode_sasl_initial_response("SCRAM-SHA-256", "n,,n=,r=abc") ==
        "p\x00\x00\x00\x21SCRAM-SHA-256\x00\x00\x00\x00\x0bn,,n=,r=abc"s);
  CHECK(encode_sasl_response("c=biws") == "p\x00\x00\x00\x0a" "c=biws"s);
}

TEST_CASE("pg protocol: the decoder yields the same messages from the same backend bytes however they are split") {
  const Decoded whole = decode({kBackend});
  REQUIRE_FALSE(whole.error);
  CHECK(whole.left == 0);
  REQUIRE(whole.messages.size() == 9);
  std::string types;
  for (const auto& [t, p] : whole.messages) types += t;
  CHECK(types == "RSKZTDDCZ");
  CHECK(whole.messages[7].second == "SELECT 2\0"s);

  std::vector<std::string> bytewise;
  for (char c : kBackend) bytewise.emplace_back(1, c);
  CHECK(decode(bytewise).messages == whole.messages);

  std::mt19937 random(13);
  for (int round = 0; round < 200; ++round) {
    std::vector<std::string> chunks;
    for (size_t at = 0; at < kBackend.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(0, 40)(random);  // empty chunks too
      chunks.push_back(kBackend.substr(at, n));
      at += n;
    }
    const Decoded split = decode(chunks);
    CHECK_FALSE(split.error);
    CHECK(split.left == 0);
    CHECK(split.messages == whole.messages);
  }
}

TEST_CASE("pg protocol: the decoder waits for a whole message and keeps a partial one") {
  const Decoded partial = decode({kBackend.substr(0, 12)});  // AuthenticationOk and 3 bytes of the next
  CHECK(partial.messages.size() == 1);
  CHECK(partial.left == 3);
  CHECK_FALSE(partial.error);
}

TEST_CASE("pg protocol: a backend length below 4 or above the cap is a protocol error, for good") {
  for (const auto& bad : {"Z\x00\x00\x00\x03"s, "Z\x00\x00\x00\x00"s, "D\xff\xff\xff\xff"s, "D\x04\x00\x00\x01"s}) {
    MessageDecoder d;
    d.feed(bad + "Z\x00\x00\x00\x05I"s);
    BackendMessage m;
    CHECK(d.next(m) == MessageDecoder::Status::error);
    CHECK_THAT(d.error(), Catch::Contains("length"));
    CHECK(d.next(m) == MessageDecoder::Status::error);  // stays broken
  }
  // At the cap exactly is accepted (and waited for); a byte above is not.
  MessageDecoder capped(100);
  capped.feed("D\x00\x00\x00\x64"s);
  BackendMessage m;
  CHECK(capped.next(m) == MessageDecoder::Status::need_more);
  MessageDecoder over(100);
  over.feed("D\x00\x00\x00\x65"s);
  CHECK(over.next(m) == MessageDecoder::Status::error);
}

TEST_CASE("pg protocol: Authentication requests are parsed, and the methods hopcost does not speak are named") {
  auto ok = parse_authentication("\x00\x00\x00\x00"s);
  REQUIRE(ok);
  CHECK(ok->code == 0);

  auto sasl = parse_authentication("\x00\x00\x00\x0a" "SCRAM-SHA-256-PLUS\x00" "SCRAM-SHA-256\x00\x00"s);
  REQUIRE(sasl);
  CHECK(sasl->code == static_cast<int32_t>(AuthCode::sasl));
  CHECK(sasl->mechanisms == std::vector<std::string>{"SCRAM-SHA-256-PLUS", "SCRAM-SHA-256"});
  CHECK_FALSE(parse_authentication("\x00\x00\x00\x0a" "SCRAM-SHA-256\x00"s));  // list not ended

  auto cont = parse_authentication("\x00\x00\x00\x0br=abc,s=xyz,i=4096"s);
  REQUIRE(cont);
  CHECK(cont->code == static_cast<int32_t>(AuthCode::sasl_continue));
  CHECK(cont->data == "r=abc,s=xyz,i=4096");
  auto final = parse_authentication("\x00\x00\x00\x0cv=sig"s);
  REQUIRE(final);
  CHECK(final->data == "v=sig");

  auto md5 = parse_authentication("\x00\x00\x00\x05\x01\x02\x03\x04"s);
  REQUIRE(md5);
  CHECK(auth_method_name(md5->code) == "md5");
  CHECK_FALSE(parse_authentication("\x00\x00\x00\x05\x01\x02"s));  // salt cut short
  CHECK(auth_method_name(3) == "password (cleartext)");
  CHECK(auth_method_name(7) == "gss");
  CHECK(auth_method_name(99) == "authentication request 99");
  CHECK_FALSE(parse_authentication("\x00\x00"s));
  CHECK_FALSE(parse_authentication("\x00\x00\x00\x00\x00"s));  // Ok with trailing bytes
}

TEST_CASE("pg protocol: ParameterStatus, BackendKeyData and ReadyForQuery are parsed") {
  auto p = parse_parameter_status("server_version\x00" "15.18\x00"s);
  REQUIRE(p);
  CHECK(p->name == "server_version");
  CHECK(p->value == "15.18");
  CHECK_FALSE(parse_parameter_status("server_version\x00" "15.18"s));

  auto k = parse_backend_key_data("\x00\x00\x12\x34\xff\xff\xff\xfe"s);
  REQUIRE(k);
  CHECK(k->process_id == 0x1234);
  CHECK(k->secret_key == -2);
  CHECK_FALSE(parse_backend_key_data("\x00\x00\x12\x34"s));

  CHECK(parse_ready_for_query("I") == 'I');
  CHECK(parse_ready_for_query("T") == 'T');
  CHECK(parse_ready_for_query("E") == 'E');
  CHECK_FALSE(parse_ready_for_query("X"));
  CHECK_FALSE(parse_ready_for_query("II"));
}

TEST_CASE("pg protocol: RowDescription, DataRow and CommandComplete are parsed, NULL apart from empty") {
  const Decoded d = decode({kBackend});
  auto fields = parse_row_description(d.messages[4].second);
  REQUIRE(fields);
  REQUIRE(fields->size() == 2);
  CHECK((*fields)[0].name == "id");
  CHECK((*fields)[0].type_oid == 23);
  CHECK((*fields)[0].type_size == 4);
  CHECK((*fields)[0].table_oid == 0x4000);
  CHECK((*fields)[0].column == 1);
  CHECK((*fields)[1].name == "payload");
  CHECK((*fields)[1].type_oid == 25);
  CHECK((*fields)[1].type_size == -1);
  CHECK((*fields)[1].type_modifier == -1);
  CHECK_FALSE(parse_row_description(d.messages[4].second.substr(0, 20)));

  auto row = parse_data_row(d.messages[5].second);
  REQUIRE(row);
  REQUIRE(row->size() == 2);
  CHECK((*row)[0] == "1");
  CHECK((*row)[1] == "abc");
  auto null_row = parse_data_row(d.messages[6].second);
  REQUIRE(null_row);
  CHECK((*null_row)[1] == std::nullopt);
  auto empty = parse_data_row("\x00\x01\x00\x00\x00\x00"s);
  REQUIRE(empty);
  CHECK((*empty)[0] == "");  // an empty string is not NULL
  CHECK_FALSE(parse_data_row("\x00\x01\x00\x00\x00\x05" "abc"s));      // value cut short
  CHECK_FALSE(parse_data_row("\x00\x01\xff\xff\xff\xfe"s));            // length -2
  CHECK_FALSE(parse_data_row("\x00\x01\x00\x00\x00\x01" "ab"s));       // trailing byte

  CHECK(parse_command_complete("SELECT 2\x00"s) == "SELECT 2");
  CHECK_FALSE(parse_command_complete("SELECT 2"));
}

TEST_CASE("pg protocol: ErrorResponse and NoticeResponse fields: severity, SQLSTATE, message, detail") {
  // As PostgreSQL 15 sends a wrong password (fields S, V, C, M, F, L, R).
  const std::string wrong_password = "SFATAL\x00VFATAL\x00" "C28P01\x00"
                                     "Mpassword authentication failed for user \"app\"\x00"
                                     "Fauth.c\x00L330\x00Rauth_failed\x00\x00"s;
  auto e = parse_server_message(wrong_password);
  REQUIRE(e);
  CHECK(e->severity == "FATAL");
  CHECK(e->code == "28P01");
  CHECK(e->message == "password authentication failed for user \"app\"");
  CHECK(e->detail.empty());
  CHECK(to_string(*e) == "FATAL 28P01: password authentication failed for user \"app\"");

  // A localized severity gives way to the non-localized one, wherever it comes.
  auto n = parse_server_message("VNOTICE\x00SHINWEIS\x00" "C00000\x00Mhi\x00" "Dmore\x00\x00"s);
  REQUIRE(n);
  CHECK(n->severity == "NOTICE");
  CHECK(n->detail == "more");
  CHECK(to_string(*n) == "NOTICE 00000: hi - more");
  auto old = parse_server_message("SERROR\x00Mx\x00\x00"s);
  REQUIRE(old);
  CHECK(old->severity == "ERROR");

  CHECK_FALSE(parse_server_message("SFATAL\x00"s));          // not ended
  CHECK_FALSE(parse_server_message("SFATAL"s));              // field not ended
  CHECK_FALSE(parse_server_message("SFATAL\x00\x00x"s));     // bytes after the end
}

TEST_CASE("pg protocol: the bytes a real PostgreSQL 15 sent are framed and parsed the same in every chunking") {
  const Decoded whole = decode({kCaptured});
  REQUIRE_FALSE(whole.error);
  CHECK(whole.left == 0);
  std::string types;
  for (const auto& [t, p] : whole.messages) types += t;
  CHECK(types == "RSSSSSSSSSSSSSKZTDDCZ");
  std::vector<std::string> bytewise;
  for (char c : kCaptured) bytewise.emplace_back(1, c);
  CHECK(decode(bytewise).messages == whole.messages);
  std::mt19937 random(15);
  for (int round = 0; round < 100; ++round) {
    std::vector<std::string> chunks;
    for (size_t at = 0; at < kCaptured.size();) {
      const size_t n = std::uniform_int_distribution<size_t>(1, 64)(random);
      chunks.push_back(kCaptured.substr(at, n));
      at += n;
    }
    CHECK(decode(chunks).messages == whole.messages);
  }

  CHECK(parse_authentication(whole.messages[0].second)->code == 0);
  bool version = false;
  for (size_t i = 1; i <= 13; ++i) {
    const auto p = parse_parameter_status(whole.messages[i].second);
    REQUIRE(p);
    if (p->name == "server_version") version = p->value.starts_with("15.");
  }
  CHECK(version);
  CHECK(parse_backend_key_data(whole.messages[14].second));
  CHECK(parse_ready_for_query(whole.messages[15].second) == 'I');
  const auto fields = parse_row_description(whole.messages[16].second);
  REQUIRE(fields);
  REQUIRE(fields->size() == 2);
  CHECK((*fields)[0].name == "id");
  CHECK((*fields)[0].type_oid == 23);  // int4
  CHECK((*fields)[1].name == "payload");
  CHECK((*fields)[1].type_oid == 25);  // text
  const auto first = parse_data_row(whole.messages[17].second);
  const auto second = parse_data_row(whole.messages[18].second);
  REQUIRE(first);
  REQUIRE(second);
  CHECK(*first == std::vector<std::optional<std::string_view>>{"1", "xxx"});
  CHECK(*second == std::vector<std::optional<std::string_view>>{"11", std::nullopt});
  CHECK(parse_command_complete(whole.messages[19].second) == "SELECT 2");
}
