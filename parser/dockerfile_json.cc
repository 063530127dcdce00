#include "parser/dockerfile_json.h"

#include <algorithm>
#include <functional>

#include "parser/json_writer.h"

namespace kiln::parser {
namespace {

// An object's members, printed sorted by key (the documented order).
class Members {
 public:
  explicit Members(JsonWriter& w) : w_(w) {}
  Members& Add(std::string_view key, std::function<void(JsonWriter&)> value) {
    items_.emplace_back(key, std::move(value));
    return *this;
  }
  void Write() {
    std::sort(items_.begin(), items_.end(),  // keys are unique
              [](const auto& a, const auto& b) { return a.first < b.first; });
    w_.BeginObject();
    for (auto& [key, value] : items_) {
      w_.Key(key);
      value(w_);
    }
    w_.EndObject();
  }

 private:
  JsonWriter& w_;
  std::vector<std::pair<std::string_view, std::function<void(JsonWriter&)>>> items_;
};

void Location(JsonWriter& w, const core::SourceRange& r) {
  w.BeginObject().Key("end").BeginObject().Key("column").Int(r.end.column);
  w.Key("line").Int(r.end.line).EndObject();
  w.Key("start").BeginObject().Key("column").Int(r.start.column);
  w.Key("line").Int(r.start.line).EndObject().EndObject();
}

void Common(Members& m, std::string_view kind, const InstructionBase& b) {
  m.Add("comments", [&b](JsonWriter& w) { w.Strings(b.comments); })
      .Add("instruction", [kind](JsonWriter& w) { w.String(kind); })
      .Add("keyword", [&b](JsonWriter& w) { w.String(b.keyword); })
      .Add("location", [&b](JsonWriter& w) { Location(w, b.range); })
      .Add("original", [&b](JsonWriter& w) { w.String(b.original); });
}

void Pairs(JsonWriter& w, const std::vector<KeyValue>& pairs) {
  w.BeginArray();
  for (const KeyValue& kv : pairs) {
    w.BeginObject().Key("key").String(kv.key).Key("legacy").Bool(kv.legacy);
    w.Key("value").String(kv.value).EndObject();
  }
  w.EndArray();
}

void Command(JsonWriter& w, const CommandLine& c) {
  w.BeginObject().Key("args").Strings(c.args).Key("files").BeginArray();
  for (const ShellInlineFile& f : c.files) {
    w.BeginObject().Key("chomp").Bool(f.chomp).Key("data").String(f.data);
    w.Key("name").String(f.name).EndObject();
  }
  w.EndArray().Key("shell_form").Bool(c.prepend_shell).EndObject();
}

void Files(Members& m, const SourcesAndDest& f) {
  m.Add("sources", [&f](JsonWriter& w) { w.Strings(f.source_paths); })
      .Add("heredocs",
           [&f](JsonWriter& w) {
             w.BeginArray();
             for (const SourceContent& c : f.source_contents) {
               w.BeginObject().Key("data").String(c.data).Key("expand").Bool(c.expand);
               w.Key("path").String(c.path).EndObject();
             }
             w.EndArray();
           })
      .Add("dest", [&f](JsonWriter& w) { w.String(f.dest); });
}

template <typename T, typename Fn>
void Optional(JsonWriter& w, const std::optional<T>& v, Fn fn) {
  if (v) {
    (w.*fn)(*v);
  } else {
    w.Null();
  }
}

void Mount(JsonWriter& w, const RunMount& m) {
  w.BeginObject().Key("env");
  Optional(w, m.env, &JsonWriter::String);
  w.Key("from").String(m.from).Key("gid");
  Optional(w, m.gid, &JsonWriter::Uint);
  w.Key("id").String(m.cache_id).Key("mode");
  Optional(w, m.mode, &JsonWriter::Uint);
  w.Key("readonly").Bool(m.read_only).Key("required").Bool(m.required);
  w.Key("sharing").String(m.sharing).Key("size").Int(m.size_limit);
  w.Key("source").String(m.source).Key("target").String(m.target).Key("type").String(m.type);
  w.Key("uid");
  Optional(w, m.uid, &JsonWriter::Uint);
  w.EndObject();
}

void Run(Members& m, const RunInstruction& i) {
  m.Add("command", [&i](JsonWriter& w) { Command(w, i.command); })
      .Add("mount_specs", [&i](JsonWriter& w) { w.Strings(i.mount_specs); })
      .Add("mounts",
           [&i](JsonWriter& w) {
             if (!i.mounts_resolved) {
               w.Null();
               return;
             }
             w.BeginArray();
             for (const RunMount& mount : i.mounts) Mount(w, mount);
             w.EndArray();
           })
      .Add("network", [&i](JsonWriter& w) { w.String(i.network); })
      .Add("security", [&i](JsonWriter& w) { w.String(i.security); })
      .Add("devices", [&i](JsonWriter& w) {
        w.BeginArray();
        for (const RunDevice& d : i.devices) {
          w.BeginObject().Key("name").String(d.name).Key("required").Bool(d.required).EndObject();
        }
        w.EndArray();
      });
}

using Str = const std::string&;

struct Fields {
  Members& m;
  void operator()(const EnvInstruction& i) {
    m.Add("env", [&i](JsonWriter& w) { Pairs(w, i.env); });
  }
  void operator()(const LabelInstruction& i) {
    m.Add("labels", [&i](JsonWriter& w) { Pairs(w, i.labels); });
  }
  void operator()(const MaintainerInstruction& i) { Text("maintainer", i.maintainer); }
  void operator()(const CopyInstruction& i) {
    Files(m, i.files);
    Text("from", i.from);
    Text("chown", i.chown);
    Text("chmod", i.chmod);
    Flag("link", i.link);
    Flag("parents", i.parents);
    List("exclude", i.exclude);
  }
  void operator()(const AddInstruction& i) {
    Files(m, i.files);
    Text("chown", i.chown);
    Text("chmod", i.chmod);
    Text("checksum", i.checksum);
    Flag("link", i.link);
    Maybe("keep_git_dir", i.keep_git_dir);
    Maybe("unpack", i.unpack);
    List("exclude", i.exclude);
  }
  void operator()(const OnbuildInstruction& i) { Text("expression", i.expression); }
  void operator()(const WorkdirInstruction& i) { Text("path", i.path); }
  void operator()(const RunInstruction& i) { Run(m, i); }
  void operator()(const CmdInstruction& i) {
    m.Add("command", [&i](JsonWriter& w) { Command(w, i.command); });
  }
  void operator()(const EntrypointInstruction& i) {
    m.Add("command", [&i](JsonWriter& w) { Command(w, i.command); });
  }
  void operator()(const HealthcheckInstruction& i) {
    List("test", i.test);
    Number("interval_ns", i.interval_ns);
    Number("timeout_ns", i.timeout_ns);
    Number("start_period_ns", i.start_period_ns);
    Number("start_interval_ns", i.start_interval_ns);
    Number("retries", i.retries);
  }
  void operator()(const ExposeInstruction& i) { List("ports", i.ports); }
  void operator()(const UserInstruction& i) { Text("user", i.user); }
  void operator()(const VolumeInstruction& i) { List("volumes", i.volumes); }
  void operator()(const StopSignalInstruction& i) { Text("signal", i.signal); }
  void operator()(const ArgInstruction& i) {
    m.Add("args", [&i](JsonWriter& w) {
      w.BeginArray();
      for (const ArgDecl& a : i.args) {
        w.BeginObject().Key("doc").String(a.doc_comment).Key("key").String(a.key).Key("value");
        Optional(w, a.value, &JsonWriter::String);
        w.EndObject();
      }
      w.EndArray();
    });
  }
  void operator()(const ShellInstruction& i) { List("shell", i.shell); }

