#!/usr/bin/env bash
# `skilltrack extract` as a whole process against FlashText and pyahocorasick
# (issue 19): JSON Lines in, JSON Lines out, the same texts and the same alias
# list (the matcher's folded forms), on a synthetic corpus and on a corpus of
# real postings; then start-up on empty input and on one posting.
#
#   benches/extract_compare.sh                      # after = target/release/skilltrack
#   BEFORE=/tmp/skilltrack-before benches/extract_compare.sh   # also the previous binary
#   STARTUP_ONLY=1 benches/extract_compare.sh     # only the start-up figures
#   RUNS=5 POSTINGS=20000 REAL_POSTINGS=10500 REAL=/path/real.jsonl benches/extract_compare.sh
#
# Every tool runs once per round, rounds alternate the tools (RUNS rounds);
# the figures are medians of wall-clock time, MB/s = bytes of the JSON Lines
# file / s. The peers run from a venv this script makes (flashtext and
# pyahocorasick from PyPI). The real corpus is, unless REAL names a file, the
# labelled postings of tests/fixtures/postings_eval and
# tests/fixtures/skills_eval.jsonl, repeated (ids made unique) to
# REAL_POSTINGS postings. Needs: cargo, python3, GNU time, hyperfine (start-up).
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CRATE_DIR="${CRATE_DIR:-$(dirname "$HERE")}"
WORK="${WORK:-$CRATE_DIR/target/extract-bench}"
AFTER="${AFTER:-$CRATE_DIR/target/release/skilltrack}"
BEFORE="${BEFORE:-}"
RUNS="${RUNS:-5}"
POSTINGS="${POSTINGS:-20000}"
REAL_POSTINGS="${REAL_POSTINGS:-10500}"
mkdir -p "$WORK"
ALIASES="$WORK/aliases.json"

echo "== corpora"
if [ ! -s "$WORK/synthetic.jsonl" ] || [ ! -s "$ALIASES" ]; then
    (cd "$CRATE_DIR" && cargo bench --bench skills_throughput -- "$WORK/synthetic.txt" \
        --postings "$POSTINGS" --dump-aliases "$ALIASES")
    python3 - "$WORK/synthetic.txt" "$WORK/synthetic.jsonl" <<'PY'
import json, sys
places = ["Lyon", "Paris 9e", "75011 Paris", "Télétravail", "Nantes (44)", "Berlin, Germany",
          "Bordeaux, Nouvelle-Aquitaine", "Remote - Europe", "Toulouse", "Lille (59)"]
text = open(sys.argv[1], encoding="utf-8").read().split("\n\x1e\n")
with open(sys.argv[2], "w", encoding="utf-8") as out:
    for i, posting in enumerate(text):
        title, _, description = posting.partition("\n")
        out.write(json.dumps({"id": str(i), "title": title, "description": description,
                              "location": places[i % len(places)]}, ensure_ascii=False) + "\n")
PY
fi
if [ -n "${REAL:-}" ]; then
    cp "$REAL" "$WORK/real.jsonl"
else
    python3 - "$CRATE_DIR" "$REAL_POSTINGS" "$WORK/real.jsonl" <<'PY'
import glob, json, os, sys
crate, want, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
files = sorted(glob.glob(os.path.join(crate, "tests/fixtures/postings_eval/*.jsonl")))
files.append(os.path.join(crate, "tests/fixtures/skills_eval.jsonl"))
postings = []
for f in files:
    for line in open(f, encoding="utf-8"):
        if not line.strip():
            continue
        p = json.loads(line)
        if "title" not in p and "text" in p:
            # skills_eval.jsonl: one text, its first line a title
            p["title"], _, p["description"] = p.pop("text").partition("\n")
        postings.append(p)
with open(path, "w", encoding="utf-8") as out:
    for i in range(want):
        p = dict(postings[i % len(postings)])
        p["id"] = f"{p.get('id')}-{i}"
        out.write(json.dumps(p, ensure_ascii=False) + "\n")
PY
fi
for c in synthetic real; do
    [ -n "$BEFORE" ] && [ -z "${STARTUP_ONLY:-}" ] && cmp -s <("$BEFORE" extract "$WORK/$c.jsonl" 2>/dev/null) \
        <("$AFTER" extract "$WORK/$c.jsonl" 2>/dev/null) && echo "$c: before and after write the same bytes"
    echo "$c: $(wc -l < "$WORK/$c.jsonl") postings, $(wc -c < "$WORK/$c.jsonl") bytes"
