#!/usr/bin/env bash
# Compare SkillMatcher throughput with FlashText and pyahocorasick on the same
# generated corpus and the same (folded) aliases.
#
#   benches/compare_python.sh            # uses the crate this script lives in
#   CRATE_DIR=/path/to/crate WORK=/tmp/x benches/compare_python.sh
#
# The crate needs `[[bench]] name = "skills_throughput" harness = false`.
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CRATE_DIR="${CRATE_DIR:-$(dirname "$HERE")}"
WORK="${WORK:-$CRATE_DIR/target/skills-bench}"
POSTINGS="${POSTINGS:-20000}"
mkdir -p "$WORK"
CORPUS="$WORK/corpus.txt"
ALIASES="$WORK/aliases.json"

echo "== Rust (cargo bench in $CRATE_DIR)"
(cd "$CRATE_DIR" && cargo bench --bench skills_throughput -- "$CORPUS" \
    --postings "$POSTINGS" --dump-aliases "$ALIASES") | tee "$WORK/rust.txt"
RUST_MBS="$(sed -n 's/^RUST_MB_PER_S=//p' "$WORK/rust.txt")"

echo "== Python baselines"
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install --quiet flashtext pyahocorasick
"$WORK/venv/bin/python" "$HERE/compare_baselines.py" "$CORPUS" "$ALIASES" --rust-mbs "$RUST_MBS"
