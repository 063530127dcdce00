// Typed instructions (stage 2 of the front end): one struct per Dockerfile instruction, made
// from an AST Node with BuildKit's argument and flag rules. Values are as written; word
// expansion (expand.h) is a separate step the builder runs per stage with its environment.
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <variant>
#include <vector>

#include "core/error.h"
#include "core/source_range.h"
#include "parser/node.h"
#include "parser/run_mount.h"

namespace kiln::parser {

// What every instruction carries.
struct InstructionBase {
  std::string keyword;   // as written ("RUN", "copy")
  std::string original;  // the instruction text, continuations joined and trimmed (BuildKit's
                         // String(); use it for history created_by and cache keys)
  core::SourceRange range;
  std::vector<std::string> comments;  // comment lines just above it
};

struct KeyValue {  // ENV and LABEL pairs
  std::string key, value;
  bool legacy = false;  // `ENV key value` form (no '=')
  bool operator==(const KeyValue&) const = default;
};

struct EnvInstruction : InstructionBase {
  std::vector<KeyValue> env;
};
struct LabelInstruction : InstructionBase {
  std::vector<KeyValue> labels;
};
struct MaintainerInstruction : InstructionBase {  // deprecated; becomes the `author` field
  std::string maintainer;
};

// An inline file made from a heredoc source of COPY/ADD.
struct SourceContent {
  std::string path;    // the heredoc name
  std::string data;    // its body (tabs already chomped for <<-)
  bool expand = true;  // variables in `data` are expanded (unquoted delimiter)
};

struct SourcesAndDest {
  std::vector<std::string> source_paths;       // context or stage paths, URLs, git refs
  std::vector<SourceContent> source_contents;  // heredoc sources
  std::string dest;
};

struct CopyInstruction : InstructionBase {
  SourcesAndDest files;
  std::string from;  // --from: stage name/index or image (never variable-expanded)
  std::string chown, chmod;
  bool link = false, parents = false;
  std::vector<std::string> exclude;  // --exclude patterns
};

struct AddInstruction : InstructionBase {
  SourcesAndDest files;
  std::string chown, chmod, checksum;
  bool link = false;
  std::optional<bool> keep_git_dir;  // set only when --keep-git-dir was given
  std::optional<bool> unpack;        // set only when --unpack was given
  std::vector<std::string> exclude;
};

struct OnbuildInstruction : InstructionBase {
  std::string expression;  // the trigger text (without ONBUILD), heredoc bodies appended
};

struct WorkdirInstruction : InstructionBase {
  std::string path;
};

// An inline script file made from a heredoc of RUN.
struct ShellInlineFile {
  std::string name, data;
  bool chomp = false;
};

// The command of RUN/CMD/ENTRYPOINT: exec form (prepend_shell false, one arg per element) or
// shell form (prepend_shell true, one arg holding the whole command line).
struct CommandLine {
  std::vector<std::string> args;
  std::vector<ShellInlineFile> files;  // RUN heredocs
  bool prepend_shell = true;
};

struct RunInstruction : InstructionBase {
  CommandLine command;
  std::vector<std::string> mount_specs;  // --mount values as written
  // The mounts parsed from mount_specs when they need no expansion (no '$'); the builder calls
  // ExpandInstruction, which re-parses mount_specs with the stage environment.
  std::vector<RunMount> mounts;
  bool mounts_resolved = false;      // `mounts` covers every mount_spec
  // Per mount_spec, its `from` as written ("" when none). BuildKit records `from` when it
  // parses the mount (it may hold no variable) and expands the other options later, so the
  // build graph reads its stage edges from here, whatever the other options need.
  std::vector<std::string> mount_froms;
  std::string network = "default";   // --network: default | none | host
  std::string security = "sandbox";  // --security: sandbox | insecure
  std::vector<RunDevice> devices;    // --device
  std::vector<std::string> flags_used;
};

struct CmdInstruction : InstructionBase {
  CommandLine command;  // CMD [] sets an empty command
};
struct EntrypointInstruction : InstructionBase {
  CommandLine command;  // empty args: ENTRYPOINT [] or "" resets the entrypoint
};

struct HealthcheckInstruction : InstructionBase {
  // {"NONE"}, {"CMD", args...} (exec form) or {"CMD-SHELL", command} (shell form).
  std::vector<std::string> test;
  int64_t interval_ns = 0, timeout_ns = 0, start_period_ns = 0, start_interval_ns = 0;
  int retries = 0;
};

struct ExposeInstruction : InstructionBase {
  std::vector<std::string> ports;  // as written, sorted like BuildKit (expanded later)
};
struct UserInstruction : InstructionBase {
  std::string user;
};
struct VolumeInstruction : InstructionBase {
  std::vector<std::string> volumes;
};
struct StopSignalInstruction : InstructionBase {
  std::string signal;
};

struct ArgDecl {
  std::string key;
  std::optional<std::string> value;  // the default, as written; nullopt for `ARG NAME`
  std::string doc_comment;           // "# NAME does ..." comment text above, if any
  bool operator==(const ArgDecl&) const = default;
};
struct ArgInstruction : InstructionBase {
  std::vector<ArgDecl> args;
};

struct ShellInstruction : InstructionBase {
  std::vector<std::string> shell;
};

using Instruction =
    std::variant<EnvInstruction, LabelInstruction, MaintainerInstruction, CopyInstruction,
                 AddInstruction, OnbuildInstruction, WorkdirInstruction, RunInstruction,
                 CmdInstruction, EntrypointInstruction, HealthcheckInstruction, ExposeInstruction,
                 UserInstruction, VolumeInstruction, StopSignalInstruction, ArgInstruction,
                 ShellInstruction>;

// The common part of any instruction.
const InstructionBase& Base(const Instruction& instruction);
InstructionBase& Base(Instruction& instruction);
// Upper-case name of the instruction kind ("RUN", "COPY", ...).
std::string_view KindName(const Instruction& instruction);

// A FROM line: the start of a build stage.
struct FromInstruction : InstructionBase {
  std::string base_name;   // image reference, stage name or "scratch", as written
  std::string stage_name;  // `AS name`, lower-cased; "" when unnamed
  std::string platform;    // --platform, as written
};

// Either a FROM (which starts a stage) or an instruction inside a stage.
using ParsedInstruction = std::variant<FromInstruction, Instruction>;

// Converts one AST node (BuildKit's instructions.ParseInstruction). Fails, located at the node,
// on unknown instructions ("unknown instruction: FOO (did you mean FROM?)"), unknown or bad
// flags, missing or extra arguments, bad durations, mounts, network or security modes.
core::Result<ParsedInstruction> ParseInstruction(const Node& node);

}  // namespace kiln::parser
