"""Hostile class lists (issue 14): a stray quote, a huge cell, a NUL character or a broken UTF-16
file spoil at most their own line, or refuse the file with the line number; never an exception."""
import datetime as dt

from identity.domain import class_lists

TODAY = dt.date(2026, 11, 23)
HEADER = "Nom;Prénom;Date de naissance;Classe;Niveau\n"
GOOD = ["DUPONT;Éloïse;04/03/2012;3A;3EME", "MARTIN;Noé;15/09/2011;3B;3EME", "PETIT;Lou;01/01/2012;4C;4EME"]


def parse(text: str):
    return class_lists.parse_pupils_csv(text.encode("utf-8"), TODAY, "college")


def test_a_stray_quote_spoils_its_own_line_only():
    p = parse(HEADER + "\n".join([GOOD[0], 'BERNARD;"Jules;02/02/2012;3A;3EME', GOOD[1], GOOD[2]]) + "\n")
    assert p.ok
    assert [r.last_name for r in p.rows] == ["DUPONT", "MARTIN", "PETIT"]
    assert [(r.line, r.reasons) for r in p.rejected] == [
        (3, ["Ligne illisible : guillemet non fermé ou mal placé."])]


def test_a_cell_over_128_kib_is_a_rejected_line_not_a_crash():
    huge = "A" * (130 * 1024)
    p = parse(HEADER + "\n".join([GOOD[0], f"{huge};Jules;02/02/2012;3A;3EME", GOOD[1]]) + "\n")
    assert p.ok and [r.last_name for r in p.rows] == ["DUPONT", "MARTIN"]
    assert p.rejected[0].line == 3 and "trop longue" in p.rejected[0].reasons[0]
    assert len(p.rejected[0].values["line"]) <= 200
    # in the lines searched for the header too
    p = parse(huge + "\n" + HEADER + GOOD[0] + "\n")
    assert p.ok and [r.last_name for r in p.rows] == ["DUPONT"]


def test_a_nul_character_refuses_the_file_with_its_line_number():
    p = parse(HEADER + GOOD[0] + "\nBER\x00NARD;Jules;02/02/2012;3A;3EME\n")
    assert not p.ok and p.rows == [] and p.file_errors[0].startswith("Ligne 3 : caractère nul")


def test_a_broken_utf16_file_is_read_without_an_exception():
    data = b"\xff\xfe" + (HEADER + GOOD[0] + "\n").encode("utf-16-le") + b"\x00\xd8"
    p = class_lists.parse_pupils_csv(data, TODAY, "college")
    assert p.ok and [r.last_name for r in p.rows] == ["DUPONT"]
