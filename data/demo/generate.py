#!/usr/bin/env python3
"""Writes data/demo/postings.jsonl.gz, the sample job board of `skilltrack demo`.

Deterministic (seed below, gzip without a timestamp): running it again gives the same bytes.
Standard library only. Every text is written for the project from the fragments below; the
companies are invented.

Each line is one posting: id, kind (the source kind that serves it: json, html, jsonld, rss),
days_ago (the board turns it into a date when it serves the page, so the demo always covers the
last 18 months), title, company, location, remote, lang, description (HTML), tags.

The trends built in, which the demo test checks through the API:
- CKA takes off in Bretagne (FR-BRE): ~2% of postings there a year ago, ~45% in the last 3 months;
- Rust rises everywhere (~3% → ~18% of developer postings);
- AngularJS declines (~25% → ~3% of front-end postings) while React rises.
"""

import gzip
import io
import json
import os
import random

SEED = 17
COUNT = 3200
DAYS = 548  # 18 months

rng = random.Random(SEED)

# (location as a board writes it, région code or a marker). Several spellings per place.
PLACES = [
    ("Paris (75)", "IDF"), ("75011 Paris", "IDF"), ("Paris 9e", "IDF"), ("La Défense (92)", "IDF"),
    ("Boulogne-Billancourt, Hauts-de-Seine", "IDF"), ("Saint-Denis - 93", "IDF"), ("Massy (91)", "IDF"),
    ("Issy-les-Moulineaux", "IDF"), ("Versailles, 78", "IDF"),
    ("Lyon (69)", "ARA"), ("69003 Lyon", "ARA"), ("Grenoble, Isère", "ARA"), ("Clermont-Ferrand (63)", "ARA"),
    ("Annecy - 74", "ARA"), ("Saint-Étienne", "ARA"),
    ("Toulouse (31)", "OCC"), ("Montpellier, Hérault", "OCC"), ("31400 Toulouse", "OCC"), ("Nîmes (30)", "OCC"),
    ("Bordeaux (33)", "NAQ"), ("Mérignac, Gironde", "NAQ"), ("Pau - 64", "NAQ"), ("Limoges (87)", "NAQ"),
    ("Poitiers", "NAQ"),
    ("Nantes (44)", "PDL"), ("44000 Nantes", "PDL"), ("Angers, Maine-et-Loire", "PDL"), ("Le Mans (72)", "PDL"),
    ("Rennes (35)", "BRE"), ("35000 Rennes", "BRE"), ("Brest, Finistère", "BRE"), ("Lannion (22)", "BRE"),
    ("Vannes - 56", "BRE"), ("Cesson-Sévigné (35)", "BRE"), ("Lorient, Morbihan", "BRE"), ("Quimper (29)", "BRE"),
    ("Lille (59)", "HDF"), ("59000 Lille", "HDF"), ("Amiens, Somme", "HDF"), ("Villeneuve-d'Ascq", "HDF"),
    ("Strasbourg (67)", "GES"), ("Nancy, Meurthe-et-Moselle", "GES"), ("Metz - 57", "GES"), ("Reims (51)", "GES"),
    ("Marseille (13)", "PAC"), ("Nice, Alpes-Maritimes", "PAC"), ("Sophia Antipolis (06)", "PAC"),
    ("Aix-en-Provence", "PAC"), ("Toulon (83)", "PAC"),
    ("Rouen (76)", "NOR"), ("Caen, Calvados", "NOR"), ("Le Havre", "NOR"),
    ("Dijon (21)", "BFC"), ("Besançon, Doubs", "BFC"),
    ("Tours (37)", "CVL"), ("Orléans, Loiret", "CVL"),
    ("Ajaccio (2A)", "20R"), ("Bastia", "20R"),
]
FOREIGN = [
    "London, United Kingdom", "Berlin, Germany", "Amsterdam, Netherlands", "Bruxelles, Belgique",
    "Genève, Suisse", "Montréal, Québec, Canada", "Barcelona, Spain", "Luxembourg", "Dublin, Ireland",
    "Munich, Germany",
]
REMOTE = ["Télétravail complet", "100% remote", "Remote (Europe)", "Full remote - France", "Remote, EU time zones"]

# Bretagne gets a few more postings: the région the CKA story happens in.
REGION_WEIGHT = {"IDF": 6, "ARA": 3, "OCC": 2, "NAQ": 2, "PDL": 2, "BRE": 4, "HDF": 2, "GES": 2,
                 "PAC": 2, "NOR": 1, "BFC": 1, "CVL": 1, "20R": 0.3}

