// The part of PostgreSQL's frontend/backend protocol (version 3.0) that hopcost speaks as
// a client: pure encoders and parsers, no I/O (pg/client.cpp does the I/O). See
// docs/database.md, "How hopcost speaks PostgreSQL", for why and which subset.
//
// Framing: every backend message is a type byte, then a big-endian int32 length that
// counts itself and the payload but not the type byte. The frontend's first messages
// (SSLRequest, StartupMessage) have no type byte.
#pragma once

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace hopcost::pg {

inline constexpr int32_t kProtocolVersion3 = 196608;  // 3.0: major << 16 | minor
inline constexpr int32_t kSslRequestCode = 80877103;  // 1234 << 16 | 5679
// The longest backend message accepted: a DataRow of a few wide rows fits many times
// over; a length beyond it is read as a broken stream, not allocated.
inline constexpr size_t kMaxMessageLength = 64u << 20;

// --- Frontend messages, as bytes on the wire. Strings sent as C strings must not hold
// a NUL byte (a broken invariant: they come from hopcost's own configuration).
std::string encode_ssl_request();
// StartupMessage for protocol 3.0 with user, database and application_name=hopcost.
std::string encode_startup(std::string_view user, std::string_view database);
// SASLInitialResponse ('p'): the chosen mechanism and the client's first message.
std::string encode_sasl_initial_response(std::string_view mechanism, std::string_view data);
// SASLResponse ('p'): the client's next message.
std::string encode_sasl_response(std::string_view data);
// Query ('Q'): the simple query protocol.
std::string encode_query(std::string_view sql);
// Terminate ('X').
std::string encode_terminate();

// --- Backend framing.
struct BackendMessage {
  char type = 0;             // 'R', 'S', 'K', 'Z', 'T', 'D', 'C', 'E', 'N', ...
  std::string_view payload;  // after the length word
};

// Takes backend bytes in chunks of any size and yields whole messages. A message's
// payload is a view into the decoder's buffer, valid until the next feed().
class MessageDecoder {
 public:
  explicit MessageDecoder(size_t max_length = kMaxMessageLength) : max_length_(max_length) {}

  void feed(std::string_view bytes);

  enum class Status { message, need_more, error };
  // The next whole message into `out`; need_more when it has not all arrived yet; error
  // (with `error()` saying why) when the stream is broken: it stays broken.
  Status next(BackendMessage& out);

  const std::string& error() const { return error_; }
  size_t buffered() const { return buffer_.size() - start_; }

 private:
  size_t max_length_;
  std::string buffer_;
  size_t start_ = 0;  // where the next message begins in buffer_
  std::string error_;
};

// --- Backend message parsers. Each takes a payload (for its type byte) and returns
// nothing when the payload is malformed.

// Authentication request codes ('R').
enum class AuthCode : int32_t {
  ok = 0,
  kerberos_v5 = 2,
  cleartext_password = 3,
  md5_password = 5,
  scm_credential = 6,
  gss = 7,
  gss_continue = 8,
  sspi = 9,
  sasl = 10,
  sasl_continue = 11,
  sasl_final = 12,
};
// A method's name as PostgreSQL's pg_hba.conf writes it ("md5", "password", "gss"), or
// "authentication request N" for a code it does not know.
std::string auth_method_name(int32_t code);

struct AuthRequest {
  int32_t code = 0;                     // an AuthCode, or whatever the server sent
  std::vector<std::string> mechanisms;  // sasl: the mechanisms offered
  std::string data;                     // sasl_continue, sasl_final: the server's message;
                                        // md5_password: the 4-byte salt
};
std::optional<AuthRequest> parse_authentication(std::string_view payload);

struct ParameterStatus {
  std::string name, value;
};
std::optional<ParameterStatus> parse_parameter_status(std::string_view payload);

struct BackendKeyData {
  int32_t process_id = 0;
  int32_t secret_key = 0;
};
std::optional<BackendKeyData> parse_backend_key_data(std::string_view payload);

// ReadyForQuery's transaction status: 'I' idle, 'T' in a transaction block, 'E' in a
// failed one.
std::optional<char> parse_ready_for_query(std::string_view payload);

struct FieldDescription {
  std::string name;
  int32_t table_oid = 0;
  int16_t column = 0;
  int32_t type_oid = 0;
  int16_t type_size = 0;
  int32_t type_modifier = 0;
  int16_t format = 0;  // 0 text, 1 binary
};
std::optional<std::vector<FieldDescription>> parse_row_description(std::string_view payload);

// A DataRow's column values, text as sent; a NULL is an empty optional. The values are
// views into `payload`.
std::optional<std::vector<std::optional<std::string_view>>> parse_data_row(std::string_view payload);

// CommandComplete's tag ("SELECT 3", "INSERT 0 1").
std::optional<std::string> parse_command_complete(std::string_view payload);

// ErrorResponse ('E') and NoticeResponse ('N'): the fields hopcost reports.
struct ServerMessage {
  std::string severity;  // the non-localized one ('V') when sent, else 'S': "ERROR", "FATAL"
  std::string code;      // SQLSTATE: "28P01" (invalid password), "42P01" (undefined table)
  std::string message;
  std::string detail;
};
std::optional<ServerMessage> parse_server_message(std::string_view payload);
// "FATAL 28P01: password authentication failed for user \"app\"" (and the detail after
// " - " when there is one).
std::string to_string(const ServerMessage& m);

}  // namespace hopcost::pg
