"""Generate a realistic national dataset of published offers for the search benchmark.

    .venv/bin/python bench/offers_generate.py --url postgresql://postgres@127.0.0.1/offers --count 100000

Offers are placed in real communes (data/reference/communes.csv) drawn with a
probability proportional to population, around the commune's point (up to
~2 km away); real sectors (s1..s51); both grade groups (about 70 % collège with
2-6 weeks of the running school year, 30 % 2nde with a period); 3 % reserved
to REP schools, 2 % to QPV schools. Deterministic (--seed). Rows go in with
COPY; the offers' tsvector is computed by the database trigger. Existing
bench rows (employer_id = the bench employer) are deleted first.
"""
from __future__ import annotations

import argparse
import csv
import datetime as dt
import json
import math
import random
import sys
import time
import uuid
from pathlib import Path

import psycopg

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "services" / "offers"))
sys.path.insert(0, str(ROOT / "services" / "common"))

from offers.domain import calendar as cal  # noqa: E402
from offers.domain.search import knn_tags, search_tags  # noqa: E402
from offers.domain.sectors import SECTORS  # noqa: E402

BENCH_EMPLOYER = "00000000-0000-4000-8000-00000000be4c"

# keep in step with offers.domain.offer (the bench rows are valid published offers)
OCCUPATIONS = {
    "s1": ["Technicien agroéquipement", "Mécanicien agricole"], "s2": ["Architecte", "Paysagiste", "Urbaniste"],
    "s3": ["Militaire", "Technicien de maintenance aéronautique (armée)"], "s4": ["Designer graphique", "Designer produit"],
    "s5": ["Ébéniste", "Céramiste", "Bijoutier"], "s6": ["Régisseur de théâtre", "Comédien", "Technicien son"],
    "s7": ["Monteur vidéo", "Cadreur"], "s8": ["Mécanicien automobile", "Carrossier"],
    "s9": ["Conseiller bancaire", "Chargé de clientèle en assurance"], "s10": ["Maçon", "Chef de chantier", "Électricien du bâtiment"],
    "s11": ["Esthéticienne", "Coiffeur"], "s12": ["Vendeur en magasin", "Responsable de rayon"],
    "s13": ["Chargé de communication"], "s14": ["Comptable", "Assistant ressources humaines"],
    "s15": ["Consultant", "Auditeur"], "s16": ["Technicien aéronautique", "Soudeur naval"],
    "s17": ["Guide conférencier", "Restaurateur d'œuvres d'art"], "s18": ["Avocat", "Greffier", "Notaire"],
    "s19": ["Libraire", "Bibliothécaire", "Éditeur"], "s20": ["Technicien en électronique"],
    "s21": ["Technicien éolien", "Ingénieur énergie"], "s22": ["Professeur des écoles", "Éducateur"],
    "s23": ["Agent d'entretien des espaces naturels", "Technicien environnement"], "s24": ["Charpentier", "Menuisier"],
    "s25": ["Agent administratif", "Secrétaire de mairie"], "s26": ["Boulanger pâtissier", "Cuisinier", "Serveur"],
    "s27": ["Agent immobilier"], "s28": ["Boucher", "Fromager", "Opérateur de production alimentaire"],
    "s29": ["Technicien de laboratoire chimie"], "s30": ["Ingénieur industriel", "Technicien de production"],
    "s31": ["Développeur web", "Technicien réseaux", "Administrateur systèmes"], "s32": ["Game designer", "Graphiste 3D"],
    "s33": ["Journaliste", "Photographe de presse"], "s34": ["Chauffeur livreur", "Logisticien", "Cariste"],
    "s35": ["Technicien de maintenance"], "s36": ["Chargé de marketing", "Publicitaire"],
    "s37": ["Mécanicien industriel", "Tourneur fraiseur"], "s38": ["Luthier", "Verrier d'art"],
    "s39": ["Couturier", "Styliste"], "s40": ["Opérateur papetier"], "s41": ["Kinésithérapeute", "Opticien", "Pharmacien"],
    "s42": ["Chercheur en biologie", "Technicien de recherche"], "s43": ["Infirmier", "Médecin", "Aide-soignant"],
    "s44": ["Agent de sécurité", "Pompier"], "s45": ["Facteur", "Guichetier"], "s46": ["Assistant social", "Animateur"],
    "s47": ["Éducateur sportif", "Moniteur d'escalade"], "s48": ["Agent de voyages", "Réceptionniste d'hôtel"],
    "s49": ["Traducteur", "Interprète"], "s50": ["Verrier", "Céramiste industriel"],
    "s51": ["Agriculteur", "Viticulteur", "Éleveur", "Maraîcher"],
}
ACTIVITIES = [
    "Découverte du métier au quotidien, accompagnement de l'équipe et observation des gestes professionnels.",
    "Observation des tâches de l'équipe, participation aux réunions et présentation des outils utilisés.",
    "Accueil du public, visite des ateliers, rencontre avec les différents métiers de l'entreprise.",
    "Suivi d'un professionnel sur le terrain, découverte des règles de sécurité et du travail en équipe.",
]


