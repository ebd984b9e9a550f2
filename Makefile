# Makefile: a thin wrapper around meson and the scripts in scripts/ and bench/.
#   make          install missing build packages, configure build/, compile
#   make check    every test (unit, ASan+UBSan, fuzz, network namespaces); ends on "N passed, N failed"
#   make demo     two hosts in namespaces, the recipe with vxnet, a ping across the overlay
#   make bench    every traffic shape (TCP 1/4 streams, 64-byte UDP, ping, IPv6 underlay, CPU/GB), vxnetd vs the kernel vxlan driver, ratios and floors (BENCH_ARGS="-n 3": best of 3)
#   make fuzz     run every libFuzzer target longer (FUZZ_TIME seconds each, default 300)
#   make fresh    `make demo` and `make check` on a fresh minimal Debian 12 root (mmdebstrap),
#                 from a clone of HEAD (FRESH_TARGETS="build bench" for other targets)
#   make clean    remove the build directories
FUZZ_TIME ?= 300
BENCH_ARGS ?=
FRESH_TARGETS ?= demo check

.PHONY: all build check demo bench fuzz fresh clean

all: build

build:
	@bash scripts/build.sh

check:
	@bash scripts/check.sh

demo:
	@bash scripts/demo.sh

bench:
	@bash bench/throughput.sh $(BENCH_ARGS)

fuzz:
	@bash scripts/fuzz.sh $(FUZZ_TIME)

fresh:
	@bash scripts/fresh.sh $(FRESH_TARGETS)

clean:
	rm -rf build build-asan build-fuzz
