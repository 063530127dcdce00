#!/usr/bin/env python3
"""Fails unless every Catch TEST_CASE runs under exactly one ctest entry, and every ctest entry
that starts a Catch executable runs exactly one TEST_CASE, the one it is named after.

catch_discover_tests turns each listed name into a test spec; a name it cannot quote (a `;` splits
it, a `\\` is read as an escape) gives entries that match nothing, and those used to pass. This
asks each entry's own command line (from `ctest --show-only=json-v1`) which cases it selects.
Usage: check_ctest_map.py BUILD_DIR
"""
import json
import os
import re
import subprocess
import sys

build = sys.argv[1]
listing = subprocess.run(["ctest", "--show-only=json-v1"], cwd=build, check=True,
                         capture_output=True, text=True).stdout
entries = json.loads(listing)["tests"]


def names(argv):
    """The TEST_CASE names a Catch command line selects (`-v high` adds `\t@file:line`)."""
    out = subprocess.run(argv + ["--list-test-names-only", "-v", "high"],
                         capture_output=True, text=True).stdout
    return [line.rsplit("\t@", 1) for line in out.splitlines() if line.strip()]


is_catch = re.compile(r"kiln_\w+_tests$")
problems = []
runs = {}  # (exe, case name) -> ctest entries that run it
catch_entries = 0
for e in entries:
    cmd = e.get("command") or []
    if not cmd or not is_catch.search(os.path.basename(cmd[0])):
        continue
    catch_entries += 1
    selected = names(cmd)
    if len(selected) != 1:
        problems.append(f"ctest entry {e['name']!r} runs {len(selected)} test cases "
                        f"({cmd[1:]!r}): {[s[0] for s in selected]}")
    for name, _ in selected:
        runs.setdefault((cmd[0], name), []).append(e["name"])
        if not e["name"].endswith("/" + name):
            problems.append(f"ctest entry {e['name']!r} runs a case with another name: {name!r}")

cases = 0
# Every test executable: those the entries start, and those the tag checks (-DEXE=...) name, so
# an executable whose discovery produced no entry at all is still counted.
exes = {exe for exe, _ in runs}
for e in entries:
    for arg in e.get("command") or []:
        arg = arg[len("-DEXE="):] if arg.startswith("-DEXE=") else arg
        if is_catch.search(os.path.basename(arg)):
            exes.add(arg)
for exe in sorted(exes):
    for name, where in names([exe]):
        cases += 1
        n = len(runs.get((exe, name), []))
        if n != 1:
            problems.append(f"{where}: TEST_CASE {name!r} runs under {n} ctest entries")

print(f"{len(entries)} ctest entries: {catch_entries} Catch entries for {cases} TEST_CASEs, "
      f"{len(entries) - catch_entries} other checks")
if catch_entries != cases:
    problems.append(f"{catch_entries} Catch entries but {cases} TEST_CASEs")
for p in problems:
    print("FAIL:", p, file=sys.stderr)
sys.exit(1 if problems else 0)
