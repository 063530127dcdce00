#include "parser/dockerfile_json.h"

#include <nlohmann/json.hpp>

namespace kiln::parser {
namespace {

using nlohmann::json;

json Location(const core::SourceRange& r) {
  return {{"start", {{"line", r.start.line}, {"column", r.start.column}}},
          {"end", {{"line", r.end.line}, {"column", r.end.column}}}};
}

json Common(std::string_view kind, const InstructionBase& b) {
  return {{"instruction", kind},
          {"keyword", b.keyword},
          {"original", b.original},
          {"location", Location(b.range)},
          {"comments", b.comments}};
}

json Pairs(const std::vector<KeyValue>& pairs) {
  json out = json::array();
  for (const KeyValue& kv : pairs) {
    out.push_back({{"key", kv.key}, {"value", kv.value}, {"legacy", kv.legacy}});
  }
  return out;
}

json Command(const CommandLine& c) {
  json files = json::array();
  for (const ShellInlineFile& f : c.files) {
    files.push_back({{"name", f.name}, {"data", f.data}, {"chomp", f.chomp}});
  }
  return {{"args", c.args}, {"shell_form", c.prepend_shell}, {"files", files}};
}

void Files(json& j, const SourcesAndDest& f) {
  j["sources"] = f.source_paths;
  json docs = json::array();
  for (const SourceContent& c : f.source_contents) {
    docs.push_back({{"path", c.path}, {"data", c.data}, {"expand", c.expand}});
  }
  j["heredocs"] = docs;
  j["dest"] = f.dest;
}

json Mount(const RunMount& m) {
  auto opt = [](const auto& o) { return o ? json(*o) : json(nullptr); };
  return {{"type", m.type},       {"from", m.from},         {"source", m.source},
          {"target", m.target},   {"readonly", m.read_only}, {"size", m.size_limit},
          {"id", m.cache_id},     {"sharing", m.sharing},   {"required", m.required},
          {"env", opt(m.env)},    {"mode", opt(m.mode)},    {"uid", opt(m.uid)},
          {"gid", opt(m.gid)}};
}

json Args(const std::vector<ArgDecl>& args) {
  json out = json::array();
  for (const ArgDecl& a : args) {
    out.push_back({{"key", a.key},
                   {"value", a.value ? json(*a.value) : json(nullptr)},
                   {"doc", a.doc_comment}});
  }
  return out;
}

struct Fields {
  json& j;
  void operator()(const EnvInstruction& i) { j["env"] = Pairs(i.env); }
  void operator()(const LabelInstruction& i) { j["labels"] = Pairs(i.labels); }
  void operator()(const MaintainerInstruction& i) { j["maintainer"] = i.maintainer; }
  void operator()(const CopyInstruction& i) {
    Files(j, i.files);
    j.update({{"from", i.from}, {"chown", i.chown}, {"chmod", i.chmod}, {"link", i.link},
              {"parents", i.parents}, {"exclude", i.exclude}});
  }
  void operator()(const AddInstruction& i) {
    Files(j, i.files);
    auto opt = [](const std::optional<bool>& b) { return b ? json(*b) : json(nullptr); };
    j.update({{"chown", i.chown}, {"chmod", i.chmod}, {"checksum", i.checksum},
              {"link", i.link}, {"keep_git_dir", opt(i.keep_git_dir)},
              {"unpack", opt(i.unpack)}, {"exclude", i.exclude}});
  }
  void operator()(const OnbuildInstruction& i) { j["expression"] = i.expression; }
  void operator()(const WorkdirInstruction& i) { j["path"] = i.path; }
  void operator()(const RunInstruction& i) {
    j["command"] = Command(i.command);
    j["mount_specs"] = i.mount_specs;
    json mounts = json::array();
    for (const RunMount& m : i.mounts) mounts.push_back(Mount(m));
    j["mounts"] = i.mounts_resolved ? mounts : json(nullptr);
    j["network"] = i.network;
    j["security"] = i.security;
    json devices = json::array();
    for (const RunDevice& d : i.devices) {
      devices.push_back({{"name", d.name}, {"required", d.required}});
    }
    j["devices"] = devices;
  }
  void operator()(const CmdInstruction& i) { j["command"] = Command(i.command); }
  void operator()(const EntrypointInstruction& i) { j["command"] = Command(i.command); }
  void operator()(const HealthcheckInstruction& i) {
    j.update({{"test", i.test}, {"interval_ns", i.interval_ns}, {"timeout_ns", i.timeout_ns},
              {"start_period_ns", i.start_period_ns},
              {"start_interval_ns", i.start_interval_ns}, {"retries", i.retries}});
  }
  void operator()(const ExposeInstruction& i) { j["ports"] = i.ports; }
  void operator()(const UserInstruction& i) { j["user"] = i.user; }
  void operator()(const VolumeInstruction& i) { j["volumes"] = i.volumes; }
  void operator()(const StopSignalInstruction& i) { j["signal"] = i.signal; }
  void operator()(const ArgInstruction& i) { j["args"] = Args(i.args); }
  void operator()(const ShellInstruction& i) { j["shell"] = i.shell; }
};

json InstructionJson(const Instruction& instruction) {
  json j = Common(KindName(instruction), Base(instruction));
  std::visit(Fields{j}, instruction);
  return j;
}

json StageJson(const Stage& stage, size_t index) {
  json from = Common("FROM", stage.from);
  from.update({{"base", stage.from.base_name}, {"platform", stage.from.platform}});
  json instructions = json::array();
  for (const Instruction& i : stage.instructions) instructions.push_back(InstructionJson(i));
  return {{"index", index},
          {"name", stage.name},
          {"doc", stage.doc_comment},
          {"from", from},
          {"instructions", instructions}};
}

}  // namespace

std::string DockerfileToJson(const Dockerfile& df, const std::string& file) {
  json directives = json::array();
  for (const Directive& d : df.directives) {
    directives.push_back({{"name", d.name}, {"value", d.value}, {"line", d.line}});
  }
  json warnings = json::array();
  for (const ParseWarning& w : df.warnings) {
    warnings.push_back({{"message", w.message}, {"line", w.line}});
  }
  json meta = json::array();
  for (const ArgInstruction& a : df.meta_args) meta.push_back(InstructionJson(a));
  json stages = json::array();
  for (size_t i = 0; i < df.stages.size(); ++i) stages.push_back(StageJson(df.stages[i], i));
  json doc = {{"version", kParseJsonVersion},
              {"file", file},
              {"escape", std::string(1, df.escape)},
              {"directives", directives},
              {"warnings", warnings},
              {"meta_args", meta},
              {"stages", stages}};
  return doc.dump(2, ' ', false, json::error_handler_t::replace) + "\n";
}

}  // namespace kiln::parser
