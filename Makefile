# kiln front door. `make` builds build/kiln; `make demo` and `make test` also do all set-up
# (Debian packages through scripts/setup.sh) on a fresh Debian 12 machine.
BUILD      ?= build
BUILD_TYPE ?= RelWithDebInfo
FUZZ_SECONDS ?= 60
CMAKE_FLAGS ?=

.PHONY: all kiln setup setup-test demo test unit fuzz windows-deps windows windows-check windows-unit bench clean

all: kiln

setup:
	@scripts/setup.sh build

setup-test:
	@scripts/setup.sh test

$(BUILD)/build.ninja:
	cmake -S . -B $(BUILD) -G Ninja -DCMAKE_BUILD_TYPE=$(BUILD_TYPE) $(CMAKE_FLAGS)

kiln: setup $(BUILD)/build.ninja
	cmake --build $(BUILD)

# Builds kiln's main job on the bundled sample.
demo: kiln
	@scripts/demo.sh $(BUILD)/kiln

# The whole suite: unit + integration tests (ctest), fuzzers, the Windows cross-build and the
# Catch2 [unit] suites built for Windows under wine (windows-unit).
# windows-check and windows first: ctest's windows_hcs_sim_test and windows_wine_test drive what
# they build (build-windows/kiln-hcs-selftest.exe, build-windows/kiln.exe) under wine.
test: setup-test kiln
	$(MAKE) windows-check
	$(MAKE) windows
	$(MAKE) windows-unit
	cd $(BUILD) && ctest --output-on-failure --timeout 1800
	$(MAKE) fuzz

unit: kiln
	cd $(BUILD) && ctest --output-on-failure -L unit

fuzz: setup-test
	@scripts/fuzz.sh $(FUZZ_SECONDS)

# The Windows libraries from Debian's source packages, cached outside the checkout
# (KILN_WINDEPS_CACHE, default /var/cache/kiln/windeps); windows-check builds them when missing.
windows-deps: setup-test
	@scripts/windows_deps.sh

# kiln.exe: the whole program cross-built with mingw-w64 (static, stripped), import table checked.
windows: setup-test
	@scripts/windows_build.sh

# mingw-w64 cross build of the Windows code, core/ and parser/, and the HCS self-test.
windows-check: setup-test
	@scripts/windows_check.sh

# The core, parser, layers, registry and builder [unit] suites, built in the same CMake cross build
# as kiln.exe, run under wine (scripts/windows_unit.sh; tests/windows_suites.cmake).
windows-unit: setup-test
	@scripts/windows_unit.sh

bench: kiln
	@scripts/setup.sh bench
	@bench/run_all.sh $(BUILD)/kiln

clean:
	rm -rf $(BUILD) build-fuzz build-windows
