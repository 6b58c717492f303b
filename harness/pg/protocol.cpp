#include "pg/protocol.hpp"

#include <fmt/format.h>

#include "util/check.hpp"

namespace hopcost::pg {
namespace {

void put_int32(std::string& out, int32_t v) {
  const auto u = static_cast<uint32_t>(v);
  out.push_back(static_cast<char>(u >> 24));
  out.push_back(static_cast<char>(u >> 16));
  out.push_back(static_cast<char>(u >> 8));
  out.push_back(static_cast<char>(u));
}

void put_cstring(std::string& out, std::string_view s) {
  HOPCOST_CHECK(s.find('\0') == std::string_view::npos);
  out.append(s);
  out.push_back('\0');
}

// Writes the length word at `at` (4 bytes reserved there): what follows it, itself included.
void patch_length(std::string& out, size_t at) {
  const size_t length = out.size() - at;
  HOPCOST_CHECK(length <= static_cast<size_t>(INT32_MAX));
  std::string word;
  put_int32(word, static_cast<int32_t>(length));
  out.replace(at, 4, word);
}

// A message with a type byte: the type, a length word to be patched, then the body.
std::string begin(char type) {
  std::string out(1, type);
  out.append(4, '\0');
  return out;
}

std::string finish(std::string out) {
  patch_length(out, 1);
  return out;
}

int32_t read_int32_at(std::string_view s, size_t at) {
  const auto b = [&](size_t i) { return static_cast<uint32_t>(static_cast<unsigned char>(s[at + i])); };
  return static_cast<int32_t>(b(0) << 24 | b(1) << 16 | b(2) << 8 | b(3));
}

// Reads a payload front to back; any read past its end makes it fail for good.
class Reader {
 public:
  explicit Reader(std::string_view s) : s_(s) {}

  int32_t int32() {
    if (!need(4)) return 0;
    const int32_t v = read_int32_at(s_, pos_);
    pos_ += 4;
    return v;
  }
  int16_t int16() {
    if (!need(2)) return 0;
    const auto hi = static_cast<unsigned char>(s_[pos_]), lo = static_cast<unsigned char>(s_[pos_ + 1]);
    pos_ += 2;
    return static_cast<int16_t>(static_cast<uint16_t>(hi << 8 | lo));
  }
  uint8_t byte() {
    if (!need(1)) return 0;
    return static_cast<uint8_t>(s_[pos_++]);
  }
  std::string_view cstring() {
    if (!ok_) return {};
    const size_t end = s_.find('\0', pos_);
    if (end == std::string_view::npos) {
      ok_ = false;
      return {};
    }
    const std::string_view v = s_.substr(pos_, end - pos_);
    pos_ = end + 1;
    return v;
  }
  std::string_view bytes(size_t n) {
    if (!need(n)) return {};
    const std::string_view v = s_.substr(pos_, n);
    pos_ += n;
    return v;
  }
  std::string_view rest() {
    const std::string_view v = ok_ ? s_.substr(pos_) : std::string_view{};
    pos_ = s_.size();
    return v;
  }
  bool ok() const { return ok_; }
  bool done() const { return ok_ && pos_ == s_.size(); }

