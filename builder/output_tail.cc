#include "builder/output_tail.h"

#include <algorithm>

namespace kiln::builder {

OutputTail::OutputTail(size_t max_lines, size_t max_line_bytes)
    : max_lines_(std::max<size_t>(max_lines, 1)), max_line_bytes_(max_line_bytes) {}

void OutputTail::Append(std::string_view chunk) {
  while (!chunk.empty()) {
    size_t nl = chunk.find('\n');
    std::string_view piece = chunk.substr(0, nl);
    size_t room = max_line_bytes_ > partial_.size() ? max_line_bytes_ - partial_.size() : 0;
    if (piece.size() > room) partial_cut_ = true;
    partial_.append(piece.substr(0, std::min(room, piece.size())));
    if (nl == std::string_view::npos) return;
    std::string line = std::move(partial_);
    if (partial_cut_) line += "...";
    if (!line.empty() && line.back() == '\r') line.pop_back();
    partial_.clear();
    partial_cut_ = false;
    PushLine(std::move(line));
    chunk.remove_prefix(nl + 1);
  }
}

void OutputTail::PushLine(std::string line) {
  lines_.push_back(std::move(line));
  while (lines_.size() > max_lines_) lines_.pop_front();
}

std::vector<std::string> OutputTail::Lines() const {
  std::vector<std::string> out(lines_.begin(), lines_.end());
  if (!partial_.empty()) {
    out.push_back(partial_ + (partial_cut_ ? "..." : ""));
    if (out.size() > max_lines_) out.erase(out.begin());
  }
  return out;
}

namespace {

bool NeedsQuotes(std::string_view arg) {
  if (arg.empty()) return true;
  return arg.find_first_not_of(
             "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
             "_-./=:,+@%") != std::string_view::npos;
}

std::string Quote(std::string_view arg) {
  if (!NeedsQuotes(arg)) return std::string(arg);
  std::string out = "'";
  for (char c : arg) {
    if (c == '\'')
      out += "'\\''";
    else
      out += c;
  }
  return out + "'";
}

}  // namespace

std::string QuoteCommand(const std::vector<std::string>& argv, size_t max_bytes) {
  std::string out;
  for (const auto& arg : argv) {
    if (!out.empty()) out += ' ';
    out += Quote(arg);
  }
  std::replace(out.begin(), out.end(), '\n', ' ');
  if (out.size() > max_bytes) out = out.substr(0, max_bytes) + "...";
  return out;
}

core::Error StepFailure(const RunSpec& spec, const ExitStatus& status, const OutputTail& tail) {
  std::string msg =
      "RUN " +
      QuoteCommand(spec.argv.empty() ? std::vector<std::string>{spec.command_line} : spec.argv);
  if (!spec.stage.empty()) msg += " (stage " + spec.stage + ")";
  if (status.timed_out)
    msg += " timed out after " + std::to_string(spec.timeout.count()) + "s and was killed";
  else
    msg += " failed with exit code " + std::to_string(status.exit_code);
  auto lines = tail.Lines();
  if (lines.empty()) {
    msg += " (no output)";
  } else {
    msg += "; last " + std::to_string(lines.size()) + " lines of output:";
    for (const auto& line : lines) msg += "\n  | " + line;
  }
  core::Error error{core::ErrorCode::kRuntime, std::move(msg), std::nullopt};
  if (spec.where.valid()) error.location = spec.where;
  return error;
}

}  // namespace kiln::builder
