#!/usr/bin/env python3
"""Python baselines for the skill matcher benchmark.

Reads the corpus written by `benches/skills_throughput.rs` (postings separated
by a line holding only U+001E) and the folded aliases it dumped with
`--dump-aliases` ({"skill-id": ["form", ...]}), then times:

* FlashText `KeywordProcessor` (case-insensitive, its own word boundaries);
* pyahocorasick with a `str.lower()` pass and no boundary checks.

Prints MB/s (bytes of UTF-8 text per second) for each (best of `--runs`
timings) and, given `--rust-mbs`, the Rust/FlashText and Rust/pyahocorasick
ratios.
"""
import argparse
import json
import time

SEPARATOR = "\n\x1e\n"


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("corpus")
    ap.add_argument("aliases")
    ap.add_argument("--rust-mbs", type=float, default=None)
    ap.add_argument("--runs", type=int, default=1, help="time each baseline this many times, keep the best")
    args = ap.parse_args()

    with open(args.corpus, encoding="utf-8") as f:
        postings = f.read().split(SEPARATOR)
    with open(args.aliases, encoding="utf-8") as f:
        aliases = json.load(f)
    mb = sum(len(p.encode("utf-8")) for p in postings) / 1e6
    print(f"corpus: {len(postings)} postings, {mb:.1f} MB; {sum(map(len, aliases.values()))} forms")

    from flashtext import KeywordProcessor

    kp = KeywordProcessor(case_sensitive=False)
    for skill, forms in aliases.items():
        for form in forms:
            kp.add_keyword(form, skill)
    secs = float("inf")
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        found = 0
        for p in postings:
            found += len(set(kp.extract_keywords(p)))
        secs = min(secs, time.perf_counter() - start)
    flash = mb / secs
    print(f"FlashText KeywordProcessor: {secs:.2f} s, {flash:.2f} MB/s, {len(postings) / secs:.0f} postings/s, "
          f"{found / len(postings):.1f} skills/posting")

    import ahocorasick

    automaton = ahocorasick.Automaton()
    for skill, forms in aliases.items():
        for form in forms:
            automaton.add_word(form, skill)
    automaton.make_automaton()
    secs = float("inf")
    for _ in range(max(1, args.runs)):
        start = time.perf_counter()
        found = 0
        for p in postings:
            found += len({skill for _, skill in automaton.iter(p.lower())})
        secs = min(secs, time.perf_counter() - start)
    pyac = mb / secs
    print(f"pyahocorasick (lower + iter, no boundaries): {secs:.2f} s, {pyac:.2f} MB/s, "
          f"{len(postings) / secs:.0f} postings/s, {found / len(postings):.1f} skills/posting")

    if args.rust_mbs:
        print(f"Rust SkillMatcher: {args.rust_mbs:.2f} MB/s")
        print(f"ratio Rust/FlashText = {args.rust_mbs / flash:.1f}x (target >= 10x)")
        print(f"ratio Rust/pyahocorasick = {args.rust_mbs / pyac:.1f}x")


if __name__ == "__main__":
    main()
