// ParseInstruction: dispatch on the keyword, and the simple instructions (ENV, LABEL, ARG,
// FROM, ONBUILD, WORKDIR, USER, VOLUME, EXPOSE, STOPSIGNAL, MAINTAINER).
#include <algorithm>

#include "parser/instruction_request.h"
#include "parser/quote.h"
#include "parser/runes.h"

namespace kiln::parser {
namespace detail {
namespace {

std::vector<std::string> NodeArgs(const Node& node) {
  if (!node.sub) return node.args;
  std::vector<std::string> out{node.sub->value};
  std::vector<std::string> rest = NodeArgs(*node.sub);
  out.insert(out.end(), rest.begin(), rest.end());
  return out;
}

template <typename T>
T WithBase(const Request& req) {
  T t;
  static_cast<InstructionBase&>(t) = req.base;
  return t;
}

core::Result<std::vector<KeyValue>> KeyValues(const Request& req, std::string_view cmd) {
  if (req.args.empty()) return std::unexpected(ErrAtLeastOneArgument(cmd));
  if (req.args.size() % 3 != 0) {
    return std::unexpected(Error("Bad input to " + std::string(cmd) + ", too many arguments"));
  }
  std::vector<KeyValue> out;
  for (size_t i = 0; i < req.args.size(); i += 3) {
    if (req.args[i].empty()) {
      return std::unexpected(Error(std::string(cmd) + " names can not be blank"));
    }
    out.push_back({req.args[i], req.args[i + 1], req.args[i + 2].empty()});
  }
  return out;
}

core::Result<Instruction> ParseEnvOrLabel(Request& req, bool env) {
  KILN_TRY(req.flags.Parse());
  KILN_ASSIGN(auto pairs, KeyValues(req, env ? "ENV" : "LABEL"));
  if (env) {
    auto e = WithBase<EnvInstruction>(req);
    e.env = std::move(pairs);
    return e;
  }
  auto l = WithBase<LabelInstruction>(req);
  l.labels = std::move(pairs);
  return l;
}

// The one-argument instructions: MAINTAINER, WORKDIR, USER, STOPSIGNAL (no flag check).
core::Result<Instruction> ParseSingle(Request& req, const std::string& cmd) {
  std::string upper = AsciiUpper(cmd);
  if (req.args.size() != 1) return std::unexpected(ErrExactlyOneArgument(upper));
  if (cmd != "stopsignal") KILN_TRY(req.flags.Parse());
  const std::string& v = req.args[0];
  if (cmd == "maintainer") {
    auto m = WithBase<MaintainerInstruction>(req);
    m.maintainer = v;
    return m;
  }
  if (cmd == "workdir") {
    auto w = WithBase<WorkdirInstruction>(req);
    w.path = v;
    return w;
  }
  if (cmd == "user") {
    auto u = WithBase<UserInstruction>(req);
    u.user = v;
    return u;
  }
  auto s = WithBase<StopSignalInstruction>(req);
  s.signal = v;
  return s;
}

core::Result<Instruction> ParseArg(Request& req) {
  if (req.args.empty()) return std::unexpected(ErrAtLeastOneArgument("ARG"));
  auto a = WithBase<ArgInstruction>(req);
  for (const std::string& arg : req.args) {
    ArgDecl decl;
    size_t eq = arg.find('=');
    if (eq != std::string::npos) {
      if (eq == 0) return std::unexpected(Error("ARG names can not be blank"));
      decl.key = arg.substr(0, eq);
      decl.value = arg.substr(eq + 1);
    } else {
      decl.key = arg;
    }
    decl.doc_comment = DocComment(req.base.comments, decl.key);
    a.args.push_back(std::move(decl));
  }
  return a;
}

core::Result<Instruction> ParseOnbuild(Request& req) {
  if (req.args.empty()) return std::unexpected(ErrAtLeastOneArgument("ONBUILD"));
  KILN_TRY(req.flags.Parse());
  std::string trigger = GoToUpper(TrimSpace(req.args[0]));
  if (trigger == "ONBUILD") {
    return std::unexpected(Error("Chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed"));
  }
  if (trigger == "MAINTAINER" || trigger == "FROM") {
    return std::unexpected(Error(trigger + " isn't allowed as an ONBUILD trigger"));
  }
  // (?i)^\s*ONBUILD\s* removed from the original line.
  std::string_view text = req.node.original;
  auto is_space = [](char c) {
    return c == '\t' || c == '\n' || c == '\f' || c == '\r' || c == ' ';
  };
  size_t i = 0;
  while (i < text.size() && is_space(text[i])) ++i;
  if (AsciiEqualFold(text.substr(i, 7), "ONBUILD")) {
    i += 7;
    while (i < text.size() && is_space(text[i])) ++i;
    text.remove_prefix(i);
  }
  auto o = WithBase<OnbuildInstruction>(req);
  o.expression = std::string(text);
  for (const Heredoc& doc : req.node.heredocs) o.expression += "\n" + doc.content + doc.name;
  return o;
}

core::Result<Instruction> ParseList(Request& req, const std::string& cmd) {
  std::string upper = AsciiUpper(cmd);
  if (req.args.empty()) return std::unexpected(ErrAtLeastOneArgument(upper));
  KILN_TRY(req.flags.Parse());
  if (cmd == "expose") {
    auto e = WithBase<ExposeInstruction>(req);
    e.ports = req.args;
    std::sort(e.ports.begin(), e.ports.end());
    return e;
  }
  auto v = WithBase<VolumeInstruction>(req);
  for (const std::string& arg : req.args) {
    std::string_view trimmed = TrimSpace(arg);
    if (trimmed.empty())
      return std::unexpected(Error("VOLUME specified can not be an empty string"));
    v.volumes.emplace_back(trimmed);
  }
  return v;
}

bool ValidStageName(std::string_view name) {
  if (name.empty() || name[0] < 'a' || name[0] > 'z') return false;
  return std::all_of(name.begin(), name.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.';
  });
}

core::Result<FromInstruction> ParseFrom(Request& req) {
  FromInstruction f;
  static_cast<InstructionBase&>(f) = req.base;
  // strings.EqualFold(args[1], "as"): Unicode folding, so "aſ" (long s) counts too.
  if (req.args.size() == 3 && GoToLower(GoToUpper(req.args[1])) == "as") {
    f.stage_name = GoToLower(req.args[2]);
    if (!ValidStageName(f.stage_name)) {
      // BuildKit formats the name with %q (Go's strconv.Quote).
      return std::unexpected(Error("invalid name for build stage: " + GoQuote(req.args[2]) +
                                   ", name can't start with a number or contain symbols"));
    }
  } else if (req.args.size() != 1) {
    return std::unexpected(Error("FROM requires either one or three arguments"));
  }
  size_t platform = req.flags.AddString("platform", "");
  KILN_TRY(req.flags.Parse());
  f.base_name = req.args[0];
  f.platform = req.flags.Get(platform).value;
  return f;
}

const std::vector<std::string> kInstructionNames = {
    "ADD",    "ARG",   "CMD",         "COPY",  "ENTRYPOINT", "ENV",
    "EXPOSE", "FROM",  "HEALTHCHECK", "LABEL", "MAINTAINER", "ONBUILD",
    "RUN",    "SHELL", "STOPSIGNAL",  "USER",  "VOLUME",     "WORKDIR"};

core::Result<Instruction> Dispatch(Request& req, const std::string& cmd) {
  if (cmd == "env" || cmd == "label") return ParseEnvOrLabel(req, cmd == "env");
  if (cmd == "maintainer" || cmd == "workdir" || cmd == "user" || cmd == "stopsignal") {
    return ParseSingle(req, cmd);
  }
  if (cmd == "add") return ParseAdd(req);
  if (cmd == "copy") return ParseCopy(req);
  if (cmd == "onbuild") return ParseOnbuild(req);
  if (cmd == "run") return ParseRun(req);
  if (cmd == "cmd") return ParseCmd(req);
  if (cmd == "healthcheck") return ParseHealthcheck(req);
  if (cmd == "entrypoint") return ParseEntrypoint(req);
  if (cmd == "expose" || cmd == "volume") return ParseList(req, cmd);
  if (cmd == "arg") return ParseArg(req);
  if (cmd == "shell") return ParseShell(req);
  std::string msg = "unknown instruction: " + req.node.value;
  std::string hint = SuggestClosest(req.node.value, kInstructionNames, false);
  if (!hint.empty()) msg += " (did you mean " + hint + "?)";
  return std::unexpected(Error(msg));
}

}  // namespace

std::string DocComment(const std::vector<std::string>& comments, const std::string& name) {
  if (name.empty()) return "";
  for (const std::string& line : comments) {
    if (line.starts_with(name + " ")) return line.substr(name.size() + 1);
  }
  return "";
}

}  // namespace detail

