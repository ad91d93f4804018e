#!/bin/bash
# Runs the libFuzzer targets (Tests/Fuzz/<Target>/) with AddressSanitizer.
#
#   Tests/Fuzz/run.sh TARGET|all [SECONDS] [-- extra libFuzzer flags]
#
# Builds the target(s) into .build-fuzz (KERNEL_FUZZ=1 declares them; -sanitize=fuzzer,address; release with
# testable imports, or debug with FUZZ_CONFIG=debug: quicker to build, ~20x fewer executions), then runs
# each for SECONDS (default 60) on a work corpus in .build-fuzz/corpus/<Target>, seeded from the committed
# Tests/Fuzz/Corpus/<Target> (which the run never writes). A crash, leak, timeout (-timeout=10 per input) or
# invariant violation leaves its input in .build-fuzz/artifacts/ and makes the script exit 1. The last
# libFuzzer status line of each run (executions, coverage) is printed as a summary.
set -euo pipefail
cd "$(dirname "$0")/../.."

all=(FuzzFrontmatter FuzzJSONReader FuzzManifest FuzzMarketplace FuzzHooks FuzzMCP FuzzSettings FuzzRenderer
     FuzzMatcher FuzzJSONScan FuzzArchive)
target=${1:?usage: Tests/Fuzz/run.sh TARGET|all [SECONDS] [-- libFuzzer flags]}
seconds=${2:-60}
shift $(( $# >= 2 ? 2 : $# ))
[[ ${1:-} == -- ]] && shift
if [[ $target == all ]]; then targets=("${all[@]}"); else targets=("$target"); fi

scratch=.build-fuzz
config=${FUZZ_CONFIG:-release}
flags=(--scratch-path "$scratch" -c "$config" -Xswiftc -sanitize=fuzzer,address)
[[ $config == release ]] && flags+=(-Xswiftc -enable-testing)  # the targets use @testable imports
mkdir -p "$scratch"
for t in "${targets[@]}"; do
    if ! KERNEL_FUZZ=1 swift build "${flags[@]}" --product "$t" >"$scratch/build.log" 2>&1; then
        tail -30 "$scratch/build.log" >&2
        echo "build of $t failed" >&2
        exit 1
    fi
done

bin=$(KERNEL_FUZZ=1 swift build "${flags[@]}" --show-bin-path)
mkdir -p "$scratch/artifacts"
failed=0
summary=()
mkdir -p "$scratch"
for t in "${targets[@]}"; do
    work="$scratch/corpus/$t"
    mkdir -p "$work"
    log="$scratch/$t.log"
    echo "== $t: ${seconds}s"
    if ASAN_OPTIONS=detect_leaks=1 "$bin/$t" -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=16384 \
        -print_final_stats=1 -artifact_prefix="$scratch/artifacts/$t-" "$@" "$work" "Tests/Fuzz/Corpus/$t" >"$log" 2>&1; then
        status=ok
    else
        status=FAILED
        failed=1
        tail -40 "$log" >&2
    fi
    last=$(grep -E '^#[0-9]+' "$log" | tail -1 || true)
    execs=$(grep -E 'stat::number_of_executed_units' "$log" | awk '{print $2}' || true)
    summary+=("$t: $status, ${execs:-?} executions; last: ${last:-none}")
done
printf '%s\n' "${summary[@]}"
exit $failed
