// What cli/ needs from the host's console and process start, behind one neutral header:
// cli/console_posix.cc (signals, termios, ioctl) and cli/windows/console_win.cc
// (SetConsoleCtrlHandler, console modes, wmain with UTF-8 argv).
#pragma once

#include <cstdio>

namespace kiln::cli {

// The program after the host's entry point (main, or wmain on Windows with argv as UTF-8).
int Main(int argc, char** argv);

// Ctrl-C and termination requests (POSIX: SIGINT, SIGTERM; Windows: CTRL_C, CTRL_BREAK and
// CTRL_CLOSE events) call core::RequestCancel(); a second one exits with 130 at once. POSIX
// also ignores SIGPIPE.
void InstallInterruptHandler();
// Whether `f` is a terminal (a console on Windows).
bool IsTerminal(std::FILE* f);
// The terminal's width in columns; 0 when unknown.
int TerminalColumns(std::FILE* f);
// Makes the terminal behind `f` interpret ANSI escapes (Windows: ENABLE_VIRTUAL_TERMINAL_PROCESSING);
// false when it cannot, and the caller prints plain lines instead.
bool EnableTerminalEscapes(std::FILE* f);

// Turns echo off on stdin's terminal while it lives (nothing when stdin is no terminal).
class EchoOff {
 public:
  EchoOff();
  ~EchoOff();
  EchoOff(const EchoOff&) = delete;
  EchoOff& operator=(const EchoOff&) = delete;
  bool active() const { return active_; }

 private:
  bool active_ = false;
  unsigned long saved_ = 0;
};

}  // namespace kiln::cli
