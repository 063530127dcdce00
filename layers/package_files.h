// Packages kiln recognises in the files a build adds, for the SBOM: .NET dependency manifests
// (*.deps.json), NuGet lock files (packages.lock.json) and npm lock files (package-lock.json).
// Pure parsing of file content; nothing is fetched or executed.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::layers {

struct FoundPackage {
  std::string ecosystem;  // "nuget" or "npm" (the purl type)
  std::string name;
  std::string version;
  std::string source;  // the layer entry it was read from

  // The package URL (purl spec): pkg:nuget/Name@1.0, pkg:npm/%40scope/name@1.0.
  std::string Purl() const;
  auto operator<=>(const FoundPackage&) const = default;
};

// Whether a layer entry name is a file ParsePackages reads (by its base name).
bool IsPackageManifest(std::string_view entry_name);
// The packages listed in `content` of the file `entry_name`, sorted and without duplicates;
// empty when the file is not valid JSON or lists none (a malformed lock file is not an error
// of the build).
std::vector<FoundPackage> ParsePackages(std::string_view entry_name, std::string_view content);

}  // namespace kiln::layers
