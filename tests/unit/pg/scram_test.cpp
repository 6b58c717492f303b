// SCRAM-SHA-256 (pg/scram.hpp) against RFC 7677's test vector, and every way a server's
// messages can be refused: a wrong signature, a nonce that is not ours, an iteration
// count out of bounds, a malformed message.
#include <catch2/catch.hpp>

#include "pg/scram.hpp"

using namespace hopcost::pg;

namespace {

// RFC 7677, section 3.
constexpr const char* kServerFirst = "r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,s=W22ZaJ0SNY7soEsUEjb6gQ==,i=4096";
constexpr const char* kClientFinal =
    "c=biws,r=rOprNGfwEbeRWgbNEkqO%hvYDpWUa2RaTCAfuxFIlj)hNlF$k0,p=dHzbZapWIk4jUhN+Ute9ytag9zjfMHgsqmmiz7AndVQ=";
constexpr const char* kServerFinal = "v=6rriTRBi23WpRR/wtup+mMhUZUn/dB5nLTJRsjl95G4=";

ScramClient rfc_client() { return ScramClient("pencil", "user", "rOprNGfwEbeRWgbNEkqO"); }

}  // namespace

TEST_CASE("pg scram: SCRAM-SHA-256 gives RFC 7677's messages for its test vector") {
  ScramClient c = rfc_client();
  CHECK(c.client_first() == "n,,n=user,r=rOprNGfwEbeRWgbNEkqO");
  std::string error;
  const auto final = c.client_final(kServerFirst, error);
  REQUIRE(final);
  CHECK(*final == kClientFinal);
  CHECK(c.verify_server_final(kServerFinal, error));
  CHECK(error.empty());
}

TEST_CASE("pg scram: a server signature that does not match is refused") {
  ScramClient c = rfc_client();
  std::string error;
  REQUIRE(c.client_final(kServerFirst, error));
  std::string wrong = kServerFinal;
  wrong[5] = wrong[5] == 'A' ? 'B' : 'A';
  CHECK_FALSE(c.verify_server_final(wrong, error));
  CHECK_THAT(error, Catch::Contains("server signature does not match"));
  CHECK_FALSE(c.verify_server_final("v=", error));                        // empty
  CHECK_FALSE(c.verify_server_final("v=6rriTRBi23WpRR/wtup+mMhU", error));  // cut short
  CHECK_FALSE(c.verify_server_final("v=!!!!", error));                    // not base64
  CHECK_FALSE(c.verify_server_final("e=invalid-proof", error));
  CHECK_THAT(error, Catch::Contains("invalid-proof"));
  CHECK_FALSE(c.verify_server_final("x=1", error));
  CHECK_THAT(error, Catch::Contains("malformed"));
}

TEST_CASE("pg scram: a password that is not the server's gives a proof the server would refuse") {
  ScramClient c("pencils", "user", "rOprNGfwEbeRWgbNEkqO");
  std::string error;
  const auto final = c.client_final(kServerFirst, error);
  REQUIRE(final);
  CHECK(*final != kClientFinal);
  CHECK_FALSE(c.verify_server_final(kServerFinal, error));  // nor does the real server's signature match
}

TEST_CASE("pg scram: server-first is checked: our nonce extended, salt, iteration count within bounds") {
  std::string error;
  const std::string salt = ",s=W22ZaJ0SNY7soEsUEjb6gQ==";
  const std::string ours = "r=rOprNGfwEbeRWgbNEkqO";
  struct Case {
    std::string server_first, says;
  };
  const Case cases[] = {
      {"r=someoneElsesNonce123" + salt + ",i=4096", "nonce"},
      {ours + salt + ",i=4096", "nonce"},  // not extended
      {ours + "x,s=!!,i=4096", "salt"},
      {ours + "x,s=,i=4096", "salt"},
      {ours + "x" + salt + ",i=0", "iteration"},
      {ours + "x" + salt + ",i=-1", "iteration"},
      {ours + "x" + salt + ",i=4096x", "iteration"},
      {ours + "x" + salt + ",i=1000001", "iteration"},
      {ours + "x" + salt, "malformed"},
      {ours + "x,i=4096" + salt, "malformed"},
      {"m=ext," + ours + "x" + salt + ",i=4096", "mandatory extension"},
      {"", "malformed"},
  };
  for (const auto& k : cases) {
    ScramClient c = rfc_client();
    INFO(k.server_first);
    CHECK_FALSE(c.client_final(k.server_first, error));
    CHECK_THAT(error, Catch::Contains(k.says));
  }
  // Extensions after i= are allowed.
  ScramClient c = rfc_client();
  CHECK(c.client_final(std::string(kServerFirst) + ",x=future", error));
}

TEST_CASE("pg scram: the client's nonce is random, and its first message names no user unless asked") {
  ScramClient a("pw"), b("pw");
  CHECK(a.client_first().starts_with("n,,n=,r="));
  CHECK(a.client_first().size() == std::string("n,,n=,r=").size() + 24);  // 18 bytes in base64
  CHECK(a.client_first() != b.client_first());
  CHECK(ScramClient("pw", "a,b=c", "nonce").client_first() == "n,,n=a=2Cb=3Dc,r=nonce");
}

TEST_CASE("pg scram: base64 round-trips and refuses what is not base64") {
  CHECK(base64_encode("") == "");
  CHECK(base64_encode("n,,") == "biws");
  CHECK(base64_encode("ab") == "YWI=");
  CHECK(base64_decode("YWI=") == "ab");
  CHECK(base64_decode("biws") == "n,,");
  CHECK_FALSE(base64_decode("YWI"));
  CHECK_FALSE(base64_decode("Y*I="));
}
