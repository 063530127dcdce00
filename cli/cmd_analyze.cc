// kiln analyze IMAGE: layer table, largest files and directories, dive's efficiency and wasted
// bytes, and what `kiln shrink` would save; --ci checks dive's three thresholds.
#include <cctype>
#include <cstdio>
#include <fstream>
#include <iostream>

#include "cli/image_target.h"
#include "core/sys_fs.h"
#include "cli/progress_renderer.h"
#include "layers/image_inspect.h"

namespace kiln::cli {
namespace {

struct AnalyzeArgs {
  std::string name;
  std::string html;  // --html FILE
  bool json = false, ci = false, dedupe = false;
  double lowest_efficiency = 0.9;
  std::string highest_wasted_bytes = "disabled";
  std::string highest_user_wasted_percent = "0.1";
  JunkFlags junk;
};

// "20MB", "1.5GiB", "123" (bytes) as humanize.ParseBytes reads them; "disabled" = no limit.
core::Result<std::optional<double>> ParseLimit(const std::string& text, bool bytes) {
  if (text == "disabled" || text.empty()) return std::nullopt;
  size_t used = 0;
  double v = 0;
  try {
    v = std::stod(text, &used);
  } catch (...) {
    return core::Fail(core::ErrorCode::kInvalidInput, "bad threshold \"" + text + "\"");
  }
  std::string unit;
  for (char c : text.substr(used))
    if (c != ' ') unit += static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!bytes && unit.empty()) return v;
  const std::pair<const char*, double> units[] = {
      {"", 1},      {"b", 1},          {"kb", 1e3},          {"mb", 1e6},
      {"gb", 1e9},  {"kib", 1024.0},   {"mib", 1048576.0},   {"gib", 1073741824.0},
      {"k", 1e3},   {"m", 1e6},        {"g", 1e9}};
  if (bytes)
    for (const auto& [u, f] : units)
      if (unit == u) return v * f;
  return core::Fail(core::ErrorCode::kInvalidInput, "bad threshold \"" + text + "\"");
}

// dive's CI rules: a line per rule, PASS / FAIL / SKIP, and whether all passed.
core::Result<bool> RunCi(const AnalyzeArgs& a, const layers::ImageAnalysis& r, std::ostream& out) {
  KILN_ASSIGN(auto wasted_limit, ParseLimit(a.highest_wasted_bytes, true));
  KILN_ASSIGN(auto percent_limit, ParseLimit(a.highest_user_wasted_percent, false));
  bool ok = true;
  auto rule = [&](const char* name, bool skip, bool pass, const std::string& detail) {
    out << "  " << (skip ? "SKIP" : pass ? "PASS" : "FAIL") << ": " << name << detail << "\n";
    ok &= skip || pass;
  };
  char buf[160];
  std::snprintf(buf, sizeof buf, " (%.4f, lowest allowed %.4f)", r.dive.efficiency, a.lowest_efficiency);
  rule("lowestEfficiency", false, r.dive.efficiency >= a.lowest_efficiency, buf);
  if (wasted_limit)
    std::snprintf(buf, sizeof buf, " (%llu bytes, highest allowed %.0f)",
                  static_cast<unsigned long long>(r.dive.wasted_bytes), *wasted_limit);
  else
    std::snprintf(buf, sizeof buf, " (disabled)");
  rule("highestWastedBytes", !wasted_limit, wasted_limit && r.dive.wasted_bytes <= *wasted_limit, buf);
  if (percent_limit)
    std::snprintf(buf, sizeof buf, " (%.4f, highest allowed %.4f)", r.dive.wasted_user_percent,
                  *percent_limit);
  else
    std::snprintf(buf, sizeof buf, " (disabled)");
  rule("highestUserWastedPercent", !percent_limit,
       percent_limit && r.dive.wasted_user_percent <= *percent_limit, buf);
  out << (ok ? "Result: PASS\n" : "Result: FAIL\n");
  return ok;
}

core::Status RunAnalyze(Globals& g, const AnalyzeArgs& a) {
  KILN_ASSIGN(auto platform, a.junk.Platform());
  KILN_ASSIGN(ImageTarget t, OpenImageTarget(g, a.name, a.junk.remote, platform));
  KILN_ASSIGN(core::Descriptor manifest, PickManifest(*t.store, t.top, platform));
  KILN_ASSIGN(layers::ShrinkOptions estimate, MakeShrinkOptions(a.junk));
  estimate.dedupe = a.dedupe;
  auto progress = ProgressRenderer::Make(g.progress);
  auto analyzed = builder::AnalyzeManifest(*t.store, manifest, a.junk.BaseLayers(), estimate,
                                           t.ensure, progress.get(), !a.html.empty());
  progress->Finish();
  KILN_ASSIGN(auto report, std::move(analyzed));
  report.name = a.name;
  if (!a.html.empty()) {
    // Written beside the target and renamed: a reader never sees half a page.
    std::string tmp = a.html + ".kiln-tmp";
    {
      std::ofstream f(sys::U8Path(tmp), std::ios::binary | std::ios::trunc);
      f << layers::RenderAnalysisHtml(report);
      f.close();
      if (!f) {
        sys::Unlink(tmp);
        return core::Fail(core::ErrorCode::kIo, "--html " + a.html + ": cannot write the file");
      }
    }
    if (sys::Rename(tmp, a.html) != 0) {
      sys::Unlink(tmp);
      return core::Fail(core::ErrorCode::kIo, "--html " + a.html + ": cannot write the file");
    }
  }
  std::cout << layers::RenderAnalysis(report, a.json);
  if (!a.ci) return {};
  KILN_ASSIGN(bool pass, RunCi(a, report, a.json ? std::cerr : std::cout));
  if (!pass) g.exit_code = 1;
  return {};
}

void AddAnalyzeCommand(CLI::App& app, Globals& g) {
  auto* cmd = app.add_subcommand(
      "analyze", "Layer sizes, dive's efficiency and wasted bytes, and shrink opportunities");
  auto a = std::make_shared<AnalyzeArgs>();
  cmd->add_option("IMAGE", a->name, "Image in the local store, else a registry reference")->required();
  cmd->add_flag("--json", a->json, "One JSON document (dive's export fields plus kiln's)");
  cmd->add_option("--html", a->html,
                  "Also write FILE: one self-contained HTML page (treemap, layer chart, wasted "
                  "space, shrink opportunities)");
  cmd->add_flag("--dedupe", a->dedupe, "Also estimate identical files (reads all file bytes)");
  cmd->add_flag("--ci", a->ci, "Check dive's CI rules; exit 1 when one fails");
  cmd->add_option("--lowest-efficiency", a->lowest_efficiency, "CI: lowest efficiency (0.9)");
  cmd->add_option("--highest-wasted-bytes", a->highest_wasted_bytes,
                  "CI: most wasted bytes, e.g. 20MB (disabled)");
  cmd->add_option("--highest-user-wasted-percent", a->highest_user_wasted_percent,
                  "CI: most wasted bytes / bytes above layer 0, as a fraction (0.1)");
  AddJunkFlags(cmd, a->junk);
  cmd->callback([a, &g] { g.status = RunAnalyze(g, *a); });
}

const CommandRegistrar kReg(56, &AddAnalyzeCommand);

}  // namespace
}  // namespace kiln::cli
