#include "builder/output_tail.h"

#include <catch2/catch.hpp>

using kiln::builder::ExitStatus;
using kiln::builder::OutputTail;
using kiln::builder::QuoteCommand;
using kiln::builder::RunSpec;
using kiln::builder::StepFailure;

TEST_CASE("the tail keeps the last lines of output fed in arbitrary chunks", "[unit]") {
  OutputTail tail(3);
  tail.Append("one\ntw");
  tail.Append("o\r\nthree\n");
  tail.Append("four\nfi");
  CHECK(tail.Lines() == std::vector<std::string>{"three", "four", "fi"});
  tail.Append("ve\n");
  CHECK(tail.Lines() == std::vector<std::string>{"three", "four", "five"});
}

TEST_CASE("the tail cuts very long lines instead of keeping them whole", "[unit]") {
  OutputTail tail(2, 5);
  tail.Append(std::string(100000, 'x'));
  tail.Append("yy\nok\n");
  CHECK(tail.Lines() == std::vector<std::string>{"xxxxx...", "ok"});
}

TEST_CASE("commands are quoted only where a shell would need it", "[unit]") {
  CHECK(QuoteCommand({"/bin/sh", "-c", "echo it's"}) == "/bin/sh -c 'echo it'\\''s'");
  CHECK(QuoteCommand({"make", "-j2", "CC=gcc"}) == "make -j2 CC=gcc");
  CHECK(QuoteCommand({"a", ""}) == "a ''");
  CHECK(QuoteCommand({"x", std::string(50, 'y')}, 10) == "x yyyyyyyy...");
}

TEST_CASE("a failed step's error says command, exit code and output, at the RUN line", "[unit]") {
  RunSpec spec;
  spec.argv = {"/bin/sh", "-c", "false"};
  spec.where.file = "Dockerfile";
  spec.where.start = {7, 1};
  OutputTail tail;
  CHECK(StepFailure(spec, ExitStatus{1, false}, tail).ToString() ==
        "Dockerfile:7:1: RUN /bin/sh -c false failed with exit code 1 (no output)");
  tail.Append("boom\n");
  spec.timeout = std::chrono::seconds(9);
  CHECK(StepFailure(spec, ExitStatus{137, true}, tail).ToString() ==
        "Dockerfile:7:1: RUN /bin/sh -c false timed out after 9s and was killed; last 1 lines "
        "of output:\n  | boom");
}
