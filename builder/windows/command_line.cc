#include "builder/windows/command_line.h"

namespace kiln::builder::windows {

std::string QuoteWindowsArgument(std::string_view arg) {
  if (arg.empty()) return "\"\"";
  if (arg.find_first_of(" \t\n\v\"") == std::string_view::npos) return std::string(arg);
  std::string out = "\"";
  size_t backslashes = 0;
  for (char c : arg) {
    if (c == '\\') {
      ++backslashes;
      continue;
    }
    if (c == '"') {
      out.append(backslashes * 2 + 1, '\\');
    } else {
      out.append(backslashes, '\\');
    }
    backslashes = 0;
    out += c;
  }
  out.append(backslashes * 2, '\\');  // they precede the closing quote
  out += '"';
  return out;
}

std::string JoinWindowsCommandLine(const std::vector<std::string>& argv) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += QuoteWindowsArgument(arg);
  }
  return out;
}

std::string WindowsShellCommandLine(const std::vector<std::string>& shell,
                                    std::string_view command) {
  static const std::vector<std::string> kDefault = {"cmd", "/S", "/C"};
  std::string out = JoinWindowsCommandLine(shell.empty() ? kDefault : shell);
  out += ' ';
  out += command;
  return out;
}

}  // namespace kiln::builder::windows
