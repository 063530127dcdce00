#include "parser/run_mount.h"

#include "parser/build_flags.h"
#include "parser/go_values.h"
#include "parser/runes.h"

namespace kiln::parser {
namespace {

core::Error MountError(std::string message) {
  return core::Error{core::ErrorCode::kInvalidInput, std::move(message), std::nullopt};
}

core::Error CsvError(size_t column, const char* what) {
  return MountError("parse error on line 1, column " + std::to_string(column) + ": " + what);
}

const std::vector<std::string> kMountTypes = {"bind", "cache", "tmpfs", "secret", "ssh"};
const std::vector<std::string> kSharing = {"shared", "private", "locked"};
const std::vector<std::string> kMountKeys = {
    "type", "from", "source", "target", "readonly",    "id", "sharing", "required",  "size", "mode",
    "uid",  "gid",  "src",    "dst",    "destination", "ro", "rw",      "readwrite", "env"};

std::string WithSuggestion(std::string msg, std::string_view value,
                           const std::vector<std::string>& options) {
  std::string hint = SuggestClosest(value, options, true);
  if (!hint.empty()) msg += " (did you mean " + hint + "?)";
  return msg;
}

bool IsFileInfoType(const std::string& t) { return t == "secret" || t == "ssh" || t == "cache"; }

// A key without "=": readonly/ro, readwrite/rw, required.
core::Status FlagField(RunMount& m, const std::string& key, std::string_view field, bool& ro_auto) {
  if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
    m.read_only = key == "readonly" || key == "ro";
    ro_auto = false;
    return {};
  }
  if (key == "required") {
    if (m.type != "secret" && m.type != "ssh") {
      return std::unexpected(
          MountError("unexpected key '" + key + "' for mount type '" + m.type + "'"));
    }
    m.required = true;
    return {};
  }
  return std::unexpected(
      MountError("invalid field '" + std::string(field) + "' must be a key=value pair"));
}

core::Status ValueField(RunMount& m, const std::string& key, const std::string& value,
                        std::string_view field, bool& ro_auto) {
  auto bad = [&] { return std::unexpected(MountError("invalid value for " + key + ": " + value)); };
  auto unexpected_key = [&] {
    return std::unexpected(
        MountError("unexpected key '" + key + "' for mount type '" + m.type + "'"));
  };
  if (key == "type") {
    std::string t = GoToLower(value);
    if (std::find(kMountTypes.begin(), kMountTypes.end(), t) == kMountTypes.end()) {
      return std::unexpected(MountError(
          WithSuggestion("unsupported mount type \"" + value + "\"", value, kMountTypes)));
    }
    m.type = t;
  } else if (key == "from") {
    m.from = value;
  } else if (key == "source" || key == "src") {
    m.source = value;
  } else if (key == "target" || key == "dst" || key == "destination") {
    m.target = value;
  } else if (key == "readonly" || key == "ro" || key == "readwrite" || key == "rw") {
    auto b = ParseGoBool(value);
    if (!b) return bad();
    m.read_only = (key == "readonly" || key == "ro") ? *b : !*b;
    ro_auto = false;
  } else if (key == "required") {
    if (m.type != "secret" && m.type != "ssh") return unexpected_key();
    auto b = ParseGoBool(value);
    if (!b) return bad();
    m.required = *b;
  } else if (key == "size") {
    if (m.type != "tmpfs") return unexpected_key();
    auto size = ParseRamInBytes(value);
    if (!size) return bad();
    m.size_limit = *size;
  } else if (key == "id") {
    m.cache_id = value;
  } else if (key == "sharing") {
    std::string s = GoToLower(value);
    if (std::find(kSharing.begin(), kSharing.end(), s) == kSharing.end()) {
      return std::unexpected(MountError(
          WithSuggestion("unsupported sharing value \"" + value + "\"", value, kSharing)));
    }
    m.sharing = s;
  } else if (key == "mode" || key == "uid" || key == "gid") {
    auto v = ParseGoUint32(value, key == "mode" ? 8 : 10);
    if (!v) return std::unexpected(MountError("invalid value " + value + " for " + key));
    (key == "mode" ? m.mode : key == "uid" ? m.uid : m.gid) = *v;
  } else if (key == "env") {
    m.env = value;
  } else {
    return std::unexpected(MountError(WithSuggestion(
        "unexpected key '" + key + "' in '" + std::string(field) + "'", key, kMountKeys)));
  }
  return {};
}

core::Status CheckMount(RunMount& m, bool ro_auto) {
  if (!IsFileInfoType(m.type)) {
    for (auto [name, v] : {std::pair{"mode", &m.mode}, {"uid", &m.uid}, {"gid", &m.gid}}) {
      if (v->has_value()) {
        return std::unexpected(
            MountError(std::string(name) + " not allowed for \"" + m.type + "\" type mounts"));
      }
    }
  }
  if (ro_auto) m.read_only = !(m.type == "cache" || m.type == "tmpfs");
  if (m.type == "secret") {
    if (!m.from.empty()) return std::unexpected(MountError("secret mount should not have a from"));
    if (!m.sharing.empty()) {
      return std::unexpected(MountError("secret mount should not define sharing"));
    }
    if (m.source.empty() && m.target.empty() && m.cache_id.empty()) {
      return std::unexpected(MountError("invalid secret mount. one of source, target required"));
    }
    if (!m.source.empty() && !m.cache_id.empty()) {
      return std::unexpected(MountError("both source and id can't be set"));
    }
  }
  if (!m.sharing.empty() && m.type != "cache") {
    return std::unexpected(MountError("invalid cache sharing set for " + m.type + " mount"));
  }
  return {};
}

}  // namespace

