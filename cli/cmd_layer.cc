// kiln layer create|check: plumbing for tests and benchmarks. `create` writes one layer from a
// directory and prints its digests as JSON; `check` lists the rule breaches of a Windows layer.
#include <cstdlib>
#include <iostream>

#include "cli/command.h"
#include "core/image.h"
#include "layers/blob_store.h"
#include "layers/host_tree.h"
#include "layers/layer_check.h"
#include "layers/layer_tree.h"
#include "layers/layer_writer.h"

namespace kiln::cli {
namespace {

struct CreateArgs {
  std::string format = "linux";
  std::string compression = "gzip";
  int level = -1;
  std::string output;
  std::string dir;
  bool base = false;
  bool docker_types = false;
  bool keep_owner = false;
  std::string windows_acl = "users";
};

core::Result<std::optional<int64_t>> SourceDateEpoch() {
  const char* v = std::getenv("SOURCE_DATE_EPOCH");
  if (!v || !*v) return std::nullopt;
  char* end = nullptr;
  long long t = std::strtoll(v, &end, 10);
  if (*end != '\0')
    return core::Fail(core::ErrorCode::kInvalidInput,
                      "SOURCE_DATE_EPOCH must be whole seconds, not \"" + std::string(v) + "\"");
  return static_cast<int64_t>(t);
}

core::Status RunCreate(const CreateArgs& a) {
  layers::LayerOptions o;
  KILN_ASSIGN(o.flavor, layers::ParseLayerFlavor(a.format));
  KILN_ASSIGN(o.compression.kind, layers::ParseCompression(a.compression));
  o.compression.level = a.level;
  KILN_ASSIGN(o.source_date_epoch, SourceDateEpoch());
  o.windows_base_layer = a.base;
  o.docker_media_types = a.docker_types;
  KILN_ASSIGN(o.windows_acl, layers::windows::ParseAcl(a.windows_acl));
  layers::LayerTree tree(o.flavor);
  layers::HostTreeOptions ho;
  ho.keep_owner = a.keep_owner;
  KILN_TRY(layers::AddHostTree(tree, a.dir, o.flavor == layers::LayerFlavor::kWindows ? "Files" : "",
                               ho));
  KILN_ASSIGN(auto out, layers::NewFileBlobWriter(a.output));
  KILN_ASSIGN(auto writer, layers::LayerWriter::Create(o, std::move(out)));
  KILN_TRY(tree.WriteTo(*writer));
  KILN_ASSIGN(auto r, writer->Finish());
  core::Json j = core::Json::object();
  j["digest"] = r.blob.digest.ToString();
  j["diff_id"] = r.diff_id.ToString();
  j["size"] = r.blob.size;
  j["media_type"] = r.blob.media_type;
  j["uncompressed_size"] = r.tar_size;
  j["entries"] = r.entries;
  std::cout << j.dump() << "\n";
  return {};
}

struct CheckArgs {
  std::string file;
  bool base = false;
  bool json = false;
};

core::Status RunCheck(const CheckArgs& a, Globals& g) {
  KILN_ASSIGN(auto report, layers::CheckWindowsLayerFile(a.file, {a.base}));
  size_t errors = 0;
  core::Json arr = core::Json::array();
  for (const auto& v : report.violations) {
    bool error = v.severity == layers::Violation::Severity::kError;
    errors += error;
    if (a.json) {
      arr.push_back({{"severity", error ? "error" : "warning"}, {"index", v.index},
                     {"name", v.name}, {"rule", v.rule}, {"message", v.message}});
    } else {
      std::cout << (error ? "error: " : "warning: ") << v.ToString() << "\n";
    }
  }
  if (a.json) {
    std::cout << core::Json{{"entries", report.entries}, {"violations", arr}}.dump() << "\n";
  } else {
    std::cout << report.entries << " entries, " << errors << " errors, "
              << report.violations.size() - errors << " warnings\n";
  }
  if (errors > 0) g.exit_code = 1;
  return {};
}

void AddLayerCommand(CLI::App& app, Globals& g) {
  auto* layer = app.add_subcommand("layer", "Layer plumbing: create one layer, check a layer");
  layer->require_subcommand(1);

  auto* create = layer->add_subcommand("create", "Write one layer from a directory; print JSON "
                                                 "with digest, diff_id, size and media_type");
  auto a = std::make_shared<CreateArgs>();
  create->add_option("--format", a->format, "Layer flavour: windows (DIR is C:\\) or linux")
      ->check(CLI::IsMember({"windows", "linux"}));
  create->add_option("--compression", a->compression, "gzip (ISA-L), zstd or none")
      ->check(CLI::IsMember({"gzip", "zstd", "none"}));
  create->add_option("--level", a->level,
                     "Compression level (gzip 0-3 ISA-L, 4-9 zlib; default 1. zstd 1-22; default 3)");
  create->add_option("-o,--output", a->output, "Layer blob file to write")->required();
  create->add_flag("--base", a->base, "Windows base layer (no Hives entry, no whiteouts)");
  create->add_flag("--docker-media-types", a->docker_types, "Docker media types instead of OCI");
  create->add_option("--windows-acl", a->windows_acl,
                     "Windows: descriptors of files and directories: users (owner BUILTIN\\Users, "
                     "no DACL; default) or builtin (BuildKit's, with a DACL)")
      ->check(CLI::IsMember({"users", "builtin"}));
  create->add_flag("--keep-owner", a->keep_owner, "Linux: keep file uid/gid (default 0/0)");
  create->add_option("DIR", a->dir, "Directory to put in the layer")->required();
  create->callback([a, &g] { g.status = RunCreate(*a); });

  auto* check = layer->add_subcommand("check", "List every Windows layer rule a layer breaks "
                                               "(windows-layer-format.md 1.7 / 6); exit 1 on errors");
  auto c = std::make_shared<CheckArgs>();
  check->add_option("FILE", c->file, "Layer blob (tar, tar+gzip or tar+zstd)")->required();
  check->add_flag("--base", c->base, "Check as a base layer");
  check->add_flag("--json", c->json, "JSON output");
  check->callback([c, &g] { g.status = RunCheck(*c, g); });
}

const CommandRegistrar kReg(58, &AddLayerCommand);

}  // namespace
}  // namespace kiln::cli