core::Result<ParsedInstruction> ParseInstruction(const Node& node) {
  detail::Request req{node, detail::NodeArgs(node), BuildFlags(node.flags),
                      InstructionBase{node.value, std::string(TrimSpace(node.original)), node.range,
                                      node.comments}};
  auto locate = [&](core::Error e) {
    e.location = node.range;
    return std::unexpected(std::move(e));
  };
  std::string cmd = GoToLower(node.value);
  if (cmd == "from") {
    auto from = detail::ParseFrom(req);
    if (!from) return locate(from.error());
    return ParsedInstruction(std::move(*from));
  }
  auto instruction = detail::Dispatch(req, cmd);
  if (!instruction) return locate(instruction.error());
  return ParsedInstruction(std::move(*instruction));
}

const InstructionBase& Base(const Instruction& instruction) {
  return std::visit([](const auto& i) -> const InstructionBase& { return i; }, instruction);
}

InstructionBase& Base(Instruction& instruction) {
  return std::visit([](auto& i) -> InstructionBase& { return i; }, instruction);
}

std::string_view KindName(const Instruction& instruction) {
  static constexpr std::string_view kNames[] = {
      "ENV",     "LABEL",  "MAINTAINER", "COPY",       "ADD",         "ONBUILD",
      "WORKDIR", "RUN",    "CMD",        "ENTRYPOINT", "HEALTHCHECK", "EXPOSE",
      "USER",    "VOLUME", "STOPSIGNAL", "ARG",        "SHELL"};
  return kNames[instruction.index()];
}

}  // namespace kiln::parser