core::Result<std::vector<std::string>> CsvFields(std::string_view line) {
  if (!line.empty() && line.back() == '\n') {
    line.remove_suffix(line.size() > 1 && line[line.size() - 2] == '\r' ? 2 : 1);
  }
  if (line.empty()) return std::unexpected(MountError("EOF"));
  std::vector<std::string> out;
  size_t pos = 0;
  while (true) {
    if (line.empty() || line[0] != '"') {
      size_t comma = line.find(',');
      std::string_view field = line.substr(0, comma);
      if (size_t q = field.find('"'); q != std::string_view::npos) {
        return std::unexpected(CsvError(pos + q + 1, "bare \" in non-quoted-field"));
      }
      out.emplace_back(field);
      if (comma == std::string_view::npos) break;
      line.remove_prefix(comma + 1);
      pos += comma + 1;
      continue;
    }
    line.remove_prefix(1);
    ++pos;
    out.emplace_back();
    while (true) {
      size_t q = line.find('"');
      if (q == std::string_view::npos) {
        return std::unexpected(CsvError(pos + 1, "extraneous or missing \" in quoted-field"));
      }
      out.back().append(line.substr(0, q));
      line.remove_prefix(q + 1);
      pos += q + 1;
      if (!line.empty() && line[0] == '"') {
        out.back().push_back('"');
        line.remove_prefix(1);
        ++pos;
        continue;
      }
      if (!line.empty() && line[0] == ',') {
        line.remove_prefix(1);
        ++pos;
        break;
      }
      if (line.empty()) return out;
      return std::unexpected(CsvError(pos, "extraneous or missing \" in quoted-field"));
    }
  }
  return out;
}

core::Result<RunMount> ParseRunMount(std::string_view spec, const WordExpander* expander) {
  auto fields = CsvFields(spec);
  if (!fields) {
    return std::unexpected(MountError("failed to parse csv mounts: " + fields.error().message));
  }
  RunMount m;
  bool ro_auto = true;
  for (const std::string& field : *fields) {
    size_t eq = field.find('=');
    std::string key = GoToLower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (!expander) continue;  // evaluated later, when the stage environment is known
      KILN_TRY(FlagField(m, key, field, ro_auto));
      continue;
    }
    std::string value = field.substr(eq + 1);
    if (expander) {
      KILN_ASSIGN(value, (*expander)(value));
    } else if (key == "from") {
      size_t dollar = value.find('$');
      if (dollar != std::string::npos && dollar != value.size() - 1) {
        return std::unexpected(
            MountError("'from' doesn't support variable expansion, define alias stage instead"));
      }
    } else {
      continue;
    }
    KILN_TRY(ValueField(m, key, value, field, ro_auto));
  }
  KILN_TRY(CheckMount(m, ro_auto));
  return m;
}

core::Result<RunDevice> ParseRunDevice(std::string_view spec) {
  auto fields = CsvFields(spec);
  if (!fields) {
    return std::unexpected(MountError("failed to parse csv devices: " + fields.error().message));
  }
  RunDevice d;
  for (const std::string& field : *fields) {
    size_t eq = field.find('=');
    std::string key = GoToLower(field.substr(0, eq));
    if (eq == std::string::npos) {
      if (key == "required") {
        d.required = true;
      } else if (d.name.empty()) {
        d.name = field;
      } else {
        return std::unexpected(
            MountError("invalid field '" + field + "' must be a key=value pair"));
      }
      continue;
    }
    std::string value = field.substr(eq + 1);
    if (key == "name") {
      if (!d.name.empty())
        return std::unexpected(MountError("device name already set to " + d.name));
      d.name = value;
    } else if (key == "required") {
      auto b = ParseGoBool(value);
      if (!b) return std::unexpected(MountError("invalid value for " + key + ": " + value));
      d.required = *b;
    } else if (d.name.empty()) {
      d.name = field;
    } else {
      return std::unexpected(MountError(WithSuggestion(
          "unexpected key '" + key + "' in '" + field + "'", key, {"name", "required"})));
    }
  }
  return d;
}

}  // namespace kiln::parser
