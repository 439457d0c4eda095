#!/usr/bin/env python3
"""Generate a raw-postings lake (LAKE/raw/v1/...) for tests and benchmarks.

Standard library only. Deterministic for a given --seed. What it writes is
what several collectors would append, with the awkward parts of a real log:

- cross-source duplicates: the same job (company, title, place) on two
  sources a few days apart, which the counting rules merge;
- changed postings: a second version fetched later with other skills;
- re-sightings: `"kind": "seen"` lines that only move a posting's last day;
- shards: each source's lines of a day split over several run files;
- duplicated lines (at-least-once delivery) and a whole run file repeated
  under another run id.

With --oracle FILE it also writes, as `skilltrack import` lines, each
posting's final state (the latest version's content, first day seen the
earliest, last day seen the latest): importing that file into an empty
database gives the counts the lake must give.

    python3 scaleout/gen_lake.py --out /tmp/lake --postings 2000 --oracle /tmp/oracle.jsonl
"""

import argparse
import datetime as dt
import gzip
import hashlib
import json
import os
import random

SOURCES = ["board-a", "board-b", "board-c"]
TITLES = [
    "Développeur Python (H/F)",
    "Ingénieur DevOps",
    "Administrateur Linux",
    "Data Engineer",
    "Développeur Java",
    "SRE Kubernetes",
    "Développeur Rust",
    "Ingénieur PostgreSQL",
]
SKILLS = [
    "Python",
    "Docker",
    "Kubernetes",
    "PostgreSQL",
    "Linux",
    "Terraform",
    "Ansible",
    "React",
    "Rust",
    "Java",
    "Kafka",
    "Git",
]
PLACES = [
    "Paris",
    "Lyon",
    "33000 Bordeaux",
    "Lille",
    "Nantes",
    "Toulouse",
    "Marseille",
    "Télétravail",
    "Berlin",
]
FIRST_DAY = dt.date(2026, 1, 1)


def fetched_at(day, second):
    """RFC 3339 UTC time on `day`, `second` seconds after 06:00."""
    t = dt.datetime(day.year, day.month, day.day, 6, 0, 0) + dt.timedelta(seconds=second)
    return t.strftime("%Y-%m-%dT%H:%M:%SZ")