 private:
  bool need(size_t n) {
    if (ok_ && s_.size() - pos_ >= n) return true;
    ok_ = false;
    return false;
  }
  std::string_view s_;
  size_t pos_ = 0;
  bool ok_ = true;
};

}  // namespace

std::string encode_ssl_request() {
  std::string out;
  put_int32(out, 8);
  put_int32(out, kSslRequestCode);
  return out;
}

std::string encode_startup(std::string_view user, std::string_view database) {
  std::string out(4, '\0');
  put_int32(out, kProtocolVersion3);
  put_cstring(out, "user");
  put_cstring(out, user);
  put_cstring(out, "database");
  put_cstring(out, database);
  put_cstring(out, "application_name");
  put_cstring(out, "hopcost");
  out.push_back('\0');
  patch_length(out, 0);
  return out;
}

std::string encode_sasl_initial_response(std::string_view mechanism, std::string_view data) {
  std::string out = begin('p');
  put_cstring(out, mechanism);
  HOPCOST_CHECK(data.size() <= static_cast<size_t>(INT32_MAX));
  put_int32(out, static_cast<int32_t>(data.size()));
  out.append(data);
  return finish(std::move(out));
}

std::string encode_sasl_response(std::string_view data) {
  std::string out = begin('p');
  out.append(data);
  return finish(std::move(out));
}

std::string encode_query(std::string_view sql) {
  std::string out = begin('Q');
  put_cstring(out, sql);
  return finish(std::move(out));
}

std::string encode_terminate() { return finish(begin('X')); }

void MessageDecoder::feed(std::string_view bytes) {
  if (start_ > 0 && (start_ == buffer_.size() || start_ >= buffer_.size() / 2)) {
    buffer_.erase(0, start_);  // what was read is dropped before the buffer grows
    start_ = 0;
  }
  buffer_.append(bytes);
}

MessageDecoder::Status MessageDecoder::next(BackendMessage& out) {
  if (!error_.empty()) return Status::error;
  const size_t have = buffer_.size() - start_;
  if (have < 5) return Status::need_more;
  const char type = buffer_[start_];
  const int32_t length = read_int32_at(buffer_, start_ + 1);
  if (length < 4 || static_cast<uint64_t>(length) > max_length_) {
    error_ = fmt::format("a backend message ('{}') with length {} (allowed: 4 to {})",
                         type >= 0x20 && type < 0x7f ? std::string(1, type) : fmt::format("\\x{:02x}", type & 0xff),
                         length, max_length_);
    return Status::error;
  }
  if (have < 1 + static_cast<size_t>(length)) return Status::need_more;
  out.type = type;
  out.payload = std::string_view(buffer_).substr(start_ + 5, static_cast<size_t>(length) - 4);
  start_ += 1 + static_cast<size_t>(length);
  return Status::message;
}

std::string auth_method_name(int32_t code) {
  switch (static_cast<AuthCode>(code)) {
    case AuthCode::ok: return "ok";
    case AuthCode::kerberos_v5: return "krb5";
    case AuthCode::cleartext_password: return "password (cleartext)";
    case AuthCode::md5_password: return "md5";
    case AuthCode::scm_credential: return "SCM credentials";
    case AuthCode::gss:
    case AuthCode::gss_continue: return "gss";
    case AuthCode::sspi: return "sspi";
    case AuthCode::sasl:
    case AuthCode::sasl_continue:
    case AuthCode::sasl_final: return "SASL";
  }
  return fmt::format("authentication request {}", code);
}

std::optional<AuthRequest> parse_authentication(std::string_view payload) {
  Reader r(payload);
  AuthRequest a;
  a.code = r.int32();
  if (!r.ok()) return std::nullopt;
  switch (static_cast<AuthCode>(a.code)) {
    case AuthCode::sasl:
      // A list of mechanism names, each a C string, ended by an empty one.
      while (true) {
        const std::string_view m = r.cstring();
        if (!r.ok()) return std::nullopt;
        if (m.empty()) break;
        a.mechanisms.emplace_back(m);
      }
      break;
    case AuthCode::sasl_continue:
    case AuthCode::sasl_final: a.data = std::string(r.rest()); break;
    case AuthCode::md5_password: a.data = std::string(r.bytes(4)); break;
    case AuthCode::gss_continue: r.rest(); break;
    default: break;
  }
  if (!r.done()) return std::nullopt;
  return a;
}

std::optional<ParameterStatus> parse_parameter_status(std::string_view payload) {
  Reader r(payload);
  ParameterStatus p{std::string(r.cstring()), std::string(r.cstring())};
  if (!r.done()) return std::nullopt;
  return p;
}

std::optional<BackendKeyData> parse_backend_key_data(std::string_view payload) {
  Reader r(payload);
  BackendKeyData k;
  k.process_id = r.int32();
  k.secret_key = r.int32();
  if (!r.done()) return std::nullopt;
  return k;
}

std::optional<char> parse_ready_for_query(std::string_view payload) {
  if (payload.size() != 1) return std::nullopt;
  const char s = payload[0];
  if (s != 'I' && s != 'T' && s != 'E') return std::nullopt;
  return s;
}

std::optional<std::vector<FieldDescription>> parse_row_description(std::string_view payload) {
  Reader r(payload);
  const int16_t n = r.int16();
  if (!r.ok() || n < 0) return std::nullopt;
  std::vector<FieldDescription> fields;
  fields.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    FieldDescription f;
    f.name = std::string(r.cstring());
    f.table_oid = r.int32();
    f.column = r.int16();
    f.type_oid = r.int32();
    f.type_size = r.int16();
    f.type_modifier = r.int32();
    f.format = r.int16();
    if (!r.ok()) return std::nullopt;
    fields.push_back(std::move(f));
  }
  if (!r.done()) return std::nullopt;
  return fields;
}

std::optional<std::vector<std::optional<std::string_view>>> parse_data_row(std::string_view payload) {
  Reader r(payload);
  const int16_t n = r.int16();
  if (!r.ok() || n < 0) return std::nullopt;
  std::vector<std::optional<std::string_view>> values;
  values.reserve(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) {
    const int32_t length = r.int32();
    if (!r.ok() || length < -1) return std::nullopt;
    if (length == -1) {
      values.emplace_back(std::nullopt);
      continue;
    }
    const std::string_view v = r.bytes(static_cast<size_t>(length));
    if (!r.ok()) return std::nullopt;
    values.emplace_back(v);
  }
  if (!r.done()) return std::nullopt;
  return values;
}

std::optional<std::string> parse_command_complete(std::string_view payload) {
  Reader r(payload);
  std::string tag(r.cstring());
  if (!r.done()) return std::nullopt;
  return tag;
}

std::optional<ServerMessage> parse_server_message(std::string_view payload) {
  Reader r(payload);
  ServerMessage m;
  std::string localized_severity;
  // Fields: a type byte and a C string each, ended by a zero byte.
  while (true) {
    const uint8_t field = r.byte();
    if (!r.ok()) return std::nullopt;
    if (field == 0) break;
    const std::string_view value = r.cstring();
    if (!r.ok()) return std::nullopt;
    switch (field) {
      case 'S': localized_severity = std::string(value); break;
      case 'V': m.severity = std::string(value); break;
      case 'C': m.code = std::string(value); break;
      case 'M': m.message = std::string(value); break;
      case 'D': m.detail = std::string(value); break;
      default: break;  // hint, position, where, schema, file, line, routine, ...
    }
  }
  if (!r.done()) return std::nullopt;
  if (m.severity.empty()) m.severity = std::move(localized_severity);
  return m;
}

std::string to_string(const ServerMessage& m) {
  std::string s = fmt::format("{} {}: {}", m.severity.empty() ? "ERROR" : m.severity,
                              m.code.empty() ? "(no SQLSTATE)" : m.code, m.message);
  if (!m.detail.empty()) s += " - " + m.detail;
  return s;
}

}  // namespace hopcost::pg