COMPANIES = [
    "Armorique Numérique", "Breizh Cloud Services", "Océan Data", "Granit Logiciel", "Kerlann Systèmes",
    "Atelier Lumière", "Rhône Analytics", "Alpes DevWorks", "Garonne Tech", "Aquitaine Réseaux",
    "Loire Informatique", "Nord Industrie Digitale", "Vosges Cloud", "Calanques Logiciels", "Azur Mobilité",
    "Seine Finance", "Banque Hexagone", "Mutuelle Horizon", "Assurances du Ponant", "Transports Lumen",
    "Énergie Verte SA", "Hôpital Numérique Services", "Collectivité Open Data", "Librairie Libre",
    "Orbital Robotics", "Quanta Labs", "Northwind Software", "Bluefin Payments", "Copperleaf Games",
    "Juniper Health", "Tidewater Logistics", "Meridian Maps", "Atlas Retail Tech", "Pixel & Paper",
    "Sillon Agritech", "Cidre Conseil", "Menhir Security", "Phare Télécom", "Goémon Studio", "Mistral Infra",
]

# Role families: French title, English title, core skill phrases (FR, EN).
ROLES = {
    "devops": (
        ["Ingénieur DevOps (H/F)", "Ingénieur DevOps F/H", "DevOps confirmé", "Ingénieur Cloud (H/F)",
         "SRE - Site Reliability Engineer (H/F)", "Ingénieur plateforme Kubernetes"],
        ["DevOps Engineer", "Cloud Engineer", "Site Reliability Engineer", "Platform Engineer"],
        ["Kubernetes", "Docker", "Terraform", "Ansible", "GitLab CI", "Prometheus", "Linux"],
    ),
    "sysadmin": (
        ["Administrateur systèmes Linux (H/F)", "Administrateur systèmes et réseaux F/H",
         "Ingénieur systèmes Linux", "Technicien d'exploitation Linux (H/F)"],
        ["Linux Systems Administrator", "Systems Engineer (Linux)"],
        ["Linux", "Red Hat Enterprise Linux", "Ansible", "Bash", "VMware", "PostgreSQL"],
    ),
    "backend": (
        ["Développeur Backend Python (H/F)", "Développeur Java Spring Boot F/H", "Ingénieur logiciel backend",
         "Développeur Go (H/F)", "Développeur back-end confirmé", "Ingénieur logiciel systèmes (H/F)"],
        ["Backend Developer", "Senior Backend Engineer", "Software Engineer, Platform", "Systems Software Engineer"],
        ["Python", "Django", "Java", "Spring Boot", "PostgreSQL", "Golang", "Redis", "Kafka"],
    ),
    "frontend": (
        ["Développeur Front-end (H/F)", "Développeur JavaScript F/H", "Développeur web front confirmé",
         "Intégrateur web (H/F)"],
        ["Front-end Developer", "Senior Frontend Engineer", "Web Developer"],
        ["JavaScript", "TypeScript", "HTML", "CSS", "Vue.js", "Sass"],
    ),
    "data": (
        ["Data Engineer (H/F)", "Ingénieur Data F/H", "Data Scientist (H/F)", "Ingénieur big data"],
        ["Data Engineer", "Data Scientist", "Analytics Engineer"],
        ["Python", "Apache Spark", "Airflow", "PostgreSQL", "dbt", "Kafka", "pandas"],
    ),
}
ROLE_WEIGHT = {"devops": 3, "sysadmin": 2, "backend": 4, "frontend": 3, "data": 2}

