// cli/console.h on Windows: wmain hands kiln its arguments as UTF-8; console control events
// take the same cancel path as SIGINT on Linux; VT processing for the progress view.
#include <windows.h>
#include <fcntl.h>
#include <io.h>

#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "cli/console.h"
#include "core/cancel.h"
#include "core/windows/win_text.h"

namespace kiln::cli {
namespace {

BOOL WINAPI OnControl(DWORD event) {
  switch (event) {
    case CTRL_C_EVENT:
    case CTRL_BREAK_EVENT:
    case CTRL_CLOSE_EVENT:
      if (core::CancelRequested()) ExitProcess(130);  // second Ctrl-C: stop now
      core::RequestCancel();
      return TRUE;  // handled: the build stops at its next cancel check and exits 130
    default: return FALSE;
  }
}

HANDLE ConsoleOf(std::FILE* f) {
  return reinterpret_cast<HANDLE>(_get_osfhandle(_fileno(f)));
}

}  // namespace

void InstallInterruptHandler() { SetConsoleCtrlHandler(OnControl, TRUE); }

bool IsTerminal(std::FILE* f) {
  DWORD mode;
  return GetConsoleMode(ConsoleOf(f), &mode) != 0;
}

int TerminalColumns(std::FILE* f) {
  CONSOLE_SCREEN_BUFFER_INFO info;
  if (!GetConsoleScreenBufferInfo(ConsoleOf(f), &info)) return 0;
  return info.srWindow.Right - info.srWindow.Left + 1;
}

bool EnableTerminalEscapes(std::FILE* f) {
  HANDLE h = ConsoleOf(f);
  DWORD mode;
  if (!GetConsoleMode(h, &mode)) return false;
  if (mode & ENABLE_VIRTUAL_TERMINAL_PROCESSING) return true;
  return SetConsoleMode(h, mode | ENABLE_VIRTUAL_TERMINAL_PROCESSING) != 0;
}

EchoOff::EchoOff() {
  HANDLE in = GetStdHandle(STD_INPUT_HANDLE);
  DWORD mode;
  if (!GetConsoleMode(in, &mode)) return;
  saved_ = mode;
  if (SetConsoleMode(in, mode & ~static_cast<DWORD>(ENABLE_ECHO_INPUT))) active_ = true;
}

EchoOff::~EchoOff() {
  if (active_) SetConsoleMode(GetStdHandle(STD_INPUT_HANDLE), static_cast<DWORD>(saved_));
}

}  // namespace kiln::cli

// The arguments arrive as UTF-16; kiln works in UTF-8 throughout. stdout and stderr stay in
// binary mode, so what kiln prints is byte for byte what the Linux build prints. stdin is binary
// too unless it is a console: a line typed there ends in CR LF, and text mode turns that into
// the "\n" kiln's prompts (login) read lines up to.
int wmain(int argc, wchar_t** wargv) {
  std::vector<std::string> args;
  args.reserve(static_cast<size_t>(argc));
  for (int i = 0; i < argc; ++i) args.push_back(kiln::sys::WideToUtf8(wargv[i]));
  std::vector<char*> argv;
  for (auto& a : args) argv.push_back(a.data());
  argv.push_back(nullptr);
  _setmode(_fileno(stdout), _O_BINARY);
  _setmode(_fileno(stderr), _O_BINARY);
  if (!kiln::cli::IsTerminal(stdin)) _setmode(_fileno(stdin), _O_BINARY);
  return kiln::cli::Main(argc, argv.data());
}
