import datetime as dt

import pytest

from identity.domain import class_lists, import_plan, pupil_records

TODAY = dt.date(2026, 11, 23)

SIECLE = (
    "Nom;Prénom;Date de naissance;Classe;Niveau;INE;Courriel\n"
    "DUPONT;Éloïse;04/03/2012;3A;3EME;1234567890A;eloise.dupont@example.fr\n"
    "MARTIN;Noé;15/09/2011;3B;3EME;;\n"
    "N'DIAYE;Aïssatou;01/01/2012;4C;4EME;;\n"
)


def parse(text, encoding="utf-8", kind="college"):
    return class_lists.parse_pupils_csv(text.encode(encoding), TODAY, kind)


def test_siecle_style_semicolon_utf8():
    p = parse(SIECLE)
    assert p.ok and p.delimiter == ";" and p.encoding == "utf-8"
    assert [r.grade for r in p.rows] == ["troisieme", "troisieme", "quatrieme"]
    r = p.rows[0]
    assert (r.last_name, r.first_name, r.birth_date, r.class_name, r.ine, r.email) == (
        "DUPONT", "Éloïse", dt.date(2012, 3, 4), "3A", "1234567890A", "eloise.dupont@example.fr")
    assert r.line == 2
    assert p.rows[1].ine is None and p.rows[1].email is None
    assert p.rejected == []


def test_bom_latin1_and_comma_give_the_same_pupils():
    ref = [r.to_dict() for r in parse(SIECLE).rows]
    bom = class_lists.parse_pupils_csv(b"\xef\xbb\xbf" + SIECLE.encode("utf-8"), TODAY, "college")
    assert bom.encoding == "utf-8-sig" and [r.to_dict() for r in bom.rows] == ref
    lat = parse(SIECLE, "latin-1")
    assert lat.encoding in ("windows-1252", "latin-1") and [r.to_dict() for r in lat.rows] == ref
    crlf = parse(SIECLE.replace("\n", "\r\n"))
    assert [r.to_dict() for r in crlf.rows] == ref
    comma = parse(SIECLE.replace(";", ","))
    assert comma.delimiter == "," and [r.to_dict() for r in comma.rows] == ref
    tab = parse(SIECLE.replace(";", "\t"))
    assert [r.to_dict() for r in tab.rows] == ref
    utf16 = class_lists.parse_pupils_csv(SIECLE.encode("utf-16"), TODAY, "college")
    assert [r.to_dict() for r in utf16.rows] == ref


def test_header_variants_and_quoted_commas():
    text = ('NOM DE FAMILLE,Prénom 1,Né(e) le,Division,E-mail,N° INE,Sexe\n'
            '"DE LA FONTAINE, dit Jean",Jean,2012-05-06,3EME 2,,,M\n'
            'Petit,Zoé,6/5/2012,302,zoe@example.fr,,F\n')
    p = parse(text)
    assert p.ok, p.file_errors
    assert p.columns["ine"] == "N° INE" and p.ignored_columns == ["Sexe"]
    assert p.rows[0].last_name == "DE LA FONTAINE, dit Jean"
    assert [r.grade for r in p.rows] == ["troisieme", "troisieme"]   # grade inferred from the class
    assert p.rows[1].birth_date == dt.date(2012, 5, 6)


def test_pronote_full_name_column_and_title_line():
    text = ("Liste des élèves - Collège Victor Hugo\n"
            "Élève;Né(e) le;Classe\n"
            "DUPONT-MARTIN Léa Marie;01/02/2012;3E1\n"
            "LE GALL Yann;02/03/2013;4E2\n")
    p = parse(text)
    assert p.ok, p.file_errors
    assert [(r.last_name, r.first_name, r.grade) for r in p.rows] == [
        ("DUPONT-MARTIN", "Léa Marie", "troisieme"), ("LE GALL", "Yann", "quatrieme")]
    assert p.rows[0].line == 3


def test_rejected_rows_have_french_reasons():
    text = ("Nom;Prénom;Date de naissance;Classe;Niveau;INE;Email\n"
            ";Lina;01/01/2012;3A;3e;;\n"                      # 2 no last name
            "Roux;;31/02/2012;3A;3e;;\n"                       # 3 no first name + impossible date
            "Blanc;Jade;01/01/1990;3A;3e;;\n"                  # 4 implausible age
            "Noir;Léo;01/01/2012;6A;6EME;;\n"                  # 5 grade not concerned
            "Gris;Tom;01/01/2012;3A;3e;ABC;\n"                 # 6 bad INE
            "Vert;Ana;01/01/2012;3A;3e;;pas-un-mail\n"         # 7 bad email
            "Brun;Ali;01/01/2012;Atelier;;;\n"                 # 8 no grade, not inferable
            "Bleu;Eva;01/01/2012;3A;3e;;\n"                    # 9 ok
            "BLEU;Éva;2012-01-01;3B;3e;;\n"                    # 10 duplicate of 9
            "Rose;Mia;01/01/2010;2nde 1;2nde;;\n")             # 11 seconde in a collège
    p = parse(text)
    assert [r.line for r in p.rows] == [9]
    reasons = {r.line: " ".join(r.reasons) for r in p.rejected}
    assert "Nom manquant" in reasons[2]
    assert "Prénom manquant" in reasons[3] and "illisible" in reasons[3]
    assert "invraisemblable" in reasons[4]
    assert "non concerné" in reasons[5]
    assert "INE invalide" in reasons[6]
    assert "e-mail invalide" in reasons[7]
    assert "impossible à déduire" in reasons[8]
    assert "double" in reasons[10] and "ligne 9" in reasons[10]
    assert "n'existe pas dans un collège" in reasons[11]
    assert p.rejected[0].values["first_name"] == "Lina"


