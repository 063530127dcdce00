#include "core/compact.h"

#include <catch2/catch.hpp>
#include <string>

using kiln::core::ChunkedVector;
using kiln::core::IdIndex;
using kiln::core::StringArena;

TEST_CASE("arena strings come back byte for byte, across chunks and for long strings", "[unit]") {
  StringArena arena;
  std::vector<StringArena::Str> refs;
  std::vector<std::string> want;
  for (int i = 0; i < 60000; ++i) {  // ~1 MiB: several chunks
    want.push_back("dir" + std::to_string(i % 97) + "/file-" + std::to_string(i) + ".txt");
    refs.push_back(arena.Add(want.back()));
  }
  want.push_back(std::string(300000, 'x'));  // over a quarter chunk: kept apart
  refs.push_back(arena.Add(want.back()));
  want.push_back("");
  refs.push_back(arena.Add(""));
  for (size_t i = 0; i < want.size(); ++i) REQUIRE(arena.Get(refs[i]) == want[i]);
  // A tail shares the bytes.
  auto tail = StringArena::Tail(refs[5], 5);
  CHECK(arena.Get(tail) == want[5].substr(want[5].size() - 5));
}

TEST_CASE("the id index finds every id by its key and nothing else", "[unit]") {
  std::vector<std::string> keys;
  IdIndex index;
  for (uint32_t i = 0; i < 50000; ++i) {
    keys.push_back("k" + std::to_string(i * 7));
    index.Insert(IdIndex::Hash(keys.back()), i);
  }
  CHECK(index.size() == keys.size());
  for (uint32_t i = 0; i < keys.size(); ++i) {
    auto found = index.Find(IdIndex::Hash(keys[i]), [&](uint32_t id) { return keys[id] == keys[i]; });
    REQUIRE(found == i);
  }
  std::string absent = "k3";
  CHECK(index.Find(IdIndex::Hash(absent), [&](uint32_t id) { return keys[id] == absent; }) ==
        IdIndex::kNone);
}

TEST_CASE("a chunked vector keeps references stable while it grows", "[unit]") {
  ChunkedVector<int> v;
  int& first = v.push_back(7);
  for (int i = 0; i < 10000; ++i) v.push_back(i);
  CHECK(&first == &v[0]);
  CHECK(v.size() == 10001);
  CHECK(v[10000] == 9999);
  CHECK(v.back() == 9999);
}
