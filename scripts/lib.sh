# lib.sh: helpers shared by the build, check, fuzz and demo scripts (sourced, not run).
# shellcheck shell=bash
# Sets ROOT to the repository root and knows how each canonical build directory
# is configured: build (debugoptimized), build-asan (ASan+UBSan), build-fuzz
# (clang, libFuzzer targets, ASan+UBSan).

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)

# Sanitizer settings for everything run from a sanitized build: stop at the
# first report, and give UBSan's reports a stack.
export ASAN_OPTIONS=${ASAN_OPTIONS:-halt_on_error=1:abort_on_error=0:detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}

# meson options and compiler per build directory name.
builddir_options() {
	case "$1" in
	build) echo "-Dbuildtype=debugoptimized -Dtests=enabled -Db_sanitize=none" ;;
	build-asan) echo "-Dbuildtype=debugoptimized -Dtests=enabled -Db_sanitize=address,undefined -Db_lundef=false" ;;
	build-fuzz) echo "-Dbuildtype=debugoptimized -Dtests=disabled -Dfuzz=true -Db_sanitize=address,undefined -Db_lundef=false" ;;
	*) return 1 ;;
	esac
}

builddir_cc() {
	case "$1" in
	build-fuzz) echo clang ;;
	*) echo "${CC:-cc}" ;;
	esac
}

# True if DIR was configured with clang (a fuzz build must be).
builddir_is_clang() {
	[ -f "$1/compile_commands.json" ] && grep -q '"command": "clang' "$1/compile_commands.json"
}

# builddir_build NAME [TARGET...]: configure (first time) or reconfigure
# ROOT/NAME, then build it (or only TARGETs) with ninja. Output goes to
# stdout/stderr; returns non-zero on any failure.
builddir_build() {
	local name=$1 dir=$ROOT/$1 opts cc
	shift
	opts=$(builddir_options "$name") || return 1
	cc=$(builddir_cc "$name")
	if [ "$cc" = clang ] && [ -f "$dir/build.ninja" ] && ! builddir_is_clang "$dir"; then
		rm -rf "$dir" # the compiler of a meson build dir cannot be changed in place
	fi
	if [ ! -f "$dir/build.ninja" ]; then
		rm -rf "$dir" # a half-configured directory (failed setup) is not reusable
		# shellcheck disable=SC2086
		CC=$cc meson setup $opts "$dir" "$ROOT" || return 1
	else
		# shellcheck disable=SC2086
		meson configure $opts "$dir" || return 1
	fi
	ninja -C "$dir" "$@"
}
