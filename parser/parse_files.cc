// COPY and ADD: flags, sources (paths and heredocs) and destination.
#include <unordered_map>

#include "parser/heredoc.h"
#include "parser/instruction_request.h"

namespace kiln::parser::detail {
namespace {

core::Error ErrNoDestination(std::string_view cmd) {
  return Error(std::string(cmd) +
               " requires at least two arguments, but only one was provided. Destination "
               "could not be determined");
}

bool IsHeredocWord(std::string_view word) {
  auto doc = ParseHeredoc(word);
  return doc && doc->has_value();
}

core::Result<SourcesAndDest> SourcesAndDestination(const Request& req, std::string_view cmd) {
  SourcesAndDest out;
  out.dest = req.args.back();
  if (IsHeredocWord(out.dest)) {
    return std::unexpected(Error(std::string(cmd) + " cannot accept a heredoc as a destination"));
  }
  std::unordered_map<std::string, const Heredoc*> by_name;
  for (const Heredoc& doc : req.node.heredocs) by_name[doc.name] = &doc;
  for (size_t i = 0; i + 1 < req.args.size(); ++i) {
    const std::string& src = req.args[i];
    auto doc = ParseHeredoc(src);
    if (!doc || !doc->has_value()) {
      out.source_paths.push_back(src);
      continue;
    }
    const Heredoc& word = **doc;
    auto it = by_name.find(word.name);
    std::string content = it == by_name.end() ? "" : it->second->content;
    if (word.chomp) content = ChompHeredocContent(content);
    out.source_contents.push_back({word.name, std::move(content), word.expand});
  }
  return out;
}

}  // namespace

core::Result<Instruction> ParseCopy(Request& req) {
  if (req.args.size() < 2) return std::unexpected(ErrNoDestination("COPY"));
  size_t chown = req.flags.AddString("chown", "");
  size_t from = req.flags.AddString("from", "");
  size_t chmod = req.flags.AddString("chmod", "");
  size_t link = req.flags.AddBool("link", false);
  size_t exclude = req.flags.AddStrings("exclude");
  size_t parents = req.flags.AddBool("parents", false);
  KILN_TRY(req.flags.Parse());
  CopyInstruction c;
  static_cast<InstructionBase&>(c) = req.base;
  KILN_ASSIGN(c.files, SourcesAndDestination(req, "COPY"));
  c.from = req.flags.Get(from).value;
  c.chown = req.flags.Get(chown).value;
  c.chmod = req.flags.Get(chmod).value;
  c.link = req.flags.Get(link).value == "true";
  c.parents = req.flags.Get(parents).value == "true";
  c.exclude = req.flags.Get(exclude).values;
  return c;
}

core::Result<Instruction> ParseAdd(Request& req) {
  if (req.args.size() < 2) return std::unexpected(ErrNoDestination("ADD"));
  size_t chown = req.flags.AddString("chown", "");
  size_t chmod = req.flags.AddString("chmod", "");
  size_t link = req.flags.AddBool("link", false);
  size_t keep_git_dir = req.flags.AddBool("keep-git-dir", false);
  size_t checksum = req.flags.AddString("checksum", "");
  size_t unpack = req.flags.AddBool("unpack", false);
  size_t exclude = req.flags.AddStrings("exclude");
  KILN_TRY(req.flags.Parse());
  AddInstruction a;
  static_cast<InstructionBase&>(a) = req.base;
  KILN_ASSIGN(a.files, SourcesAndDestination(req, "ADD"));
  a.chown = req.flags.Get(chown).value;
  a.chmod = req.flags.Get(chmod).value;
  a.checksum = req.flags.Get(checksum).value;
  a.link = req.flags.Get(link).value == "true";
  if (req.flags.Get(keep_git_dir).used)
    a.keep_git_dir = req.flags.Get(keep_git_dir).value == "true";
  if (req.flags.Get(unpack).used) a.unpack = req.flags.Get(unpack).value == "true";
  a.exclude = req.flags.Get(exclude).values;
  return a;
}

}  // namespace kiln::parser::detail
