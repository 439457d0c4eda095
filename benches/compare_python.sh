#!/usr/bin/env bash
# Compare SkillMatcher throughput with FlashText and pyahocorasick on the same
# generated corpus and the same (folded) aliases.
#
#   benches/compare_python.sh            # uses the crate this script lives in
#   CRATE_DIR=/path/to/crate WORK=/tmp/x benches/compare_python.sh
#   RUNS=3 benches/compare_python.sh     # best of RUNS timings for each (default 3)
#
# The crate needs `[[bench]] name = "skills_throughput" harness = false`.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CRATE_DIR="${CRATE_DIR:-$(dirname "$HERE")}"
WORK="${WORK:-$CRATE_DIR/target/skills-bench}"
POSTINGS="${POSTINGS:-20000}"
RUNS="${RUNS:-3}"
mkdir -p "$WORK"
CORPUS="$WORK/corpus.txt"
ALIASES="$WORK/aliases.json"

echo "== Rust (cargo bench in $CRATE_DIR, best of $RUNS)"
: > "$WORK/rust.txt"
for _ in $(seq "$RUNS"); do
    (cd "$CRATE_DIR" && cargo bench --bench skills_throughput -- "$CORPUS" \
        --postings "$POSTINGS" --dump-aliases "$ALIASES") | tee -a "$WORK/rust.txt"
done
RUST_MBS="$(sed -n 's/^RUST_MB_PER_S=//p' "$WORK/rust.txt" | sort -g | tail -1)"

echo "== Python baselines"
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install --quiet flashtext pyahocorasick
"$WORK/venv/bin/python" "$HERE/compare_baselines.py" "$CORPUS" "$ALIASES" --rust-mbs "$RUST_MBS" \
    --runs "$RUNS"
