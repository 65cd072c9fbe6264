# shellcheck shell=bash
# build.sh -- configure and build one CMake tree.  Needs common.sh.

# The options of the two trees scripts/test builds.  scripts/demo uses build/
# with the same options, so running the demo and the tests one after the other
# never recompiles everything.
# shellcheck disable=SC2034 # used by the scripts that source this file
RELIEF_BUILD_ARGS=(-DCMAKE_BUILD_TYPE=RelWithDebInfo -DRELIEF_WERROR=ON)
# shellcheck disable=SC2034
RELIEF_ASAN_BUILD_ARGS=(-DCMAKE_BUILD_TYPE=Debug -DRELIEF_SANITIZE=ON -DRELIEF_WERROR=ON)
# The fuzz tree (scripts/test builds only its target fuzz_all): clang, libFuzzer,
# ASan + UBSan; not -Werror, as clang warns about things gcc does not.
# shellcheck disable=SC2034
RELIEF_FUZZ_BUILD_ARGS=(-DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo -DRELIEF_SANITIZE=ON
                        -DRELIEF_FUZZ=ON)

# relief_build DIR [CMAKE ARGS...]: configure DIR when it is new or its options
# changed (cmake --build re-runs cmake by itself when a CMakeLists.txt
# changes), then build it with one job per core (only the target
# $RELIEF_BUILD_TARGET when that is set).  Output goes to stderr.
relief_build() {
    local dir="$1" t0 stamp want
    shift
    t0=$(now_ms)
    stamp="$dir/.relief-cmake-args"
    want="$*"
    if [[ ! -f "$dir/CMakeCache.txt" || "$(cat "$stamp" 2>/dev/null)" != "$want" ]]; then
        cmake -S "$RELIEF_ROOT" -B "$dir" "$@" >&2 || return 1
        printf '%s' "$want" >"$stamp"
    fi
    cmake --build "$dir" --parallel "$(nproc)" ${RELIEF_BUILD_TARGET:+--target "$RELIEF_BUILD_TARGET"} >&2 ||
        return 1
    info "build: $dir is up to date ($(since "$t0"))"
}
