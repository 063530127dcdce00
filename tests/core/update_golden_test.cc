// The switch every golden test shares: only UPDATE_GOLDEN=1 rewrites expected files.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/support/test_env.h"

TEST_CASE("only UPDATE_GOLDEN=1 rewrites goldens, any other value compares", "[unit]") {
  const char* saved = std::getenv("UPDATE_GOLDEN");
  std::string keep = saved ? saved : "";
  for (const char* v : {"0", "", "yes", "true", "11"}) {
    ::setenv("UPDATE_GOLDEN", v, 1);
    INFO("UPDATE_GOLDEN=" << v);
    CHECK_FALSE(kiln::testing::UpdateGolden());
  }
  ::unsetenv("UPDATE_GOLDEN");
  CHECK_FALSE(kiln::testing::UpdateGolden());
  ::setenv("UPDATE_GOLDEN", "1", 1);
  CHECK(kiln::testing::UpdateGolden());
  if (saved)
    ::setenv("UPDATE_GOLDEN", keep.c_str(), 1);
  else
    ::unsetenv("UPDATE_GOLDEN");
}