def test_lycee_accepts_seconde_only():
    text = "Nom;Prénom;Date de naissance;Classe;Niveau\nRose;Mia;01/01/2010;201;2NDE GT\nLi;Bo;01/01/2010;2PRO1;\nX;Y;01/01/2012;3A;3EME\n"
    p = parse(text, kind="lycee")
    assert [(r.last_name, r.grade) for r in p.rows] == [("Rose", "seconde"), ("Li", "seconde")]
    assert len(p.rejected) == 1


@pytest.mark.parametrize("raw,grade", [
    ("3EME", "troisieme"), ("3e", "troisieme"), ("3ème", "troisieme"), ("Troisième", "troisieme"),
    ("3EME SEGPA", "troisieme"), ("3 PREPA-METIERS", "troisieme"),
    ("4EME", "quatrieme"), ("4e", "quatrieme"), ("quatrième", "quatrieme"),
    ("2NDE", "seconde"), ("2de", "seconde"), ("Seconde", "seconde"), ("2NDE PRO", "seconde"), ("2NDE GT", "seconde"),
])
def test_grade_variants(raw, grade):
    assert pupil_records.parse_grade(raw) == (grade, True)


@pytest.mark.parametrize("raw", ["6EME", "5e", "1ERE", "Terminale", "TLE"])
def test_other_grades_recognised_but_not_handled(raw):
    assert pupil_records.parse_grade(raw) == (None, True)


def test_file_level_errors():
    assert parse("").file_errors == ["Le fichier est vide."]
    p = parse("Nom;Prénom;Classe\nA;B;3A\n")
    assert p.file_errors and "Date de naissance" in p.file_errors[0]
    assert parse("foo;bar\n1;2\n").file_errors[0].startswith("Ligne d'en-tête introuvable")
    assert parse("Nom;Prénom;Date de naissance;Classe\n\n").file_errors == ["Le fichier ne contient aucun élève."]
    big = class_lists.parse_pupils_csv(b"x" * (class_lists.MAX_BYTES + 1), TODAY)
    assert "trop volumineux" in big.file_errors[0]


def test_natural_key_is_stable():
    k1 = pupil_records.pupil_key("DUPONT", "Éloïse", dt.date(2012, 3, 4))
    k2 = pupil_records.pupil_key(" Dupont ", "eloise", dt.date(2012, 3, 4))
    assert k1 == k2 == "dupont|eloise|2012-03-04"
    assert pupil_records.pupil_key("Dupont", "Eloise", dt.date(2012, 3, 5)) != k1
    # same file twice: same keys
    assert [r.key for r in parse(SIECLE).rows] == [r.key for r in parse(SIECLE).rows]


def existing_from(rows, ids=None):
    out = []
    for i, r in enumerate(rows):
        d = r.to_dict()
        d["id"] = (ids or {}).get(i, f"p{i}")
        out.append(d)
    return out


def test_reimport_changes_nothing():
    rows = parse(SIECLE).rows
    plan = import_plan.plan_import(rows, [])
    assert len(plan.create) == 3 and not plan.update and not plan.unchanged
    again = import_plan.plan_import(parse(SIECLE).rows, existing_from(rows))
    assert not again.create and not again.update and len(again.unchanged) == 3


def test_reimport_with_a_class_change_updates_only_that_pupil():
    rows = parse(SIECLE).rows
    moved = parse(SIECLE.replace("MARTIN;Noé;15/09/2011;3B", "MARTIN;Noé;15/09/2011;3C")).rows
    plan = import_plan.plan_import(moved, existing_from(rows))
    assert [(pid, ch) for pid, _, ch in plan.update] == [("p1", {"class_name": "3C"})]
    assert len(plan.unchanged) == 2 and not plan.create


def test_absent_ine_or_email_never_erases_and_ine_matches_first():
    rows = parse(SIECLE).rows
    existing = existing_from(rows)
    without = parse(SIECLE.replace(";1234567890A;eloise.dupont@example.fr", ";;")).rows
    plan = import_plan.plan_import(without, existing)
    assert not plan.update and len(plan.unchanged) == 3
    # a corrected first name with the same INE is an update of the same pupil
    renamed = parse(SIECLE.replace("DUPONT;Éloïse", "DUPONT;Éloise")).rows
    plan = import_plan.plan_import(renamed, existing)
    assert [(pid, ch) for pid, _, ch in plan.update] == [("p0", {"first_name": "Éloise"})]


def test_email_of_another_pupil_is_a_conflict():
    rows = parse(SIECLE).rows
    stolen = parse(SIECLE.replace("MARTIN;Noé;15/09/2011;3B;3EME;;", "MARTIN;Noé;15/09/2011;3B;3EME;;eloise.dupont@example.fr")
                   .replace(";1234567890A;eloise.dupont@example.fr", ";1234567890A;")).rows
    plan = import_plan.plan_import(stolen, existing_from(rows))
    assert len(plan.conflicts) == 1 and "autre élève" in plan.conflicts[0].reasons[0]