def load_communes():
    deps = {r["dep_code"]: r["academie_code"] for r in csv.DictReader(open(ROOT / "data/reference/departements.csv", encoding="utf-8"))}
    out = []
    for r in csv.DictReader(open(ROOT / "data/reference/communes.csv", encoding="utf-8")):
        if not r["lat"] or r["kind"] != "commune" or r["zone"] == "com":
            continue
        out.append((r["insee_code"], r["name"], r["dep_code"], deps.get(r["dep_code"]),
                    r["postal_codes"].split("|")[0], int(r["population"] or 0), float(r["lat"]), float(r["lon"])))
    return out


def generate(count: int, seed: int, today: dt.date):
    rnd = random.Random(seed)
    communes = load_communes()
    weights = [max(c[5], 1) for c in communes]
    picks = rnd.choices(communes, weights=weights, k=count)
    year = cal.school_year_of(today)
    college_weeks = [w for w in cal.college_weeks(year) if not cal.week_is_past(w, today)] or cal.college_weeks(cal.next_school_year(year))
    sectors = list(SECTORS)
    now = dt.datetime.now(dt.timezone.utc)
    for i, c in enumerate(picks):
        insee, name, dep, acad, postal, _, lat, lon = c
        r = rnd.random() * 2.0 / 111.0
        a = rnd.random() * 2 * math.pi
        olat, olon = lat + r * math.cos(a), lon + r * math.sin(a) / max(math.cos(math.radians(lat)), 0.2)
        sector = rnd.choice(sectors)
        title = rnd.choice(OCCUPATIONS[sector])
        desc = rnd.choice(ACTIVITIES) + f" Stage à {name} : {title.lower()}."
        if rnd.random() < 0.7:
            grades = rnd.choice([["troisieme"], ["quatrieme", "troisieme"], ["quatrieme"]])
            start = rnd.randrange(len(college_weeks))
            weeks = college_weeks[start:start + rnd.randint(2, 6)]
            period = None
            search_weeks = weeks
        else:
            grades = ["seconde"]
            weeks = []
            period = rnd.choice(["both", "week1", "week2"])
            search_weeks = cal.seconde_weeks(year, period)
        seats = rnd.choice([1, 1, 1, 2, 2, 3, 4, 5, 10])
        rep = rnd.random() < 0.03
        qpv = (not rep) and rnd.random() < 0.02
        org = {"name": f"{title} {name}", "is_public": sector == "s25", "sector": sector, "manual_entry": True}
        address = {"street": f"{rnd.randint(1, 120)} rue de la République", "commune_insee": insee,
                   "postal_code": postal, "city": name}
        yield (str(uuid.UUID(int=rnd.getrandbits(128), version=4)), "published", BENCH_EMPLOYER, BENCH_EMPLOYER,
               name, title, desc,
               json.dumps(address), insee, dep, acad, olat, olon, json.dumps(org), sector,
               "{" + ",".join(grades) + "}", year, "{" + ",".join(weeks) + "}", period,
               "{" + ",".join(search_weeks) + "}",
               cal.week_monday(search_weeks[0]), cal.week_friday(search_weeks[-1]),
               seats, 0, json.dumps({"mode": "same", "start": "09:00", "end": "17:00"}),
               "Pause déjeuner d'une heure, repas sur place.", rep, qpv, now, now, now,
               "{" + ",".join(map(str, search_tags(olat, olon, sector, search_weeks))) + "}",
               "{" + ",".join(map(str, knn_tags(grades, search_weeks))) + "}")


COLUMNS = ("id", "state", "employer_id", "owner_id", "city", "title", "description", "address", "commune_insee", "dep_code",
           "academie_code", "lat", "lon", "organisation", "sector", "grades", "school_year", "weeks",
           "seconde_period", "search_weeks", "first_day", "last_day", "seats", "seats_taken", "hours",
           "lunch_break", "reserved_rep", "reserved_qpv", "published_at", "created_at", "updated_at", "tags", "knn_tags")


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--url", required=True, help="PostgreSQL URL of the offers database (migrated)")
    ap.add_argument("--count", type=int, default=100_000)
    ap.add_argument("--seed", type=int, default=42)
    ap.add_argument("--today", default=None, help="ISO date (default: today)")
    args = ap.parse_args(argv)
    today = dt.date.fromisoformat(args.today) if args.today else dt.date.today()
    url = args.url.replace("postgresql+psycopg://", "postgresql://")
    t0 = time.monotonic()
    with psycopg.connect(url) as conn:
        conn.execute("DELETE FROM offers WHERE employer_id = %s", (BENCH_EMPLOYER,))
        with conn.cursor().copy(f"COPY offers ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            for n, row in enumerate(generate(args.count, args.seed, today), 1):
                copy.write_row(row)
                if n % 20000 == 0:
                    print(f"offers: {n}/{args.count}", file=sys.stderr)
        conn.commit()
        conn.autocommit = True
        conn.execute("VACUUM ANALYZE offers")
    print(f"generated {args.count} offers in {time.monotonic() - t0:.1f} s", file=sys.stderr)


if __name__ == "__main__":
    main()