  void Text(std::string_view key, Str v) {
    m.Add(key, [&v](JsonWriter& w) { w.String(v); });
  }
  void Flag(std::string_view key, bool v) {
    m.Add(key, [v](JsonWriter& w) { w.Bool(v); });
  }
  void Number(std::string_view key, int64_t v) {
    m.Add(key, [v](JsonWriter& w) { w.Int(v); });
  }
  void List(std::string_view key, const std::vector<std::string>& v) {
    m.Add(key, [&v](JsonWriter& w) { w.Strings(v); });
  }
  void Maybe(std::string_view key, const std::optional<bool>& v) {
    m.Add(key, [&v](JsonWriter& w) { Optional(w, v, &JsonWriter::Bool); });
  }
};

void WriteInstruction(JsonWriter& w, const Instruction& instruction) {
  Members m(w);
  Common(m, KindName(instruction), Base(instruction));
  std::visit(Fields{m}, instruction);
  m.Write();
}

void WriteStage(JsonWriter& w, const Stage& stage, size_t index) {
  w.BeginObject().Key("doc").String(stage.doc_comment).Key("from");
  Members from(w);
  Common(from, "FROM", stage.from);
  from.Add("base", [&stage](JsonWriter& jw) { jw.String(stage.from.base_name); })
      .Add("platform", [&stage](JsonWriter& jw) { jw.String(stage.from.platform); })
      .Write();
  w.Key("index").Uint(index).Key("instructions").BeginArray();
  for (const Instruction& i : stage.instructions) WriteInstruction(w, i);
  w.EndArray().Key("name").String(stage.name).EndObject();
}

}  // namespace

std::string DockerfileToJson(const Dockerfile& df, const std::string& file) {
  JsonWriter w;
  w.BeginObject().Key("directives").BeginArray();
  for (const Directive& d : df.directives) {
    w.BeginObject().Key("line").Int(d.line).Key("name").String(d.name);
    w.Key("value").String(d.value).EndObject();
  }
  w.EndArray().Key("escape").String(std::string(1, df.escape)).Key("file").String(file);
  w.Key("meta_args").BeginArray();
  for (const ArgInstruction& a : df.meta_args) WriteInstruction(w, Instruction(a));
  w.EndArray().Key("stages").BeginArray();
  for (size_t i = 0; i < df.stages.size(); ++i) WriteStage(w, df.stages[i], i);
  w.EndArray().Key("version").Int(kParseJsonVersion).Key("warnings").BeginArray();
  for (const ParseWarning& warning : df.warnings) {
    w.BeginObject().Key("line").Int(warning.line).Key("message").String(warning.message);
    w.EndObject();
  }
  w.EndArray().EndObject();
  return w.Take();
}

}  // namespace kiln::parser
