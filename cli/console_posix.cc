// cli/console.h on POSIX hosts.
#include <signal.h>
#include <sys/ioctl.h>
#include <termios.h>
#include <unistd.h>

#include "cli/console.h"
#include "core/cancel.h"

namespace kiln::cli {
namespace {

void OnSignal(int) {
  if (core::CancelRequested()) _exit(130);  // second Ctrl-C: stop now
  core::RequestCancel();
}

termios saved_termios;

}  // namespace

void InstallInterruptHandler() {
  struct sigaction sa {};
  sa.sa_handler = OnSignal;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGINT, &sa, nullptr);
  sigaction(SIGTERM, &sa, nullptr);
  signal(SIGPIPE, SIG_IGN);
}

bool IsTerminal(std::FILE* f) { return isatty(fileno(f)); }

int TerminalColumns(std::FILE* f) {
  winsize ws{};
  if (ioctl(fileno(f), TIOCGWINSZ, &ws) == 0 && ws.ws_col > 0) return ws.ws_col;
  return 0;
}

bool EnableTerminalEscapes(std::FILE*) { return true; }

EchoOff::EchoOff() {
  termios old{};
  if (!isatty(0) || tcgetattr(0, &old) != 0) return;
  saved_termios = old;
  termios quiet = old;
  quiet.c_lflag &= ~static_cast<tcflag_t>(ECHO);
  tcsetattr(0, TCSANOW, &quiet);
  active_ = true;
}

EchoOff::~EchoOff() {
  if (active_) tcsetattr(0, TCSANOW, &saved_termios);
}

}  // namespace kiln::cli

int main(int argc, char** argv) { return kiln::cli::Main(argc, argv); }
