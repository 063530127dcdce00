#include "builder/build_graph.h"

#include <algorithm>
#include <charconv>
#include <functional>

#include "parser/expand.h"
#include "parser/quote.h"
#include "parser/shell_lexer.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

std::string Lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(c >= 'A' && c <= 'Z' ? c + 32 : c);
  return out;
}

std::string Loc(const core::SourceRange& r) {
  return std::to_string(r.start.line) + ":" + std::to_string(r.start.column);
}

}  // namespace

std::string GraphStage::Label() const {
  return "stage " + std::to_string(index) + (name.empty() ? "" : " (" + name + ")");
}

namespace {

// Whether `ref` names stage `after` or a later one (by name or index): such references are
// refused rather than resolved as image names.
bool NamesLaterStage(const parser::Dockerfile& df, std::string_view ref, size_t after) {
  std::string want = Lower(ref);
  for (size_t j = after; j < df.stages.size(); ++j)
    if (!df.stages[j].name.empty() && Lower(df.stages[j].name) == want) return true;
  size_t index = 0;
  auto [p, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), index);
  return ec == std::errc() && p == ref.data() + ref.size() && index >= after &&
         index < df.stages.size();
}

}  // namespace

std::optional<size_t> BuildGraph::FindStage(std::string_view ref, size_t before) const {
  std::string want = Lower(ref);
  for (size_t i = 0; i < before && i < stages_.size(); ++i)
    if (!stages_[i].name.empty() && stages_[i].name == want) return i;
  size_t index = 0;
  auto [p, ec] = std::from_chars(ref.data(), ref.data() + ref.size(), index);
  if (ec == std::errc() && p == ref.data() + ref.size() && index < before) return index;
  return std::nullopt;
}

core::Result<BuildGraph> BuildGraph::Make(const parser::Dockerfile& df, const parser::EnvList& global,
                                          std::string_view target) {
  BuildGraph g;
  parser::ShellLexer lex(static_cast<char32_t>(df.escape));
  for (size_t i = 0; i < df.stages.size(); ++i) {
    const parser::Stage& s = df.stages[i];
    GraphStage gs;
    gs.index = i;
    gs.name = s.name;
    gs.stage = &s;
    auto base = lex.ProcessWord(s.from.base_name, global);
    if (!base) return core::Fail(base.error().code, base.error().message, s.from.range);
    if (base->empty())
      return core::Fail(ErrorCode::kInvalidInput,
                        "base name (" + s.from.base_name + ") should not be blank", s.from.range);
    gs.base = *base;
    if (!s.from.platform.empty()) {
      auto platform = lex.ProcessWord(s.from.platform, global);
      if (!platform) return core::Fail(platform.error().code, platform.error().message, s.from.range);
      gs.platform = *platform;
    }
    g.stages_.push_back(std::move(gs));
    GraphStage& cur = g.stages_.back();
    if (auto from = g.FindStage(cur.base, i)) {
      cur.base_stage = *from;
      cur.deps.push_back({*from, "FROM", s.from.range});
    }
    for (const auto& instr : s.instructions) {
      if (auto* c = std::get_if<parser::CopyInstruction>(&instr); c && !c->from.empty()) {
        auto plain = parser::CheckCopyFrom(c->from, df.escape);
        if (!plain) return core::Fail(plain.error().code, plain.error().message, c->range);
        if (auto from = g.FindStage(c->from, i))
          cur.deps.push_back({*from, "COPY --from", c->range});
        else if (NamesLaterStage(df, c->from, i))
          return core::Fail(ErrorCode::kInvalidInput,
                            "COPY --from=" + c->from + " refers to a stage not defined before this one",
                            c->range);
        else
          cur.image_deps.emplace_back(c->from, c->range);
      }
      if (auto* r = std::get_if<parser::RunInstruction>(&instr)) {
        // `from` as parsed, before the other options are expanded (they may need the stage's
        // variables; `from` may not hold one).
        for (const std::string& m_from : r->mount_froms) {
          if (m_from.empty()) continue;
          if (auto from = g.FindStage(m_from, i))
            cur.deps.push_back({*from, "RUN --mount from", r->range});
          else if (NamesLaterStage(df, m_from, i))
            return core::Fail(ErrorCode::kInvalidInput, "RUN --mount from=" + m_from +
                                  " refers to a stage not defined before this one",
                              r->range);
          else
            cur.image_deps.emplace_back(m_from, r->range);
        }
      }
    }
  }
  if (g.stages_.empty())
    return core::Fail(ErrorCode::kInvalidInput, "the Dockerfile has no build stage (no FROM)");
  if (target.empty()) {
    g.target_ = g.stages_.size() - 1;
  } else if (auto t = g.FindStage(target, g.stages_.size())) {
    g.target_ = *t;
  } else {
    std::string names;
    for (const auto& s : g.stages_)
      if (!s.name.empty()) names += (names.empty() ? "" : ", ") + s.name;
    // BuildKit: `target stage %q could not be found` (Go's strconv.Quote).
    return core::Fail(ErrorCode::kInvalidInput, "target stage " + parser::GoQuote(target) +
                                                    " could not be found (stages: " +
                                                    (names.empty() ? "none named" : names) + ")");
  }
  // Mark what the target needs; edges only point to earlier stages, so there are no cycles.
  std::function<void(size_t)> mark = [&](size_t i) {
    if (g.stages_[i].needed) return;
    g.stages_[i].needed = true;
    for (const auto& d : g.stages_[i].deps) mark(d.from);
  };
  mark(g.target_);
  return g;
}

std::vector<size_t> BuildGraph::Order() const {
  std::vector<size_t> out;
  for (const auto& s : stages_)
    if (s.needed) out.push_back(s.index);
  return out;  // deps always name earlier stages, so index order is a topological order
}

std::string BuildGraph::Dump(std::string_view platform_label) const {
  std::string out = "platform " + std::string(platform_label) + "\n";
  for (const auto& s : stages_) {
    out += s.Label() + (s.needed ? "" : " [pruned: not needed by the target]") + "\n";
    out += "  FROM " + s.base;
    if (s.base_stage) out += " (stage " + std::to_string(*s.base_stage) + ")";
    else if (Lower(s.base) == "scratch") out += " (scratch)";
    else out += " (image)";
    if (!s.platform.empty()) out += " --platform=" + s.platform;
    out += "\n";
    if (!s.stage) continue;
    for (const auto& instr : s.stage->instructions) {
      const auto& b = parser::Base(instr);
      out += "  " + Loc(b.range) + " " + b.original + "\n";
    }
    for (const auto& d : s.deps)
      out += "  <- stage " + std::to_string(d.from) + " (" + d.why + " at " + Loc(d.where) + ")\n";
    for (const auto& [image, where] : s.image_deps)
      out += "  <- image " + image + " (at " + Loc(where) + ")\n";
  }
  out += "target " + target().Label() + "\n";
  return out;
}

}  // namespace kiln::builder
