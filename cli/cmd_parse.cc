// kiln parse: reads a Dockerfile and prints BuildKit's AST dump (--dump), the typed
// instructions as JSON (--json), or a short summary of the stages.
#include <filesystem>
#include <fstream>
#include <iostream>
#include <iterator>
#include <memory>
#include <sstream>

#include "cli/command.h"
#include "cli/parse_summary.h"
#include "core/sys_fs.h"
#include "parser/ast.h"
#include "parser/dockerfile.h"
#include "parser/dockerfile_json.h"

namespace kiln::cli {
namespace {

namespace fs = std::filesystem;

struct ParseOptions {
  std::string file;
  bool dump = false;
  bool json = false;
  std::string platform;
  std::string context = ".";
};

// -f FILE as given; else CONTEXT/Dockerfile, falling back to CONTEXT/dockerfile like docker.
std::string DockerfilePath(const ParseOptions& o) {
  if (!o.file.empty()) return o.file;
  fs::path dir = sys::U8Path(o.context);
  fs::path upper = (dir / "Dockerfile").lexically_normal();
  std::error_code ec;
  if (!fs::exists(upper, ec) && fs::exists(dir / "dockerfile", ec)) {
    return sys::GenericPathString((dir / "dockerfile").lexically_normal());
  }
  return sys::GenericPathString(upper);
}

core::Status RunParse(const ParseOptions& o) {
  std::string path = DockerfilePath(o);
  KILN_ASSIGN(std::string text, parser::ReadDockerfile(path));
  std::string shown = path == "-" ? "<stdin>" : path;
  if (o.dump) {
    KILN_ASSIGN(parser::Ast ast, parser::ParseAst(text, shown));
    std::cout << ast.Dump() << "\n";
    return {};
  }
  KILN_ASSIGN(parser::Dockerfile df, parser::ParseDockerfile(text, shown));
  if (o.json) {
    std::cout << parser::DockerfileToJson(df, shown);
    return {};
  }
  SummaryOptions summary{shown, path == "-" ? "" : path, o.platform, o.context};
  KILN_ASSIGN(std::string out, Summarize(df, summary));
  std::cout << out;
  return {};
}

void AddParseCommand(CLI::App& app, Globals& g) {
  auto opts = std::make_shared<ParseOptions>();
  CLI::App* cmd = app.add_subcommand(
      "parse", "Parse a Dockerfile: BuildKit's AST dump, typed instructions as JSON, or a summary");
  cmd->add_option("-f,--file", opts->file,
                  "Dockerfile to read (default CONTEXT/Dockerfile; - reads stdin)");
  CLI::Option* dump = cmd->add_flag("--dump", opts->dump, "Print BuildKit's AST dump format");
  CLI::Option* json = cmd->add_flag("--json", opts->json,
                                    "Print stages and typed instructions with locations as JSON");
  dump->excludes(json);
  cmd->add_option("--platform", opts->platform,
                  "Target platform for the summary's expanded base images "
                  "(e.g. windows/amd64:10.0.20348)");
  cmd->add_option("context", opts->context, "Build context directory (default .)");
  cmd->callback([opts, &g] { g.status = RunParse(*opts); });
}

const CommandRegistrar kRegistrar(40, &AddParseCommand);

}  // namespace
}  // namespace kiln::cli
