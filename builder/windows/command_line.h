// Windows command lines for RUN steps: argument quoting by the CommandLineToArgvW rules, and the
// shell-form line docker builds on Windows (SHELL words, then the command text as written).
// Platform-neutral.
#pragma once

#include <string>
#include <string_view>
#include <vector>

namespace kiln::builder::windows {

// Quotes one argument so CommandLineToArgvW (and the C runtime) give it back unchanged: as is
// when it has no space, tab, newline or double quote; else in double quotes, with backslashes
// doubled before a quote or the closing quote and quotes escaped. "" for an empty argument.
std::string QuoteWindowsArgument(std::string_view arg);

// Exec-form RUN ["a", "b c"] -> a "b c".
std::string JoinWindowsCommandLine(const std::vector<std::string>& argv);

// Shell-form RUN on Windows: the SHELL words quoted as needed, a space, then the command text
// unchanged (docker passes it as is; cmd /S /C takes the rest of the line). An empty shell means
// the Windows default, cmd /S /C.
std::string WindowsShellCommandLine(const std::vector<std::string>& shell,
                                    std::string_view command);

}  // namespace kiln::builder::windows
