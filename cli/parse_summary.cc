#include "cli/parse_summary.h"

#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "core/sys_fs.h"
#include "parser/build_args.h"
#include "parser/ignore_matcher.h"

namespace kiln::cli {
namespace {

std::optional<std::string> ReadIfExists(const std::string& path) {
  std::ifstream in(sys::U8Path(path), std::ios::binary);
  if (!in) return std::nullopt;
  std::ostringstream out;
  out << in.rdbuf();
  return out.str();
}

// "WORKDIR RUN×2 COPY" in order of first appearance.
std::string KindCounts(const parser::Stage& stage) {
  std::vector<std::pair<std::string, int>> counts;
  for (const parser::Instruction& i : stage.instructions) {
    std::string kind(parser::KindName(i));
    auto it = std::find_if(counts.begin(), counts.end(), [&](auto& c) { return c.first == kind; });
    if (it == counts.end()) {
      counts.emplace_back(kind, 1);
    } else {
      ++it->second;
    }
  }
  std::string out;
  for (const auto& [kind, n] : counts) {
    out += (out.empty() ? "" : " ") + kind + (n > 1 ? "\u00d7" + std::to_string(n) : "");
  }
  return out;
}

// "excludes N of M context entries" (at most kMaxEntries looked at).
core::Result<std::string> ExcludedCount(const parser::IgnoreMatcher& matcher,
                                        const std::string& context) {
  namespace fs = std::filesystem;
  constexpr size_t kMaxEntries = 100000;
  size_t total = 0, excluded = 0;
  std::error_code ec;
  fs::path root = sys::U8Path(context);
  fs::recursive_directory_iterator it(root, fs::directory_options::skip_permission_denied, ec);
  for (; !ec && it != fs::recursive_directory_iterator() && total < kMaxEntries; it.increment(ec)) {
    std::string rel = sys::GenericPathString(it->path().lexically_relative(root));
    KILN_ASSIGN(bool out, matcher.Matches(rel));
    ++total;
    if (out) ++excluded;
  }
  return ", excludes " + std::to_string(excluded) + " of " + std::to_string(total) +
         (total >= kMaxEntries ? "+" : "") + " context entries";
}

core::Result<std::string> IgnoreSummary(const SummaryOptions& o) {
  if (o.context.empty()) return std::string();
  std::vector<parser::IgnoreCandidate> candidates;
  for (const std::string& path : parser::DockerignoreCandidates(
           o.dockerfile_path.empty() ? "-" : o.dockerfile_path, o.context)) {
    if (o.dockerfile_path.empty() && path == "-.dockerignore") continue;
    candidates.push_back({path, ReadIfExists(path)});
  }
  auto file = parser::SelectDockerignore(candidates);
  if (!file) return std::string("no .dockerignore\n");
  auto matcher = parser::IgnoreMatcher::Create(file->patterns);
  if (!matcher) return std::unexpected(matcher.error().Wrap(file->path));
  auto excluded = ExcludedCount(*matcher, o.context);
  if (!excluded) return std::unexpected(excluded.error().Wrap(file->path));
  return file->path + ": " + std::to_string(file->patterns.size()) + " patterns" + *excluded + "\n";
}

}  // namespace

core::Result<std::string> Summarize(const parser::Dockerfile& df, const SummaryOptions& o) {
  core::Platform target = core::Platform::HostLinux();
  if (!o.platform.empty()) {
    KILN_ASSIGN(target, core::Platform::Parse(o.platform));
  }
  parser::EnvList predefined =
      parser::PredefinedArgs(target, core::Platform::HostLinux(), "", {}, target.is_windows());
  KILN_ASSIGN(parser::EnvList global,
              parser::ResolveMetaArgs(df.meta_args, std::move(predefined), {}, df.escape));
  size_t total = 0;
  for (const parser::Stage& s : df.stages) total += s.instructions.size();
  std::ostringstream out;
  out << o.file << ": " << df.stages.size() << (df.stages.size() == 1 ? " stage, " : " stages, ")
      << total << " instructions, escape " << df.escape << ", target " << target.ToString() << "\n";
  for (const parser::ArgInstruction& arg : df.meta_args) {
    out << "  " << arg.original << "  (line " << arg.range.start.line << ")\n";
  }
  for (size_t i = 0; i < df.stages.size(); ++i) {
    const parser::Stage& s = df.stages[i];
    KILN_ASSIGN(parser::ResolvedFrom from, parser::ResolveFrom(s.from, global, df.escape));
    out << "  [" << i << "] " << (s.name.empty() ? "-" : s.name) << "  FROM " << from.base_name;
    if (from.platform) out << " (" << from.platform->ToString() << ")";
    out << "  line " << s.from.range.start.line << ", " << s.instructions.size()
        << (s.instructions.size() == 1 ? " instruction" : " instructions");
    if (!s.instructions.empty()) out << ": " << KindCounts(s);
    out << "\n";
  }
  for (const parser::ParseWarning& w : df.warnings) {
    out << "warning: " << o.file << ":" << w.line << ": " << w.message << "\n";
  }
  KILN_ASSIGN(std::string ignore, IgnoreSummary(o));
  out << ignore;
  return out.str();
}

}  // namespace kiln::cli