done

echo "== peers (venv in $WORK/venv)"
if [ ! -x "$WORK/venv/bin/python" ]; then
    python3 -m venv "$WORK/venv"
fi
"$WORK/venv/bin/pip" install --quiet flashtext pyahocorasick
PY="$WORK/venv/bin/python"

declare -A CMD
TOOLS=()
add() { TOOLS+=("$1"); CMD[$1]="$2"; }
[ -n "$BEFORE" ] && add before "$BEFORE extract"
add after "$AFTER extract"
add flashtext "$PY $HERE/extract_peers.py flashtext $ALIASES"
add pyahocorasick "$PY $HERE/extract_peers.py pyahocorasick $ALIASES"

TIMES="$WORK/times.tsv"
[ -n "${STARTUP_ONLY:-}" ] || : > "$TIMES"
for c in $([ -n "${STARTUP_ONLY:-}" ] || echo synthetic real); do
    for r in $(seq "$RUNS"); do
        for t in "${TOOLS[@]}"; do
            # exit 2 (some bad lines) is still a run
            /usr/bin/time -f "%e %U %S %M" -o "$WORK/t" ${CMD[$t]} "$WORK/$c.jsonl" \
                > "$WORK/$t.$c.out" 2> "$WORK/$t.$c.err" || [ $? -eq 2 ]
            printf '%s\t%s\t%s\t%s\n' "$c" "$t" "$r" "$(tail -1 "$WORK/t")" >> "$TIMES"
        done
    done
done
[ -n "${STARTUP_ONLY:-}" ] || python3 - "$TIMES" "$WORK" <<'PY'
import collections, statistics, sys, os
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    corpus, tool, _, times = line.rstrip("\n").split("\t")
    wall, user, sys_, rss = times.split()
    rows[corpus, tool].append((float(wall), float(user) + float(sys_), int(rss)))
for corpus in ("synthetic", "real"):
    size = os.path.getsize(os.path.join(sys.argv[2], corpus + ".jsonl")) / 1e6
    print(f"-- {corpus}: {size:.1f} MB (medians of {len(rows[corpus, 'after'])} runs)")
    mbs = {}
    for (c, tool), runs in rows.items():
        if c != corpus:
            continue
        wall = statistics.median(r[0] for r in runs)
        cpu = statistics.median(r[1] for r in runs)
        rss = statistics.median(r[2] for r in runs)
        mbs[tool] = size / wall
        print(f"{tool:>14}: {wall:6.2f} s wall ({min(r[0] for r in runs):.2f}-{max(r[0] for r in runs):.2f}), "
              f"{cpu:6.2f} s CPU, {size / wall:7.1f} MB/s, {rss / 1024:.0f} MB peak")
    for peer in ("flashtext", "pyahocorasick"):
        print(f"   after / {peer} = x{mbs['after'] / mbs[peer]:.1f}")
    if "before" in mbs:
        print(f"   after / before = x{mbs['after'] / mbs['before']:.2f}")
PY

echo "== start-up: empty input, one posting"
EMPTY="$WORK/empty.jsonl"
: > "$EMPTY"
ARGS=()
[ -n "$BEFORE" ] && ARGS+=("$BEFORE extract $EMPTY" "$BEFORE --version" "$BEFORE extract $WORK/one.jsonl")
ARGS+=("$AFTER extract $EMPTY" "$AFTER --version" "$AFTER extract $WORK/one.jsonl")
head -1 "$WORK/real.jsonl" > "$WORK/one.jsonl"
ARGS+=("$PY $HERE/extract_peers.py flashtext $ALIASES $EMPTY")
hyperfine -N --warmup 5 --runs "${STARTUP_RUNS:-40}" --export-json "$WORK/startup.json" \
    "${ARGS[@]}" > /dev/null
python3 - "$WORK/startup.json" <<'PY'
import json, sys
for r in json.load(open(sys.argv[1]))["results"]:
    print(f"{r['median'] * 1e3:7.1f} ms median ({r['min'] * 1e3:.1f}-{r['max'] * 1e3:.1f}), "
          f"user {r['user'] * 1e3:.1f} ms: {r['command']}")
PY
