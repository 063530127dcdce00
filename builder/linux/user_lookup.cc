#include "builder/linux/user_lookup.h"

#include <algorithm>
#include <charconv>
#include <optional>

#include "layers/linux/in_root.h"

namespace kiln::builder {
namespace {

std::vector<std::string_view> Split(std::string_view s, char sep) {
  std::vector<std::string_view> out;
  size_t start = 0;
  for (;;) {
    size_t end = s.find(sep, start);
    out.push_back(s.substr(start, end == std::string_view::npos ? end : end - start));
    if (end == std::string_view::npos) return out;
    start = end + 1;
  }
}

std::optional<uint32_t> ParseId(std::string_view s) {
  uint32_t v = 0;
  if (s.empty()) return std::nullopt;
  auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), v);
  if (ec != std::errc() || end != s.data() + s.size()) return std::nullopt;
  return v;
}

// Calls fn(fields) for each well-formed, non-comment line with at least `min_fields` fields.
template <typename Fn>
void ForEachRecord(std::string_view text, size_t min_fields, Fn fn) {
  for (std::string_view line : Split(text, '\n')) {
    if (!line.empty() && line.back() == '\r') line.remove_suffix(1);
    if (line.empty() || line.front() == '#') continue;
    auto fields = Split(line, ':');
    if (fields.size() >= min_fields) fn(fields);
  }
}

struct PasswdEntry {
  std::string name, home;
  uint32_t uid = 0, gid = 0;
};

std::optional<PasswdEntry> FindPasswd(std::string_view passwd, std::string_view name,
                                      std::optional<uint32_t> uid) {
  std::optional<PasswdEntry> found;
  ForEachRecord(passwd, 7, [&](const std::vector<std::string_view>& f) {
    auto u = ParseId(f[2]), g = ParseId(f[3]);
    if (found || !u || !g) return;
    if (uid ? *u == *uid : f[0] == name)
      found = PasswdEntry{std::string(f[0]), std::string(f[5]), *u, *g};
  });
  return found;
}

std::optional<uint32_t> FindGroup(std::string_view group, std::string_view name) {
  std::optional<uint32_t> gid;
  ForEachRecord(group, 3, [&](const std::vector<std::string_view>& f) {
    if (!gid && f[0] == name) gid = ParseId(f[2]);
  });
  return gid;
}

std::vector<uint32_t> MemberOf(std::string_view group, std::string_view user, uint32_t primary) {
  std::vector<uint32_t> gids;
  ForEachRecord(group, 4, [&](const std::vector<std::string_view>& f) {
    auto gid = ParseId(f[2]);
    if (!gid || *gid == primary) return;
    for (std::string_view member : Split(f[3], ','))
      if (member == user && std::find(gids.begin(), gids.end(), *gid) == gids.end())
        gids.push_back(*gid);
  });
  return gids;
}

}  // namespace

core::Result<ResolvedUser> ResolveUser(std::string_view user, std::string_view passwd,
                                       std::string_view group) {
  size_t colon = user.find(':');
  std::string_view user_part = user.substr(0, colon);
  std::string_view group_part =
      colon == std::string_view::npos ? std::string_view() : user.substr(colon + 1);
  if (user_part.empty()) user_part = "0";

  ResolvedUser out;
  auto uid = ParseId(user_part);
  auto entry = FindPasswd(passwd, user_part, uid);
  if (!uid && !entry)
    return core::Fail(
        core::ErrorCode::kInvalidInput,
        "unable to find user " + std::string(user_part) + ": no matching entries in passwd file");
  out.uid = uid ? *uid : entry->uid;
  if (entry) {
    out.gid = entry->gid;
    if (!entry->home.empty()) out.home = entry->home;
  }
  if (!group_part.empty()) {
    auto gid = ParseId(group_part);
    if (!gid) gid = FindGroup(group, group_part);
    if (!gid)
      return core::Fail(core::ErrorCode::kInvalidInput, "unable to find group " +
                                                            std::string(group_part) +
                                                            ": no matching entries in group file");
    out.gid = *gid;
  } else if (entry) {
    out.additional_gids = MemberOf(group, entry->name, out.gid);
  }
  return out;
}

core::Result<ResolvedUser> LookupUser(int root_fd, std::string_view user) {
  auto read = [&](const char* path) -> core::Result<std::string> {
    auto text = layers::ReadFileInRoot(root_fd, path, 16 << 20);
    if (!text && text.error().code == core::ErrorCode::kNotFound) return std::string();
    return text;
  };
  KILN_ASSIGN(std::string passwd, read("/etc/passwd"));
  KILN_ASSIGN(std::string group, read("/etc/group"));
  return ResolveUser(user, passwd, group);
}

}  // namespace kiln::builder
