#include "builder/path_in_root.h"

#include <cerrno>
#include <deque>
#include <vector>

namespace kiln::builder {
namespace {

using core::ErrorCode;

void PushComponents(std::string_view path, std::deque<std::string>& todo, bool front) {
  std::vector<std::string> parts;
  size_t i = 0;
  while (i <= path.size()) {
    size_t j = path.find('/', i);
    if (j == std::string_view::npos) j = path.size();
    if (j > i) parts.emplace_back(path.substr(i, j - i));
    i = j + 1;
  }
  if (front)
    todo.insert(todo.begin(), parts.begin(), parts.end());
  else
    todo.insert(todo.end(), parts.begin(), parts.end());
}

std::string Joined(const std::vector<std::string>& parts) {
  std::string out;
  for (const auto& p : parts) out += (out.empty() ? "" : "/") + p;
  return out;
}

}  // namespace

core::Result<PathInRoot> ResolveInRoot(const std::string& root, std::string_view path,
                                       bool follow_last, const HiddenPath& hidden) {
  auto not_found = [&] {
    return core::Fail(ErrorCode::kNotFound, "\"" + std::string(path) + "\": not found");
  };
  std::deque<std::string> todo;
  PushComponents(path, todo, false);
  std::vector<std::string> done;  // resolved components: real directories (the last: any type)
  PathInRoot out;
  int hops = 0;
  while (!todo.empty()) {
    std::string part = std::move(todo.front());
    todo.pop_front();
    if (part == ".") continue;
    if (part == "..") {  // every resolved component is a real directory: ".." is lexical
      if (!done.empty()) done.pop_back();
      continue;
    }
    done.push_back(std::move(part));
    std::string rel = Joined(done);
    std::string host = root + "/" + rel;
    sys::FileStat st;
    if (sys::Lstat(host, &st) != 0) {
      if (errno == ENOENT || errno == ENOTDIR) return not_found();
      return core::Fail(ErrorCode::kIo, "cannot stat " + host + ": " + sys::ErrorText(errno));
    }
    if (hidden && hidden(rel, st.IsDir())) return not_found();
    bool last = todo.empty();
    if (st.IsSymlink() && (!last || follow_last)) {
      if (++hops > kMaxSymlinkHops)
        return core::Fail(ErrorCode::kInvalidInput,
                          "\"" + std::string(path) + "\": too many levels of symbolic links");
      std::string link;
      if (sys::ReadLink(host, &link) != 0)
        return core::Fail(ErrorCode::kIo, "cannot read link " + host + ": " + sys::ErrorText(errno));
      done.pop_back();
      if (!link.empty() && link[0] == '/') done.clear();  // absolute: from the root again
      PushComponents(link, todo, true);
      continue;
    }
    if (!last && !st.IsDir()) return not_found();
  }
  out.rel = Joined(done);
  // The entry the walk ended on ("a/.." or "up -> .." end on a directory already checked).
  if (sys::Lstat(out.rel.empty() ? root : root + "/" + out.rel, &out.st) != 0)
    return not_found();
  return out;
}

}  // namespace kiln::builder
