#!/usr/bin/env python3
"""Writes tests/browser/postings.jsonl, the browser test's fixture: job
postings over twelve months (July 2025 to June 2026; the test looks at 2026,
the months before are its previous period) in every French région (overseas
ones included), each line in skilltrack's import format.

Two extra keys the importer ignores carry what each line is known to be:
`_region` (the gazetteer's région code) and `_python` (whether it asks for
Python). The browser test computes its expected counts from them.
No two postings share company, title and département, so none is a
duplicate of another.

    python3 tests/browser/fixture.py > tests/browser/postings.jsonl
"""

import json

CITIES = [
    ("FR-IDF", "Paris"), ("FR-ARA", "Lyon"), ("FR-NAQ", "Bordeaux"), ("FR-OCC", "Toulouse"),
    ("FR-HDF", "Lille"), ("FR-PDL", "Nantes"), ("FR-BRE", "Rennes"), ("FR-GES", "Strasbourg"),
    ("FR-PAC", "Marseille"), ("FR-NOR", "Rouen"), ("FR-BFC", "Dijon"), ("FR-CVL", "Orléans"),
    ("FR-20R", "Ajaccio"), ("FR-971", "Pointe-à-Pitre"), ("FR-972", "Fort-de-France"),
    ("FR-973", "Cayenne"), ("FR-974", "Saint-Pierre, La Réunion"), ("FR-976", "Mamoudzou"),
]
COMPANIES = [
    "Datanova", "Kerlann Systèmes", "Orbital Conseil", "Mistral Logiciels", "Pixelis",
    "Atelier Numérique", "Bleu Azur Tech", "Cognitik", "Hexafrance", "Lumen Data",
    "Nordlab", "Océane Services", "Parsec Ingénierie", "Quartz Solutions", "Rivage IT",
    "Sextant Informatique", "Tramontane Cloud", "Ubiquis", "Vauban Digital", "Winch Labs",
    "Xylos Conseil", "Yeti Analytics", "Zénith Logiciels", "Arpège Systèmes", "Boréal Data",
    "Cap Horn Tech", "Dune Ingénierie", "Estuaire Numérique", "Fjord Services", "Granit IT",
]
PYTHON_TITLES = [
    "Développeur Python (H/F)", "Ingénieur backend Python", "Data engineer Python",
    "Développeur Python / Django", "Ingénieur logiciel Python", "Python developer",
    "Développeur full stack Python", "Ingénieur machine learning Python",
]
OTHER_TITLES = [
    ("Développeur Java (H/F)", "Java 17, Spring Boot et PostgreSQL."),
    ("Ingénieur DevOps Kubernetes", "Kubernetes, Docker et Terraform sur un cloud public."),
    ("Développeur front-end React", "React, TypeScript et tests automatisés."),
    ("Administrateur systèmes Linux", "Linux, Ansible ; certification RHCSA appréciée."),
    ("Développeur PHP Symfony", "PHP 8 et Symfony, base MySQL."),
    ("Développeur Go", "Go, gRPC et PostgreSQL."),
    ("Ingénieur cloud AWS", "AWS, Terraform et Docker."),
    ("Développeur mobile Kotlin", "Kotlin et Android."),
]
MONTHS = ["2025-07", "2025-08", "2025-09", "2025-10", "2025-11", "2025-12",
          "2026-01", "2026-02", "2026-03", "2026-04", "2026-05", "2026-06"]


def python_count(region_index, month_index):
    """Python postings of a région in a month: Paris 5 → 10 in 2025, 10 → 25 in 2026; others vary."""
    if region_index == 0:
        return 5 + month_index if month_index < 6 else 10 + 3 * (month_index - 6)
    if region_index >= 13:
        return month_index % 2
    return (region_index + month_index) % 5 + 2


def other_count(region_index):
    """Other postings of a région, every month."""
    if region_index == 0:
        return 18
    if region_index >= 13:
        return 2 + region_index % 3
    return 4 + (region_index * 3) % 7


def main():
    used = set()
    n = 0
    for ri, (region, city) in enumerate(CITIES):
        for mi, month in enumerate(MONTHS):
            wanted = [True] * python_count(ri, mi) + [False] * other_count(ri)
            for k, python in enumerate(wanted):
                n += 1
                day = f"{month}-{3 + (k * 3) % 25:02d}"
                for attempt in range(len(COMPANIES) * 8):
                    company = COMPANIES[(n + attempt) % len(COMPANIES)]
                    if python:
                        title = PYTHON_TITLES[(n + attempt // len(COMPANIES)) % len(PYTHON_TITLES)]
                        text = f"Nous cherchons un(e) {title.split(' (')[0].lower()} à {city.split(',')[0]} : Python 3, tests et revue de code."
                    else:
                        title, text = OTHER_TITLES[(n + attempt // len(COMPANIES)) % len(OTHER_TITLES)]
                    key = (company, title.replace(" (H/F)", ""), city)
                    if key not in used:
                        used.add(key)
                        break
                else:
                    raise SystemExit(f"no unused company and title for {city} {month}")
                print(json.dumps({
                    "id": f"fx-{n}", "title": title, "company": company, "location": city,
                    "description": text, "posted_at": day, "first_seen": day, "last_seen": day,
                    "url": f"https://jobs.example.fr/offres/{n}",
                    "_region": region, "_python": python,
                }, ensure_ascii=False))


if __name__ == "__main__":
    main()
