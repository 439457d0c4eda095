#!/usr/bin/env bash
# Issue 20, measured through the commands a user runs:
#
#  1. The single-machine path unchanged: `skilltrack import` of a generated
#     file in which every posting is seen SEEN times (so the store merges
#     re-sightings, `merge_seen`, on most lines) into a fresh database, the
#     BEFORE and AFTER binaries alternately, RUNS rounds.
#  2. The lake (AFTER only): the database written as a lake (`export lake`),
#     then `reindex --from-lake` of that lake into a fresh database against
#     `import` of the same file, alternately.
#  3. The batch filters as Spark would run them, with `sort` between:
#     zcat | batch extract | sort | batch reduce-postings | sort | batch reduce-clusters.
#
# Wall seconds and peak RSS from GNU time; medians printed at the end.
#
#   BEFORE=/path/to/skilltrack-of-main AFTER=target/release/skilltrack \
#     POSTINGS=20000 SEEN=3 RUNS=3 benches/lake_reindex.sh
set -euo pipefail
HERE="$(cd "$(dirname "$0")" && pwd)"
CRATE_DIR="$(dirname "$HERE")"
POSTINGS="${POSTINGS:-20000}"
SEEN="${SEEN:-3}"
RUNS="${RUNS:-3}"
WORK="${WORK:-$CRATE_DIR/target/lake-bench}"
AFTER="${AFTER:-$CRATE_DIR/target/release/skilltrack}"
BEFORE="${BEFORE:-}"
mkdir -p "$WORK"
INPUT="$WORK/postings-$POSTINGS-x$SEEN.jsonl"
RESULTS="$WORK/results.tsv"
: > "$RESULTS"

if [ ! -f "$INPUT" ]; then
    python3 - "$POSTINGS" "$SEEN" "$INPUT" <<'EOF'
import datetime, json, random, sys
n, seen, path = int(sys.argv[1]), int(sys.argv[2]), sys.argv[3]
rng = random.Random(20)
skills = ["Python", "Rust", "Kubernetes", "Docker", "Linux", "PostgreSQL", "Ansible",
          "Terraform", "Java", "Go", "React", "Kafka", "Spark", "AWS", "GitLab CI"]
places = ["Paris", "Lyon", "Bordeaux", "Lille", "Nantes", "Toulouse", "Télétravail", "Berlin"]
companies = [f"Société {i}" for i in range(2000)]
titles = ["Développeur Python", "Ingénieur DevOps", "Administrateur Linux", "Data engineer",
          "Développeur Java", "SRE", "Ingénieur cloud"]
filler = ("Au sein d'une équipe produit, vous participerez à la conception et à la mise en "
          "production de nos services. ") * 8
start = datetime.date(2025, 1, 1)
events = []
for i in range(n):
    day = rng.randrange(0, 700)
    line = {
        "id": str(i), "source": f"board-{i % 4}",
        "title": rng.choice(titles), "company": rng.choice(companies),
        "location": rng.choice(places),
        "description": filler + "Stack : " + ", ".join(rng.sample(skills, rng.randrange(3, 8))) + ".",
        "description_format": "text",
    }
    if rng.random() < 0.5:
        line["posted_at"] = (start + datetime.timedelta(days=day)).isoformat()
    for k in range(seen):
        at = start + datetime.timedelta(days=day + 3 * k * (k + 1) // 2)
        events.append((at, i, k, line))
events.sort(key=lambda e: (e[0], e[1], e[2]))
with open(path, "w") as out:
    for at, _, _, line in events:
        line = dict(line, first_seen=at.isoformat(), last_seen=at.isoformat())
        out.write(json.dumps(line, ensure_ascii=False) + "\n")
EOF
fi
echo "input: $INPUT ($(wc -l < "$INPUT") lines, $(du -h "$INPUT" | cut -f1))"

# One timed command: appends "figure<TAB>binary<TAB>seconds<TAB>peak MB".
timed() {
    local figure="$1" label="$2"
    shift 2
    /usr/bin/time -o "$WORK/time" -f '%e %M' "$@" > /dev/null 2> "$WORK/stderr"
    local secs kb
    read -r secs kb < "$WORK/time"
    printf '%s\t%s\t%s\t%s\n' "$figure" "$label" "$secs" "$((kb / 1024))" | tee -a "$RESULTS"
}

fresh() { rm -rf "$WORK/db-$1"; echo "$WORK/db-$1"; }

for round in $(seq "$RUNS"); do
    echo "round $round"
    if [ -n "$BEFORE" ]; then
        timed import before "$BEFORE" --data-dir "$(fresh before)" import "$INPUT"
    fi
    timed import after "$AFTER" --data-dir "$(fresh after)" import "$INPUT"
done

# The lake of the imported database.
rm -rf "$WORK/lake"
"$AFTER" --data-dir "$WORK/db-after" export lake --out "$WORK/lake" > /dev/null
echo "lake: $(du -sh "$WORK/lake" | cut -f1), $(find "$WORK/lake" -name '*.jsonl.gz' | wc -l) files"
for round in $(seq "$RUNS"); do
    timed reindex-from-lake after "$AFTER" --data-dir "$(fresh lake)" reindex --from-lake "$WORK/lake"
    timed import-same-file after "$AFTER" --data-dir "$(fresh after)" import "$INPUT"
    timed batch-filters after bash -c "
        find '$WORK/lake/raw' -name '*.jsonl.gz' ! -name '.*' | sort | xargs zcat \
          | '$AFTER' batch extract | LC_ALL=C sort -t\$'\\t' -k1,1 -s -S 25% \
          | '$AFTER' batch reduce-postings | LC_ALL=C sort -t\$'\\t' -k1,1 -s -S 25% \
          | '$AFTER' batch reduce-clusters > '$WORK/count-rows.tsv'"
done

echo
echo "medians (figure, binary, seconds, peak MB):"
python3 - "$RESULTS" <<'EOF'
import statistics, sys, collections
rows = collections.defaultdict(list)
for line in open(sys.argv[1]):
    figure, label, secs, mb = line.split("\t")
    rows[(figure, label)].append((float(secs), int(mb)))
for (figure, label), v in rows.items():
    print(f"{figure}\t{label}\t{statistics.median(s for s, _ in v):.2f} s\t"
          f"{statistics.median(m for _, m in v):.0f} MB\t(n={len(v)})")
EOF
