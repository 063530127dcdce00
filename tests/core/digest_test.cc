#include "core/digest.h"

#include <catch2/catch.hpp>

using kiln::core::Digest;
using kiln::core::Hasher;

TEST_CASE("sha256 of known inputs matches the published values", "[unit]") {
  CHECK(Digest::Sha256Of("").ToString() ==
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  CHECK(Digest::Sha256Of("abc").hex() ==
        "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
}

TEST_CASE("incremental hashing equals one-shot hashing", "[unit]") {
  Hasher h;
  h.Update("a");
  h.Update("bc");
  CHECK(h.size() == 3);
  CHECK(h.Finish() == Digest::Sha256Of("abc"));
}

TEST_CASE("digests parse only in algorithm:hex form", "[unit]") {
  auto ok = Digest::Parse("sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
  REQUIRE(ok);
  CHECK(ok->Short() == "e3b0c44298fc");
  CHECK_FALSE(Digest::Parse("sha256:E3B0"));
  CHECK_FALSE(Digest::Parse("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_FALSE(Digest::Parse("md5:d41d8cd98f00b204e9800998ecf8427e"));
  CHECK(Digest::Parse("sha512:" + std::string(128, 'a')));
}
