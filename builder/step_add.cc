// ADD: local files and directories as COPY; local tar archives unpacked by docker's rule for the
// target OS; http(s) URLs downloaded (with --checksum verified); git sources refused.
#include <algorithm>

#include "builder/copy_plan.h"
#include "builder/stage_builder.h"
#include "builder/target_path.h"
#include "core/cancel.h"
#include "core/sys_fs.h"
#include "layers/compression.h"
#include "layers/fs_util.h"
#include "layers/apply_layer.h"
#include "parser/expand.h"
#include "registry/transport.h"

namespace kiln::builder {
namespace {

using core::ErrorCode;

bool IsUrl(std::string_view s) { return s.starts_with("http://") || s.starts_with("https://"); }

bool IsGit(std::string_view s) {
  return s.starts_with("git@") || s.starts_with("git://") || s.starts_with("ssh://") ||
         (IsUrl(s) && (s.ends_with(".git") || s.find(".git#") != std::string_view::npos));
}

// Whether a host file is a tar archive (plain, gzip or zstd): the ustar magic after
// decompressing its first block.
bool IsTarArchive(const std::string& path) {
  int fd = sys::Open(path, sys::kRead);
  if (fd < 0) return false;
  layers::FdReader file(fd, path);
  auto tar = layers::NewDecompressor(file, {1 << 20});
  if (!tar) return false;
  char block[512];
  size_t got = 0;
  while (got < sizeof block) {
    auto n = (*tar)->Read(block + got, sizeof block - got);
    if (!n || *n == 0) break;
    got += *n;
  }
  return got == sizeof block && std::string_view(block + 257, 5) == "ustar";
}

std::string UrlBaseName(std::string_view url) {
  std::string_view path = url.substr(url.find("//") + 2);
  if (auto q = path.find_first_of("?#"); q != std::string_view::npos) path = path.substr(0, q);
  auto slash = path.rfind('/');
  std::string name = slash == std::string_view::npos ? "" : std::string(path.substr(slash + 1));
  return name.empty() ? "download" : name;
}

// One ADD source after the first pass.
struct AddSource {
  enum class Kind { kUrl, kArchive, kPlain };
  Kind kind;
  std::string url;          // kUrl
  std::string name;         // file name a URL is saved as
  std::string downloaded;   // kUrl: where it was saved (empty when --checksum allowed a skip)
  ContextEntry entry;       // kArchive, kPlain
};

}  // namespace

core::Status StageBuilder::Add(const parser::AddInstruction& i) {
  KILN_ASSIGN(parser::AddInstruction a, Expanded(i));
  bool windows = state_.windows();
  for (const auto& s : a.files.source_paths)
    if (IsGit(s))
      return core::Fail(ErrorCode::kUnsupported,
                        "ADD of a git repository (" + s + ") is not supported by kiln: clone it "
                        "into the build context and COPY it");
  bool any_url = std::any_of(a.files.source_paths.begin(), a.files.source_paths.end(),
                             [](const std::string& s) { return IsUrl(s); });
  if (!a.checksum.empty() && !any_url)
    return core::Fail(ErrorCode::kInvalidInput, "ADD --checksum needs an http(s) source");
  // docker's rule: Linux targets unpack local tar archives; Windows targets do not (Microsoft:
  // "this functionality is not available in Windows") unless --unpack=true asks for it.
  bool unpack = a.unpack.value_or(!windows);
  if (!any_url && !unpack)
    return CopyFiles(i, "", a.files, a.chown, a.chmod, false, a.exclude, "ADD");

  // Pass 1: what the step depends on, without unpacking anything (a cache hit stops here).
  KILN_ASSIGN(std::string scratch, ScratchFor("add"));
  std::vector<AddSource> sources;
  std::string material = "ADD unpack=" + std::string(unpack ? "1" : "0") + " chown=" + a.chown +
                         " chmod=" + a.chmod + " dest=" + a.files.dest;
  for (const auto& e : a.exclude) material += " exclude=" + e;
  for (const auto& src : a.files.source_paths) {
    KILN_TRY(core::CheckCancelled());
    if (IsUrl(src)) {
      AddSource s{AddSource::Kind::kUrl, src, UrlBaseName(src), "", {}};
      if (!a.checksum.empty()) {
        material += "\nurl " + src + " " + a.checksum;
      } else {
        std::string dir = scratch + "/u" + std::to_string(sources.size());
        KILN_TRY(layers::MakeDirs(dir));
        s.downloaded = dir + "/" + s.name;
        KILN_ASSIGN(core::Digest d, Download(src, s.downloaded, ""));
        material += "\nurl " + src + " " + d.ToString();
      }
      sources.push_back(std::move(s));
      continue;
    }
    KILN_ASSIGN(auto matches, session_.context().Match(NormalizeSource(src, windows, false)));
    for (auto& m : matches) {
      bool archive = unpack && m.type == ContextEntry::Type::kFile && IsTarArchive(m.host_path);
      if (archive || m.type == ContextEntry::Type::kFile) {
        KILN_ASSIGN(core::Digest d, session_.context().FileDigest(m));
        material += std::string(archive ? "\narchive " : "\nfile ") + m.rel + " " + d.ToString();
      } else {
        CopyPlan one;
        one.Add({"/", m, "", false, false});
        KILN_TRY(session_.context().WalkEach(m, [&](ContextEntry&& c) -> core::Status {
          one.Add({"/" + c.rel, std::move(c), "", false, false});
          return {};
        }));
        KILN_ASSIGN(std::string dir_material, PlanMaterial(session_.context(), one, windows, meter_.get()));
        material += "\ndir " + m.rel + "\n" + dir_material;
      }
      sources.push_back({archive ? AddSource::Kind::kArchive : AddSource::Kind::kPlain, "", "", "",
                         std::move(m)});
    }
  }
  core::Digest key = BuildCache::Chain(state_.key, material);
  KILN_ASSIGN(TargetPath dest, ResolveDestination(windows, state_.config.config.working_dir, a.files.dest));
  bool several = sources.size() > 1 || std::any_of(sources.begin(), sources.end(), [](const AddSource& s) {
                   return s.kind == AddSource::Kind::kArchive;
                 });
  if (several && !dest.is_dir && !state_.known_dirs.count(windows ? dest.path : dest.path)) dest.is_dir = true;
  if (UseCached(i, key)) {
    RememberDirs(dest, nullptr);
    return {};
  }

  // Pass 2: downloads and unpacked archives are staged in a scratch tree; plain context entries
  // are planned where they are (already resolved inside the context: a staging symlink to them
  // would be re-rooted at the scratch tree). Then all is copied like COPY does.
  KILN_ASSIGN(CopyOptions options, MakeCopyOptions(a.chown, a.chmod, false, a.exclude));
  std::vector<std::string> staged(sources.size());
  for (size_t n = 0; n < sources.size(); ++n) {
    AddSource& s = sources[n];
    if (s.kind == AddSource::Kind::kPlain) continue;
    std::string slot = scratch + "/s" + std::to_string(n);
    KILN_TRY(layers::MakeDirs(slot));
    std::string rel = "s" + std::to_string(n);
    if (s.kind == AddSource::Kind::kUrl) {
      if (s.downloaded.empty()) {
        KILN_ASSIGN(core::Digest d, Download(s.url, slot + "/" + s.name, a.checksum));
        (void)d;
      } else if (sys::Rename(s.downloaded, slot + "/" + s.name) != 0) {
        return layers::ErrnoError("staging", s.downloaded);
      }
      staged[n] = rel + "/" + s.name;
    } else {
      int fd = sys::Open(s.entry.host_path, sys::kRead);
      if (fd < 0) return layers::ErrnoError("opening", s.entry.host_path);
      layers::FdReader file(fd, s.entry.host_path);
      layers::ApplyOptions options;
      options.restore_owner = false;
      auto applied = layers::ApplyLayerBlob(file, slot, options);
      if (!applied) return core::Fail(applied.error().Wrap("unpacking " + s.entry.rel));
      staged[n] = rel;
    }
  }
  KILN_ASSIGN(auto scratch_ctx, BuildContext::Open(scratch, {}, ""));
  bool into_dir = dest.is_dir || state_.known_dirs.count(dest.path) > 0;
  CopyPlan plan;
  for (size_t n = 0; n < sources.size(); ++n) {
    CopyPlan part;
    if (sources[n].kind == AddSource::Kind::kPlain) {
      KILN_ASSIGN(part, PlanEntries(session_.context(), {sources[n].entry}, dest, into_dir, options));
    } else {
      KILN_ASSIGN(auto matches, scratch_ctx->Match(staged[n]));
      KILN_ASSIGN(part, PlanEntries(*scratch_ctx, std::move(matches), dest, into_dir, options));
    }
    plan.Append(part);
  }
  KILN_TRY(CommitPlan(i, plan, options, key));
  RememberDirs(dest, &plan);
  return {};
}

core::Result<std::string> StageBuilder::ScratchFor(std::string_view purpose) {
  return session_.ScratchDir(purpose);
}

core::Result<core::Digest> StageBuilder::Download(const std::string& url, const std::string& path,
                                                  const std::string& checksum) {
  static std::shared_ptr<registry::Transport> transport = registry::MakeCurlTransport();
  KILN_ASSIGN(auto out, layers::NewFileBlobWriter(path));
  // Downloaded bytes count into the step's progress.
  struct Counting : core::Writer {
    core::Writer& inner;
    core::ProgressMeter& meter;
    Counting(core::Writer& w, core::ProgressMeter& m) : inner(w), meter(m) {}
    core::Status Write(const void* data, size_t size) override {
      meter.Add(0, size);
      return inner.Write(data, size);
    }
    using core::Writer::Write;
  } counting(*out, *meter_);
  meter_->Phase("downloading", 0, 0);
  registry::HttpRequest req;
  req.url = url;
  req.follow_redirects = true;
  req.sink = &counting;
  req.body_limit = 0;
  req.should_abort = [] { return core::CancelRequested(); };
  registry::HttpResponse resp = transport->Send(req);
  if (resp.failure != registry::NetFailure::kNone)
    return core::Fail(ErrorCode::kNetwork, "ADD " + url + ": " + resp.error);
  if (resp.status < 200 || resp.status >= 300)
    return core::Fail(ErrorCode::kNetwork, "ADD " + url + ": HTTP status " + std::to_string(resp.status));
  std::optional<core::Digest> want;
  if (!checksum.empty()) {
    KILN_ASSIGN(want, core::Digest::Parse(checksum));
  }
  auto committed = out->Commit("application/octet-stream", want ? &*want : nullptr);
  if (!committed) {
    if (want && committed.error().code == ErrorCode::kConflict)
      return core::Fail(ErrorCode::kInvalidInput, "ADD " + url + ": checksum mismatch (expected " +
                                                      checksum + ")");
    return std::unexpected(committed.error());
  }
  return committed->digest;
}

}  // namespace kiln::builder