INTRO_FR = [
    "{c} conçoit et exploite des services numériques pour des clients publics et privés. Depuis notre création, "
    "nous avons fait le choix des logiciels libres et d'une organisation où chacun peut proposer et décider.",
    "Rejoignez {c}, une entreprise de taille humaine (80 personnes) qui accompagne ses clients dans la "
    "modernisation de leurs systèmes d'information.",
    "Chez {c}, nous construisons des produits utilisés chaque jour par des milliers de personnes. Notre équipe "
    "technique, répartie entre plusieurs sites, travaille en petites équipes autonomes.",
    "{c} est un acteur régional reconnu, en forte croissance, qui recrute pour accompagner le développement de "
    "sa plateforme.",
]
INTRO_EN = [
    "{c} builds and runs software that thousands of people rely on every day. We are a remote-friendly team "
    "that values written communication, open source and sustainable pace.",
    "At {c}, small autonomous teams own their services from design to production.",
    "{c} is a fast-growing company helping customers across Europe move to modern infrastructure.",
]
MISSION_FR = [
    "Au sein de l'équipe {team}, vous participerez à la conception, au déploiement et à l'amélioration continue "
    "de nos services. Vos missions :",
    "Rattaché(e) au responsable {team}, vous aurez pour missions principales :",
    "Vous intégrez une équipe {team} de six personnes. Au quotidien, vous serez amené(e) à :",
]
MISSION_EN = [
    "As part of the {team} team, you will design, ship and operate our services. You will:",
    "Reporting to the head of {team}, your responsibilities will include:",
]
TASKS_FR = [
    "concevoir et maintenir l'infrastructure de production",
    "automatiser les déploiements et l'intégration continue",
    "participer aux revues de code et à l'amélioration de la qualité",
    "assurer le maintien en conditions opérationnelles et l'astreinte (rémunérée)",
    "rédiger la documentation technique et partager vos connaissances",
    "accompagner les équipes de développement dans leurs choix techniques",
    "analyser les incidents et proposer des améliorations",
]
TASKS_EN = [
    "design and maintain our production infrastructure",
    "automate deployments and continuous integration",
    "take part in code reviews and raise the quality bar",
    "share the on-call rota (paid) and run blameless post-mortems",
    "write clear technical documentation",
    "help product teams with technical choices",
]
PROFILE_FR = "Votre profil :"
PROFILE_EN = "What we are looking for:"
BENEFITS_FR = [
    "Ce que nous offrons : télétravail jusqu'à 3 jours par semaine, tickets restaurant, mutuelle prise en charge "
    "à 100 %, RTT, budget formation et certifications, locaux accessibles en transports en commun.",
    "Avantages : prime de participation, 12 RTT, forfait mobilités durables, comité d'entreprise, "
    "un poste de travail sous Linux si vous le souhaitez.",
]
BENEFITS_EN = [
    "Benefits: flexible hours, remote-first culture, learning budget, 25 days of paid leave, "
    "top-tier health insurance.",
    "What we offer: competitive salary, equity, home office allowance, yearly team retreat.",
]
PROCESS_FR = [
    "Processus de recrutement : un premier échange téléphonique, un entretien technique, puis une rencontre "
    "avec l'équipe.",
    "Déroulement : entretien RH (30 min), exercice technique à la maison, entretien final sur site.",
]
PROCESS_EN = ["Hiring process: intro call, technical interview, team meeting.", "Process: two interviews and a take-home task."]
LEGAL_FR = [
    "Conformément à notre politique diversité, tous nos postes sont ouverts aux personnes en situation de "
    "handicap.",
    "{c} s'engage pour l'égalité des chances : nous étudions toutes les candidatures sans discrimination.",
]
LEGAL_EN = ["{c} is an equal opportunity employer.", "We welcome applications from all backgrounds."]
TEAMS = {"devops": "Plateforme", "sysadmin": "Infrastructure", "backend": "Produit", "frontend": "Web",
         "data": "Data"}
SALARY_FR = ["Salaire : {a} - {b} k€ brut annuel selon expérience.", "Rémunération : {a}K€ à {b}K€ + variable.", ""]
SALARY_EN = ["Salary: €{a}k to €{b}k.", ""]


def pick_weighted(weights):
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]


def place():
    roll = rng.random()
    if roll < 0.08:
        return rng.choice(REMOTE), "REMOTE", True
    if roll < 0.16:
        return rng.choice(FOREIGN), "ABROAD", False
    region = pick_weighted(REGION_WEIGHT)
    spots = [p for p in PLACES if p[1] == region]
    location, _ = rng.choice(spots)
    return location, region, False


def skill_lines(role, region, t, lang):
    """The skills asked for, as profile lines; t is 0 (18 months ago) to 1 (today)."""
    fr, en, core = ROLES[role]
    asked = rng.sample(core, k=min(len(core), rng.randint(2, 4)))
    lines = []
    for s in asked:
        if lang == "fr":
            lines.append(rng.choice(["Maîtrise de {s}", "Expérience significative avec {s}",
                                     "Bonne connaissance de {s}", "Pratique de {s} en production"]).format(s=s))
        else:
            lines.append(rng.choice(["Solid experience with {s}", "Hands-on {s} in production",
                                     "Good knowledge of {s}"]).format(s=s))
    # Rust rises for developers and systems roles.
    if role in ("backend", "devops", "data") and rng.random() < 0.03 + 0.15 * t:
        lines.append("Expérience en développement backend avec le langage Rust (tokio, async)" if lang == "fr"
                     else "Experience writing backend services in Rust (tokio, async)")
    # AngularJS declines, React rises, on the front end.
    if role == "frontend":
        if rng.random() < 0.25 - 0.22 * t:
            lines.append("Maintenance d'applications AngularJS existantes" if lang == "fr"
                         else "Maintaining legacy AngularJS applications")
        if rng.random() < 0.30 + 0.35 * t:
            lines.append("Développement d'interfaces en React" if lang == "fr" else "Building UIs with React")
    # CKA takes off in Bretagne in the last year (a regional cloud programme); flat elsewhere.
    if region == "BRE":
        cka = 0.02 if t < 0.35 else 0.02 + 0.55 * (t - 0.35) / 0.65
    else:
        cka = 0.04 if role in ("devops", "sysadmin") else 0.01
    if rng.random() < cka:
        lines.append("Certification CKA (Certified Kubernetes Administrator) souhaitée" if lang == "fr"
                     else "CKA (Certified Kubernetes Administrator) certification is a plus")
    if role == "sysadmin" and rng.random() < 0.2:
        lines.append("La certification RHCSA est un plus" if lang == "fr" else "RHCSA certification is a plus")
    return lines, asked


