// The switch every golden test shares: only UPDATE_GOLDEN=1 rewrites expected files.
#include <catch2/catch.hpp>
#include <cstdlib>

#include "tests/support/test_env.h"

TEST_CASE("only UPDATE_GOLDEN=1 rewrites goldens, any other value compares", "[unit]") {
  const char* saved = std::getenv("UPDATE_GOLDEN");
  std::string keep = saved ? saved : "";
  for (const char* v : {"0", "", "yes", "true", "11"}) {
    kiln::testing::SetEnv("UPDATE_GOLDEN", v);
    INFO("UPDATE_GOLDEN=" << v);
    CHECK_FALSE(kiln::testing::UpdateGolden());
  }
  kiln::testing::SetEnv("UPDATE_GOLDEN", nullptr);
  CHECK_FALSE(kiln::testing::UpdateGolden());
  kiln::testing::SetEnv("UPDATE_GOLDEN", "1");
  CHECK(kiln::testing::UpdateGolden());
  if (saved)
    kiln::testing::SetEnv("UPDATE_GOLDEN", keep.c_str());
  else
    kiln::testing::SetEnv("UPDATE_GOLDEN", nullptr);
}
