#!/usr/bin/env python3
"""Compare the trends two running skilltrack servers answer, series by series.

    compare_api.py http://127.0.0.1:P1 http://127.0.0.1:P2

Asks both for many skills x geographies x both metrics (daily buckets over
the generated lake's days) and fails, naming the first difference, unless
every answer is identical. Exits 1 when nothing was compared (all zeros
would hide a broken import).
"""

import json
import sys
import urllib.request

SKILLS = ["python", "docker", "kubernetes", "postgresql", "linux", "terraform",
          "ansible", "react", "rust", "java", "kafka", "git", "*"]
GEOS = ["WORLD", "FR", "FR-IDF", "FR-75", "FR-ARA", "FR-69", "FR-33", "FR-59", "FR-44",
        "FR-31", "FR-13", "REMOTE", "DE"]


def get(base, path):
    with urllib.request.urlopen(base + path, timeout=30) as r:
        return json.load(r)


def main():
    expected_base, actual_base = sys.argv[1], sys.argv[2]
    compared = nonzero = 0
    skills = [s for s in SKILLS if s != "*"]
    for metric in ["new", "active"]:
        for geo in GEOS:
            for i in range(0, len(skills), 6):
                query = "/api/v1/trends?skills=%s&geo=%s&metric=%s&interval=day&from=2025-12-20&to=2026-06-30" % (
                    ",".join(skills[i:i + 6]), geo, metric)
                a, b = get(expected_base, query), get(actual_base, query)
                if a != b:
                    for sa, sb in zip(a.get("series", []), b.get("series", [])):
                        for pa, pb in zip(sa["points"], sb["points"]):
                            if pa != pb:
                                sys.exit("differ on %s: %s %s %s: expected %s, got %s"
                                         % (query, sa["skill"], sa["geo"], pa["date"], pa, pb))
                    sys.exit("differ on %s" % query)
                for s in a["series"]:
                    compared += len(s["points"])
                    nonzero += sum(1 for p in s["points"] if p["count"])
    if nonzero == 0:
        sys.exit("no non-zero point compared: the stores are empty")
    print("compare_api: %d points identical (%d non-zero), %d skills x %d geographies x 2 metrics"
          % (compared, nonzero, len(skills), len(GEOS)))


if __name__ == "__main__":
    main()