def content_hash(fields):
    """16 hex digits over the posting's fields (any stable hash will do)."""
    text = json.dumps(fields, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def description(rng, skills):
    return "Nous recherchons une personne motivée. Stack : %s. CDI, télétravail partiel." % (
        ", ".join(skills)
    )


def fields_of(rng, title, company, place, day, skills):
    return {
        "id": None,
        "title": title,
        "company": company,
        "location": place,
        "posted_at": day.isoformat(),
        "description": description(rng, skills),
    }


def generate(n, seed, days):
    """Yields (source, fetch day, line dict) for every raw line, and returns
    through `final` each posting's final import line."""
    rng = random.Random(seed)
    lines = []
    final = {}
    previous = None
    for i in range(n):
        source = SOURCES[i % len(SOURCES)]
        ext = "j%d" % i
        day = FIRST_DAY + dt.timedelta(days=rng.randrange(days))
        if previous is not None and i % 10 == 0:
            # The previous job, on another source, a few days later.
            title, company, place = previous[:3]
            day = previous[3] + dt.timedelta(days=rng.randrange(1, 5))
        else:
            title = rng.choice(TITLES)
            company = "Entreprise %d" % rng.randrange(max(1, n // 4))
            place = rng.choice(PLACES)
        skills = rng.sample(SKILLS, rng.randrange(1, 4))
        previous = (title, company, place, day)
        versions = [(day, 0, fields_of(rng, title, company, place, day, skills))]
        if rng.random() < 0.2:
            # Changed a few days later: other skills, sometimes another title.
            later = day + dt.timedelta(days=rng.randrange(1, 6))
            new_title = title if rng.random() < 0.5 else title + " confirmé"
            new_skills = rng.sample(SKILLS, rng.randrange(1, 4))
            versions.append((later, 1, fields_of(rng, new_title, company, place, day, new_skills)))
        first = versions[0][0]
        last = versions[-1][0]
        for vday, k, f in versions:
            f["id"] = ext
            body = dict(f)
            line = dict(body)
            line.update(
                {
                    "schema": 1,
                    "source": source,
                    "fetched": fetched_at(vday, i % 3000 + k),
                    "hash": content_hash(body),
                }
            )
            lines.append((source, vday, line))
        if rng.random() < 0.3:
            seen_day = last + dt.timedelta(days=rng.randrange(1, 15))
            lines.append(
                (
                    source,
                    seen_day,
                    {
                        "schema": 1,
                        "kind": "seen",
                        "source": source,
                        "id": ext,
                        "fetched": fetched_at(seen_day, i % 3000 + 2),
                    },
                )
            )
            last = seen_day
        latest = dict(versions[-1][2])
        latest.update(
            {"source": source, "first_seen": first.isoformat(), "last_seen": last.isoformat()}
        )
        final[(source, ext)] = latest
    return lines, final


def write_lake(out, lines, shards, seed):
    """Writes the lines into run files; returns the paths written."""
    rng = random.Random(seed + 1)
    files = {}
    for source, day, line in lines:
        shard = rng.randrange(shards)
        key = (day, source, shard)
        files.setdefault(key, []).append(line)
    written = []
    for (day, source, shard), group in sorted(files.items()):
        run = "%sT060000Z-s%dof%d-%s" % (
            day.strftime("%Y%m%d"),
            shard,
            shards,
            hashlib.blake2b(("%s%s%d" % (day, source, shard)).encode(), digest_size=4).hexdigest(),
        )
        body = []
        for line in group:
            line = dict(line)
            line["run"] = run
            text = json.dumps(line, ensure_ascii=False, separators=(",", ":"))
            body.append(text)
            if rng.random() < 0.05:
                body.append(text)  # delivered twice
        directory = os.path.join(out, "raw", "v1", "day=%s" % day.isoformat(), "source=%s" % source)
        os.makedirs(directory, exist_ok=True)
        path = os.path.join(directory, "run=%s.jsonl.gz" % run)
        tmp = os.path.join(directory, ".run=%s.jsonl.gz.tmp" % run)
        with gzip.open(tmp, "wt", encoding="utf-8", compresslevel=1) as f:
            f.write("\n".join(body) + "\n")
        os.replace(tmp, path)
        written.append(path)
    # A whole run file written again under another run id (a re-executed run).
    if written:
        src = written[len(written) // 2]
        again = src.replace(".jsonl.gz", "-again.jsonl.gz")
        with open(src, "rb") as a, open(again, "wb") as b:
            b.write(a.read())
        written.append(again)
    return written


def write_bad(out, n):
    """`n` lines no stage can read, in a run file of their own."""
    if n <= 0:
        return None
    directory = os.path.join(out, "raw", "v1", "day=2026-01-01", "source=board-a")
    os.makedirs(directory, exist_ok=True)
    path = os.path.join(directory, "run=20260101T235959Z-s0of1-badbad00.jsonl.gz")
    kinds = ['{"schema":1,"source":"board-a","id":"x%d"}', "not json %d", '{"schema":1,"id":"y%d"}']
    with gzip.open(path, "wt", encoding="utf-8") as f:
        for i in range(n):
            f.write(kinds[i % len(kinds)] % i + "\n")
    return path


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--out", required=True, help="the lake directory")
    p.add_argument("--postings", type=int, default=2000, help="distinct postings")
    p.add_argument("--days", type=int, default=60, help="days the posting days span")
    p.add_argument("--shards", type=int, default=3, help="run files per source and day")
    p.add_argument("--seed", type=int, default=20)
    p.add_argument("--bad-lines", type=int, default=0, help="add this many unreadable lines")
    p.add_argument("--oracle", help="write each posting's final state here (import lines)")
    args = p.parse_args()
    lines, final = generate(args.postings, args.seed, args.days)
    files = write_lake(args.out, lines, args.shards, args.seed)
    if write_bad(args.out, args.bad_lines):
        files.append("bad")
    if args.oracle:
        with open(args.oracle, "w", encoding="utf-8") as f:
            for key in sorted(final):
                f.write(json.dumps(final[key], ensure_ascii=False, separators=(",", ":")) + "\n")
    print("lake %s: %d raw lines in %d files, %d postings" % (args.out, len(lines), len(files), len(final)))


if __name__ == "__main__":
    main()
