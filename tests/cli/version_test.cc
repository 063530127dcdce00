#include <catch2/catch.hpp>

#include "tests/support/test_env.h"

using namespace kiln::testing;

TEST_CASE("kiln --version prints the version and exits 0", "[unit]") {
  auto r = Kiln({"--version"});
  CHECK(r.exit_code == 0);
  CHECK(r.out.rfind("kiln ", 0) == 0);
}

TEST_CASE("an unknown verb is a usage error with exit code 2 on one line", "[unit]") {
  auto r = Kiln({"frobnicate"});
  CHECK(r.exit_code == 2);
  CHECK(r.err.find('\n') == r.err.size() - 1);
}
