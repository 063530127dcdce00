#include "parser/expand.h"

#include "parser/shell_lexer.h"

namespace kiln::parser {
namespace {

class Expander {
 public:
  Expander(const Env& env, char escape)
      : env_(env), lexer_(static_cast<char32_t>(escape)), escape_(escape) {}

  core::Status Word(std::string& word) const {
    KILN_ASSIGN(word, lexer_.ProcessWord(word, env_));
    return {};
  }
  core::Status Words(std::vector<std::string>& words) const {
    for (std::string& w : words) KILN_TRY(Word(w));
    return {};
  }
  core::Status Pairs(std::vector<KeyValue>& pairs) const {
    for (KeyValue& kv : pairs) {
      KILN_TRY(Word(kv.key));
      KILN_TRY(Word(kv.value));
    }
    return {};
  }
  core::Status Files(SourcesAndDest& f) const {
    KILN_TRY(Words(f.source_paths));
    KILN_TRY(Word(f.dest));
    for (SourceContent& c : f.source_contents) {
      if (!c.expand) continue;
      KILN_ASSIGN(c.data, ExpandHeredocBody(c.data, env_));
    }
    return {};
  }

  core::Status operator()(EnvInstruction& i) const { return Pairs(i.env); }
  core::Status operator()(LabelInstruction& i) const { return Pairs(i.labels); }
  core::Status operator()(CopyInstruction& i) const {
    KILN_TRY(CheckCopyFrom(i.from, escape_));
    KILN_TRY(Word(i.chown));
    KILN_TRY(Word(i.chmod));
    return Files(i.files);
  }
  core::Status operator()(AddInstruction& i) const {
    KILN_TRY(Word(i.chown));
    KILN_TRY(Word(i.chmod));
    KILN_TRY(Word(i.checksum));
    return Files(i.files);
  }
  core::Status operator()(WorkdirInstruction& i) const { return Word(i.path); }
  core::Status operator()(UserInstruction& i) const { return Word(i.user); }
  core::Status operator()(StopSignalInstruction& i) const { return Word(i.signal); }
  core::Status operator()(VolumeInstruction& i) const { return Words(i.volumes); }
  core::Status operator()(ArgInstruction& i) const {
    for (ArgDecl& a : i.args) {
      if (a.value) KILN_TRY(Word(*a.value));
    }
    return {};
  }
  core::Status operator()(ExposeInstruction& i) const {
    std::vector<std::string> ports;
    for (const std::string& p : i.ports) {
      KILN_ASSIGN(auto words, lexer_.ProcessWords(p, env_));
      ports.insert(ports.end(), words.begin(), words.end());
    }
    i.ports = std::move(ports);
    return {};
  }
  core::Status operator()(RunInstruction& i) const {
    WordExpander expand = [this](std::string_view w) { return lexer_.ProcessWord(w, env_); };
    std::vector<RunMount> mounts;
    for (const std::string& spec : i.mount_specs) {
      KILN_ASSIGN(RunMount m, ParseRunMount(spec, &expand));
      mounts.push_back(std::move(m));
    }
    i.mounts = std::move(mounts);
    i.mounts_resolved = true;
    return {};
  }
  template <typename T>
  core::Status operator()(T&) const {  // not expanded
    return {};
  }

 private:
  const Env& env_;
  ShellLexer lexer_;
  char escape_;
};

}  // namespace

core::Status CheckCopyFrom(std::string_view from, char escape) {
  if (from.empty()) return {};
  KILN_ASSIGN(std::string plain, ShellLexer(static_cast<char32_t>(escape)).ProcessWord(from, EmptyEnv()));
  if (plain != from) {
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "variable expansion is not supported for --from, define a new stage with "
                      "FROM using ARG from global scope as a workaround");
  }
  return {};
}

core::Result<std::string> ExpandHeredocBody(std::string_view body, const Env& env) {
  LexOptions options;
  options.skip_process_quotes = true;
  return ShellLexer(options).ProcessWord(body, env);
}

core::Status ExpandInstruction(Instruction& instruction, const Env& env, char escape) {
  Expander expander(env, escape);
  auto status = std::visit(expander, instruction);
  if (!status) {
    core::Error e = std::move(status).error();
    e.location = Base(instruction).range;
    return std::unexpected(std::move(e));
  }
  return {};
}

}  // namespace kiln::parser
