#!/usr/bin/env python3
"""The peers of `skilltrack extract`, as whole processes: JSON Lines in, one
JSON line out per posting.

    extract_peers.py flashtext|pyahocorasick ALIASES.json CORPUS.jsonl > out.jsonl

ALIASES is what `benches/skills_throughput.rs --dump-aliases` writes
({"skill-id": ["folded form", ...]}), the forms skilltrack's matcher looks
for. Each posting's title, description and tags are searched:

* flashtext: `KeywordProcessor(case_sensitive=False)`, its own word
  boundaries;
* pyahocorasick: `str.lower()` then `Automaton.iter`, no boundary check.

The output line is {"id": ..., "skills": [sorted skill ids]}.
"""
import json
import sys


def matcher(kind, aliases):
    if kind == "flashtext":
        from flashtext import KeywordProcessor

        kp = KeywordProcessor(case_sensitive=False)
        for skill, forms in aliases.items():
            for form in forms:
                kp.add_keyword(form, skill)
        return lambda text: set(kp.extract_keywords(text))
    if kind == "pyahocorasick":
        import ahocorasick

        automaton = ahocorasick.Automaton()
        for skill, forms in aliases.items():
            for form in forms:
                automaton.add_word(form, skill)
        automaton.make_automaton()
        return lambda text: {skill for _, skill in automaton.iter(text.lower())}
    sys.exit(f"unknown peer {kind!r}: flashtext or pyahocorasick")


def main():
    kind, aliases_path, corpus_path = sys.argv[1:4]
    with open(aliases_path, encoding="utf-8") as f:
        find = matcher(kind, json.load(f))
    write = sys.stdout.write
    with open(corpus_path, encoding="utf-8") as f:
        for line in f:
            if not line.strip():
                continue
            posting = json.loads(line)
            parts = [posting.get("title") or "", posting.get("description") or ""]
            parts.extend(posting.get("tags") or [])
            skills = sorted(find("\n".join(parts)))
            write(json.dumps({"id": posting.get("id"), "skills": skills}) + "\n")


if __name__ == "__main__":
    main()