def description(company, role, lines, lang):
    if lang == "fr":
        intro, mission, tasks, profile = INTRO_FR, MISSION_FR, TASKS_FR, PROFILE_FR
        benefits, process, legal, salary = BENEFITS_FR, PROCESS_FR, LEGAL_FR, SALARY_FR
        soft = ["Autonomie, rigueur et goût du travail en équipe", "Anglais technique lu et écrit",
                "Curiosité et envie d'apprendre"]
        years = "Au moins {n} ans d'expérience sur un poste similaire".format(n=rng.randint(2, 6))
    else:
        intro, mission, tasks, profile = INTRO_EN, MISSION_EN, TASKS_EN, PROFILE_EN
        benefits, process, legal, salary = BENEFITS_EN, PROCESS_EN, LEGAL_EN, SALARY_EN
        soft = ["Clear written communication", "Ownership and curiosity", "Comfortable working in English"]
        years = "{n}+ years of relevant experience".format(n=rng.randint(2, 6))
    a = rng.randrange(38, 60)
    parts = [
        "<p>" + rng.choice(intro).format(c=company) + "</p>",
        "<h3>" + ("Vos missions" if lang == "fr" else "The role") + "</h3>",
        "<p>" + rng.choice(mission).format(team=TEAMS[role]) + "</p>",
        "<ul>" + "".join("<li>%s</li>" % t for t in rng.sample(tasks, k=4)) + "</ul>",
        "<h3>" + profile + "</h3>",
        "<ul>" + "".join("<li>%s</li>" % l for l in [years] + lines + rng.sample(soft, k=2)) + "</ul>",
        "<p>" + rng.choice(salary).format(a=a, b=a + rng.randrange(5, 15)) + "</p>",
        "<h3>" + ("Pourquoi nous rejoindre ?" if lang == "fr" else "Why join us") + "</h3>",
        "<p>" + rng.choice(benefits) + "</p>",
        "<p>" + rng.choice(process) + "</p>",
        "<p><em>" + rng.choice(legal).format(c=company) + "</em></p>",
    ]
    if rng.random() < 0.3:
        parts.append("<p>R&eacute;f. %s-%04d &nbsp;&bull;&nbsp; %s</p>" % (
            company[:3].upper(), rng.randrange(10000), "Poste à pourvoir dès que possible" if lang == "fr"
            else "Start: as soon as possible"))
    return "\n".join(parts)


def posting(n):
    days_ago = min(DAYS - 1, int(DAYS * (1 - rng.random() ** 0.85)))  # slightly more recent postings
    t = 1 - days_ago / (DAYS - 1)
    location, region, remote = place()
    lang = "en" if region in ("ABROAD", "REMOTE") and rng.random() < 0.7 else ("en" if rng.random() < 0.12 else "fr")
    role = pick_weighted(ROLE_WEIGHT)
    company = rng.choice(COMPANIES)
    title = rng.choice(ROLES[role][0] if lang == "fr" else ROLES[role][1])
    lines, asked = skill_lines(role, region, t, lang)
    return {
        "id": "demo-%05d" % n,
        "kind": ["json", "html", "jsonld", "rss"][rng.randrange(4)],
        "days_ago": days_ago,
        "title": title,
        "company": company,
        "location": location,
        "remote": remote,
        "lang": lang,
        "description": description(company, role, lines, lang),
        "tags": rng.sample(asked, k=min(2, len(asked))) if rng.random() < 0.5 else [],
    }


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    postings = [posting(n) for n in range(COUNT)]
    lines = "".join(json.dumps(p, ensure_ascii=False, sort_keys=True) + "\n" for p in postings)
    raw = io.BytesIO()
    with gzip.GzipFile(filename="", mode="wb", fileobj=raw, mtime=0, compresslevel=9) as z:
        z.write(lines.encode("utf-8"))
    with open(os.path.join(here, "postings.jsonl.gz"), "wb") as out:
        out.write(raw.getvalue())
    print("%d postings, %d bytes of JSON Lines, %d gzipped" % (COUNT, len(lines.encode()), len(raw.getvalue())))


if __name__ == "__main__":
    main()
