#!/usr/bin/env bash
# Time to first answer, peak RSS and disk per posting: `skilltrack import`
# of a JSON Lines file into a fresh database, then a monthly count for one
# skill (`skilltrack export trends`), against DuckDB reading the same file
# (`read_json` + a regex group-by). With EXTRACT=1 (the default), each
# round also times `skilltrack extract` of the same file (output to a file): the
# normalization alone (HTML, sections, asks, skills, places), without the
# store, which is what the import does to every posting and DuckDB's query
# does not. Then disk after `skilltrack reindex` run REINDEX times. Binaries
# run alternately, RUNS rounds; the figures are the medians.
#
#   BINS="/tmp/skilltrack-before /tmp/skilltrack-after" POSTINGS=100000 RUNS=3 benches/first_answer.sh
#   POSTINGS=1000000 RUNS=3 REINDEX=0 benches/first_answer.sh   # the 1 M figures
#
# The input comes from the store bench's generator (`cargo bench --bench
# store_import -- --postings N --generate-only`, about 3.2 KB a line), made
# once into target/store-bench-N.jsonl. DuckDB comes from PyPI into a venv
# this script makes (WORK/venv). Needs /usr/bin/time (GNU time).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CRATE_DIR="$(dirname "$HERE")"
POSTINGS="${POSTINGS:-100000}"
RUNS="${RUNS:-3}"
REINDEX="${REINDEX:-10}"
EXTRACT="${EXTRACT:-1}"
SKILL="${SKILL:-python}"
WORK="${WORK:-$CRATE_DIR/target/first-answer}"
INPUT="${INPUT:-$CRATE_DIR/target/store-bench-$POSTINGS.jsonl}"
if [ -z "${BINS:-}" ]; then
    (cd "$CRATE_DIR" && cargo build --release --bin skilltrack)
    BINS="$CRATE_DIR/target/release/skilltrack"
fi
mkdir -p "$WORK"

if [ ! -f "$INPUT" ]; then
    (cd "$CRATE_DIR" && cargo bench --bench store_import -- --postings "$POSTINGS" \
        --input "$INPUT" --generate-only)
fi
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install --quiet duckdb

# One run: the command's wall seconds and peak RSS (MB), from GNU time.
timed() {
    local out="$1"
    shift
    /usr/bin/time -f "%e %M" -o "$out.time" "$@" > "$out.stdout" 2> "$out.stderr"
    awk '{ printf "%s %.0f", $1, $2 / 1024 }' "$out.time"
}

skilltrack_first_answer() {
    local bin="$1" db="$WORK/db"
    rm -rf "$db"
    local import query
    import="$(SKILLTRACK_DATA_DIR="$db" timed "$WORK/import" "$bin" import --source bench "$INPUT")"
    query="$(SKILLTRACK_DATA_DIR="$db" timed "$WORK/query" "$bin" export trends --skills "$SKILL" \
        --interval month --metric new --from 2023-01-01 --to 2025-12-31)"
    local bytes
    bytes="$(du -sb "$db" | cut -f1)"
    # seconds (import + query), peak RSS of the import, bytes per posting
    awk -v a="$import" -v q="$query" -v b="$bytes" -v n="$POSTINGS" 'BEGIN {
        split(a, x, " "); split(q, y, " ");
        printf "%.2f %d %.0f\n", x[1] + y[1], (x[2] > y[2] ? x[2] : y[2]), b / n }'
}

# `extract` of the whole file (its output written to a file in WORK, as a
# user would keep it): seconds and peak RSS.
skilltrack_extract() {
    timed "$WORK/extract" "$1" extract "$INPUT"
    echo
}

duckdb_first_answer() {
    cat > "$WORK/duck.py" <<PY
import duckdb, sys
con = duckdb.connect()
rows = con.execute("""
    SELECT date_trunc('month', CAST(posted_at AS DATE)) AS month, count(*) AS n
    FROM read_json('$INPUT', format = 'newline_delimited')
    WHERE regexp_matches(lower(title || ' ' || description), '\\\\b$SKILL\\\\b')
    GROUP BY 1 ORDER BY 1
""").fetchall()
print(len(rows), sum(n for _, n in rows))
PY
    timed "$WORK/duck" "$WORK/venv/bin/python" "$WORK/duck.py"
    echo
}

median() { sort -g | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

: > "$WORK/results.txt"
for round in $(seq "$RUNS"); do
    for bin in $BINS; do
        echo "skilltrack $bin $(skilltrack_first_answer "$bin")" | tee -a "$WORK/results.txt"
        if [ "$EXTRACT" = 1 ]; then
            echo "extract $bin $(skilltrack_extract "$bin")" | tee -a "$WORK/results.txt"
        fi
    done
    echo "duckdb - $(duckdb_first_answer)" | tee -a "$WORK/results.txt"
done

echo "== medians over $RUNS rounds, $POSTINGS postings ($(du -b "$INPUT" | cut -f1) bytes of JSON)"
for bin in $BINS duckdb; do
    rows="$(awk -v b="$bin" '($1 == "skilltrack" && $2 == b) || ($1 == "duckdb" && b == "duckdb")' "$WORK/results.txt")"
    secs="$(echo "$rows" | awk '{ print $3 }' | median)"
    rss="$(echo "$rows" | awk '{ print $4 }' | median)"
    per="$(echo "$rows" | awk '{ print $5 }' | median)"
    echo "$bin: first answer ${secs} s, peak RSS ${rss} MB, ${per:-?} bytes on disk per posting"
done
if [ "$EXTRACT" = 1 ]; then
    for bin in $BINS; do
        rows="$(awk -v b="$bin" '$1 == "extract" && $2 == b' "$WORK/results.txt")"
        echo "$bin: extract alone $(echo "$rows" | awk '{ print $3 }' | median) s," \
            "peak RSS $(echo "$rows" | awk '{ print $4 }' | median) MB"
    done
fi

if [ "$REINDEX" -gt 0 ]; then
    echo "== disk after reindex (each binary on a fresh import)"
    for bin in $BINS; do
        db="$WORK/db"
        rm -rf "$db"
        SKILLTRACK_DATA_DIR="$db" "$bin" import --source bench "$INPUT" > /dev/null 2>&1
        sizes="$(du -sb "$db" | cut -f1)"
        for _ in $(seq "$REINDEX"); do
            SKILLTRACK_DATA_DIR="$db" "$bin" reindex > /dev/null 2>&1
            sizes="$sizes $(du -sb "$db" | cut -f1)"
        done
        echo "$bin: bytes after import then each reindex: $sizes"
    done
fi
