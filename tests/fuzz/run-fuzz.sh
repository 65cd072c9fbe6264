#!/usr/bin/env bash
# run-fuzz.sh TARGET CORPUS SECONDS -- one libFuzzer run for ctest (fuzz/*).
#
# Starts from a copy of the committed seed corpus CORPUS (left unchanged),
# fuzzes for SECONDS (600 with RELIEF_TEST_LONG=1, or RELIEF_FUZZ_SECONDS),
# prints the executions and the corpus growth, and fails on a crash, a leak,
# a sanitizer report, a timeout or an out-of-memory.  A failing input is kept
# in the build tree (fuzz-artifacts/) and named in the output; reproduce with
#   TARGET ARTIFACT
set -uo pipefail
target="${1:?usage: run-fuzz.sh TARGET CORPUS SECONDS}"
seeds="${2:?}"
secs="${3:-20}"
[[ "${RELIEF_TEST_LONG:-}" == 1 ]] && secs=600
[[ -n "${RELIEF_FUZZ_SECONDS:-}" ]] && secs="$RELIEF_FUZZ_SECONDS"
name="$(basename "$target")"
[[ -x "$target" ]] || { echo "run-fuzz: $target is not built (cmake --build DIR --target fuzz_all)" >&2; exit 1; }
[[ -d "$seeds" ]] || { echo "run-fuzz: no seed corpus $seeds" >&2; exit 1; }

work="$(mktemp -d "${TMPDIR:-/tmp}/fuzz-$name-XXXXXX")"
trap 'rm -rf "$work"' EXIT
arts="$(dirname "$target")/fuzz-artifacts/$name"
mkdir -p "$work/corpus" "$arts"
cp -r "$seeds"/. "$work/corpus/"
nseeds=$(find "$seeds" -type f | wc -l)

# -close_fd_mask=3: the targets' own messages (reliefctl forecast prints its
# reasons) are dropped; libFuzzer and the sanitizers keep a copy of stderr.
# -timeout: one input taking over 10 s is a hang; -rss_limit_mb: a blow-up.
# A dictionary of the input's words, when the target has one (NAME.dict).
dict=()
[[ -f "$(dirname "$0")/$name.dict" ]] && dict=(-dict="$(dirname "$0")/$name.dict")
t0=$(date +%s)
"$target" "$work/corpus" "${dict[@]}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 \
    -max_len=65536 -close_fd_mask=3 -print_final_stats=1 -artifact_prefix="$arts/" \
    >"$work/log" 2>&1
rc=$?
t1=$(date +%s)
execs=$(grep -Eo 'stat::number_of_executed_units: *[0-9]+' "$work/log" | grep -Eo '[0-9]+$' | tail -n 1)
ncorpus=$(find "$work/corpus" -type f | wc -l)
if ((rc != 0)) || grep -qE 'ERROR: (AddressSanitizer|LeakSanitizer|libFuzzer)|runtime error:|SUMMARY: ' "$work/log"; then
    tail -n 80 "$work/log"
    echo "run-fuzz: $name FAILED (exit $rc) after $((t1 - t0)) s; failing inputs in $arts/:"
    ls -l "$arts"
    exit 1
fi
echo "run-fuzz: $name: ${execs:-?} executions in $((t1 - t0)) s ($((${execs:-0} / (t1 - t0 > 0 ? t1 - t0 : 1))) /s), corpus $nseeds seeds -> $ncorpus inputs, no crash, no leak"
