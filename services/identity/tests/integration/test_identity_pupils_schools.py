"""Schools directory, pupils import (idempotent), activation codes, class moves,
permissions and anonymisation, through the real service."""
import base64
import io
import uuid

import pypdf
import pytest
from sqlalchemy import text

from common.errors import Conflict, Forbidden, NotFound, ValidationError
from identity.use_cases import anonymisation
from identity.use_cases.demo import demo_user_id
from identity_helpers import PASSWORD, make_active_employer, unique_email
from testkit.hooks import last_secret
from testkit.identity import context_for

COLLEGE = "0131884C"    # Collège Belle de Mai (REP+)
OTHER_COLLEGE = "0131264D"


# The demo teacher of COLLEGE: a real, confirmed staff account (identity checks the acting account's
# confirmation in its own data before an import, a code sheet or a class move: docs/school-staff.md).
DEMO_TEACHER = demo_user_id("demo.professeur@ac-aix-marseille.fr")


@pytest.fixture(autouse=True)
def demo_staff(identity):
    identity[0].seed_demo()


def staff(uai, function="teacher", user_id=None):
    return {"user_id": user_id or (DEMO_TEACHER if uai == COLLEGE else str(uuid.uuid4())), "role": "school_staff",
            "function": function, "school_uai": uai, "staff_confirmed": True}


def class_csv(tag, encoding="utf-8", sep=";"):
    rows = [f"Nom{sep}Prénom{sep}Date de naissance{sep}Classe{sep}Niveau{sep}Courriel",
            f"DUPONT-{tag}{sep}Éloïse{sep}04/03/2012{sep}3A{sep}3EME{sep}",
            f"MARTIN-{tag}{sep}Noé{sep}15/09/2011{sep}3B{sep}3EME{sep}noe.{tag}@example.com",
            f"N'DIAYE-{tag}{sep}Aïssatou{sep}01/01/2012{sep}4C{sep}4EME{sep}",
            f"SANSDATE-{tag}{sep}Paul{sep}{sep}3A{sep}3EME{sep}"]
    return base64.b64encode("\r\n".join(rows).encode(encoding)).decode()


def test_school_directory(identity, engine):
    rpc, _ = identity
    s = rpc.get_school("0131884c")
    assert s["name"] == "Collège Belle de Mai" and s["education_prioritaire"] == "REP+" and s["qpv"] is True
    assert s["academie_name"] == "Aix-Marseille" and s["kind"] == "college"
    assert (s["street_address"], s["address_postal_code"], s["address_city"]) == \
        ("4 RUE DOCTEUR LEON PERRIN", "13003", "MARSEILLE")
    with pytest.raises(NotFound):
        rpc.get_school("0000000A")
    found = rpc.search_schools("belle de mai")["items"]
    assert found[0]["uai"] == COLLEGE
    # accent-insensitive, commune search, kind filter
    assert any(x["uai"] == "0130043B" for x in rpc.search_schools("victor hugo marseille")["items"])
    ampere = rpc.search_schools("AMPÈRE lyon", kind="lycee")["items"]
    assert ampere and all(x["kind"] == "lycee" and "Lyon" in x["commune_name"] for x in ampere)
    with pytest.raises(ValidationError):
        rpc.search_schools("a")
    near = rpc.schools_near(lat=43.3134, lon=5.3863, radius_km=1)["items"]
    assert near[0]["uai"] == COLLEGE and near[0]["distance_km"] < 0.1
    assert all(x["distance_km"] <= 1 for x in near)
    with pytest.raises(ValidationError):
        rpc.schools_near(lat=200, lon=5, radius_km=1)
    # the loader is idempotent
    from identity import reference
    with engine.connect() as c:
        before = c.execute(text("SELECT count(*), md5(string_agg(uai || name, ',' ORDER BY uai)) FROM schools")).one()
    reference.load(engine)
    with engine.connect() as c:
        after = c.execute(text("SELECT count(*), md5(string_agg(uai || name, ',' ORDER BY uai)) FROM schools")).one()
    assert before == after and before[0] == 13307


def test_import_is_idempotent_and_codes_work_once(identity, engine):
    rpc, _ = identity
    tag = uuid.uuid4().hex[:6].upper()
    actor = staff(COLLEGE)
    first = rpc.import_pupils(actor=actor, uai=COLLEGE, content_base64=class_csv(tag), filename="3e.csv")
    assert first["summary"]["created"] == 3 and first["summary"]["rejected"] == 1
    assert first["report"]["rejected"][0]["line"] == 5
    assert "Date de naissance manquante." in first["report"]["rejected"][0]["reasons"]
    assert len(first["codes"]) == 3
    pdf = pypdf.PdfReader(io.BytesIO(base64.b64decode(first["sheet_pdf_base64"])))
    sheet_text = "".join(p.extract_text() for p in pdf.pages)
    for c in first["codes"]:
        assert c["code"] in sheet_text
    # same file again (even as Latin-1 with commas): nothing changes
    for again in (class_csv(tag), class_csv(tag, "latin-1", ",")):
        second = rpc.import_pupils(actor=actor, uai=COLLEGE, content_base64=again, with_pdf=False)
        assert (second["summary"]["created"], second["summary"]["updated"], second["summary"]["unchanged"]) == (0, 0, 3)
        assert second["codes"] == []
    with engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM users WHERE last_name LIKE :t"), {"t": f"%-{tag}"}).scalar()
        codes = c.execute(text("SELECT count(*) FROM pupil_codes p JOIN users u ON u.id = p.user_id "
                               "WHERE u.last_name LIKE :t"), {"t": f"%-{tag}"}).scalar()
        events = c.execute(text("SELECT count(*) FROM outbox WHERE type = 'pupil.imported' "
                                "AND envelope->'data'->>'import_id' = :i"), {"i": first["import_id"]}).scalar()
    assert (n, codes, events) == (3, 3, 1)
    # a pupil activates with the code once
    eloise = next(c for c in first["codes"] if c["first_name"] == "Éloïse")
    with pytest.raises(ValidationError) as e:          # no e-mail in the file: one must be given
        rpc.pupil_activate(code=eloise["code"], password=PASSWORD)
    assert "email" in e.value.errors
    email = unique_email("eloise")
    session = rpc.pupil_activate(code=eloise["code"].lower().replace("-", " "), password=PASSWORD, email=email)
    assert session["claims"]["role"] == "pupil" and session["claims"]["grade"] == "troisieme"
    assert session["claims"]["school_uai"] == COLLEGE and session["claims"]["school_rep"] == "REP+"
    with pytest.raises(Conflict) as e:
        rpc.pupil_activate(code=eloise["code"], password=PASSWORD, email=unique_email("again"))
    assert e.value.code == "code_used"
    with pytest.raises(NotFound):
        rpc.pupil_activate(code="ZZZZ-ZZZZ", password=PASSWORD, email=unique_email("z"))
    assert rpc.login(identifier=email, password=PASSWORD)["user"]["id"] == eloise["pupil_id"]
    # a moved pupil in a re-import is an update, not a new pupil
    moved = base64.b64encode(base64.b64decode(class_csv(tag)).replace(b"Noe", b"Noe")
                             .replace(f"MARTIN-{tag};Noé;15/09/2011;3B".encode(),
                                      f"MARTIN-{tag};Noé;15/09/2011;3C".encode())).decode()
    third = rpc.import_pupils(actor=actor, uai=COLLEGE, content_base64=moved, with_pdf=False)
    assert (third["summary"]["created"], third["summary"]["updated"]) == (0, 1)
    assert third["report"]["updated"][0]["changes"] == ["class_name"]


def test_pupil_lists_are_per_school(identity):
    rpc, _ = identity
    tag = uuid.uuid4().hex[:6].upper()
    rpc.import_pupils(actor=staff(COLLEGE), uai=COLLEGE, content_base64=class_csv(tag), with_pdf=False)
    mine = rpc.list_pupils(actor=staff(COLLEGE), uai=COLLEGE, class_name="3A")
    assert mine["items"] and all(p["class_name"] == "3A" for p in mine["items"])
    assert "3A" in mine["classes"]
    with pytest.raises(Forbidden):
        rpc.list_pupils(actor=staff(OTHER_COLLEGE), uai=COLLEGE)
    with pytest.raises(Forbidden):
        rpc.list_pupils(actor={"user_id": str(uuid.uuid4()), "role": "pupil", "school_uai": COLLEGE}, uai=COLLEGE)
    with pytest.raises(Forbidden):
        rpc.import_pupils(actor=staff(OTHER_COLLEGE), uai=COLLEGE, content_base64=class_csv(tag))
    pupil = next(p for p in rpc.list_pupils(actor=staff(COLLEGE), uai=COLLEGE, q=f"n diaye-{tag}")["items"])
    assert pupil["grade"] == "quatrieme"
    with pytest.raises(Forbidden):
        rpc.move_pupil(actor=staff(OTHER_COLLEGE), pupil_id=pupil["id"], class_name="3D")
    moved = rpc.move_pupil(actor=staff(COLLEGE), pupil_id=pupil["id"], class_name="3D")
    assert (moved["class_name"], moved["grade"]) == ("3D", "troisieme")
    with pytest.raises(ValidationError):
        rpc.move_pupil(actor=staff(COLLEGE), pupil_id=pupil["id"], class_name="2nde 1", grade="seconde")


def test_bad_files_are_refused_with_reasons(identity):
    rpc, _ = identity
    with pytest.raises(ValidationError) as e:
        rpc.import_pupils(actor=staff(COLLEGE), uai=COLLEGE,
                          content_base64=base64.b64encode(b"Nom;Prenom\nA;B\n").decode())
    assert "Date de naissance" in " ".join(e.value.errors["file"])
    with pytest.raises(ValidationError):
        rpc.import_pupils(actor=staff(COLLEGE), uai=COLLEGE, content_base64="%%%")


def test_anonymisation_after_inactivity(identity, engine, clock):
    """Accounts are created in the past (clock moved back) so that only they are due: the
    other tests' accounts, sharing this database, stay untouched."""
    rpc, _ = identity
    tag = uuid.uuid4().hex[:6].upper()
    day = 86400
    clock.set_offset(-400 * day)                      # 400 days ago: pupils and an employer
    imp = rpc.import_pupils(actor=staff(COLLEGE), uai=COLLEGE, content_base64=class_csv(tag), with_pdf=False)
    pupil_ids = [c["pupil_id"] for c in imp["codes"]]
    email, employer_id = make_active_employer(rpc)
    clock.set_offset(-800 * day)                      # 800 days ago: another employer
    old_email, old_employer = make_active_employer(rpc)
    clock.set_offset(0)
    with pytest.raises(Forbidden):
        rpc.anonymize_inactive(actor={"user_id": employer_id, "role": "employer"})
    out = rpc.anonymize_inactive(actor={"user_id": str(uuid.uuid4()), "role": "admin"})
    # pupils after one year, other accounts after two: warned first (docs/privacy.md), anonymised 14 days later
    assert set(pupil_ids) | {old_employer} <= set(out["warned_ids"]) and employer_id not in out["warned_ids"]
    assert not set(out["user_ids"]) & (set(pupil_ids) | {old_employer})
    assert rpc.get_contact(pupil_ids[0])["anonymized"] is False
    clock.set_offset(14 * day)
    out = rpc.anonymize_inactive(actor={"user_id": str(uuid.uuid4()), "role": "admin"})
    assert set(out["user_ids"]) == set(pupil_ids) | {old_employer}
    c = rpc.get_contact(pupil_ids[0])
    assert c["anonymized"] is True and c["email"] is None and c["last_name"] == "Anonyme"
    assert rpc.get_contact(employer_id)["anonymized"] is False
    with engine.connect() as conn:
        n = conn.execute(text("SELECT count(*) FROM outbox WHERE type = 'user.anonymized' AND "
                              "envelope->'data'->>'user_id' = :u"), {"u": pupil_ids[0]}).scalar()
        leftovers = conn.execute(text("SELECT count(*) FROM users WHERE last_name LIKE :t"),
                                 {"t": f"%-{tag}"}).scalar()
    assert n == 1 and leftovers == 0
    from common.errors import Unauthorized
    with pytest.raises(Unauthorized):
        rpc.login(identifier=old_email, password=PASSWORD)
    assert rpc.login(identifier=email, password=PASSWORD)
    assert rpc.anonymize_inactive(actor={"user_id": str(uuid.uuid4()), "role": "admin"})["anonymized"] == 0
    clock.set_offset(0)


def test_concurrent_imports_of_the_same_file_create_each_pupil_once(identity, engine):
    import eventlet
    from common.rpc import cluster_rpc
    rpc, _ = identity
    tag = uuid.uuid4().hex[:6].upper()
    from common import settings   # amqp_uri of this run (each green thread needs its own proxy)
    results = []

    def run():
        with cluster_rpc(settings.amqp_uri(), timeout=30) as r:
            results.append(r.identity.import_pupils(actor=staff(COLLEGE), uai=COLLEGE,
                                                    content_base64=class_csv(tag), with_pdf=False))

    pool = eventlet.GreenPool(3)
    for _ in range(3):
        pool.spawn(run)
    pool.waitall()
    assert sorted(r["summary"]["created"] for r in results) == [0, 0, 3]
    with engine.connect() as c:
        assert c.execute(text("SELECT count(*) FROM users WHERE last_name LIKE :t"), {"t": f"%-{tag}"}).scalar() == 3


def test_pupil_records_for_other_services(identity):
    rpc, _ = identity
    d = rpc.seed_demo()
    pupil = d["pupils_3e"][0]
    u = rpc.get_user(pupil["user_id"])
    assert (u["role"], u["grade"], u["class_name"], u["school_uai"]) == ("pupil", "troisieme", "3A", COLLEGE)
    assert u["birth_date"] == "2012-04-17"
    teachers = rpc.get_pupil_teachers(pupil["user_id"])["items"]
    assert d["teacher"]["user_id"] in [t["user_id"] for t in teachers]
    assert all(t["function"] == "teacher" for t in teachers)
    # a teacher who follows the pupil's class is the one told
    email = unique_email("prof", "ac-aix-marseille.fr")
    rpc.register(data={"role": "school_staff", "first_name": "Léo", "last_name": "Prof", "function": "teacher",
                       "email": email, "password": PASSWORD, "school_uai": COLLEGE})
    tid = rpc.activate(last_secret("activation", email))["user_id"]
    actor = staff(COLLEGE, "teacher", tid)
    assert rpc.set_my_classes(actor=actor, classes=[" 3 A ", "4B"]) == {"classes": ["3 A", "4B"]}
    out = rpc.get_pupil_teachers(pupil["user_id"])
    assert out["matched_class"] is True and [t["user_id"] for t in out["items"]] == [tid]
    assert rpc.get_me(actor=actor)["classes"] == ["3 A", "4B"]
    with pytest.raises(ValidationError):
        rpc.set_my_classes(actor=actor, classes="3A")
    with pytest.raises(Forbidden):
        rpc.set_my_classes(actor={"user_id": pupil["user_id"], "role": "pupil"}, classes=["3A"])
    with pytest.raises(NotFound):
        rpc.get_pupil_teachers(d["teacher"]["user_id"])


def test_import_reports_are_purged_after_30_days(identity, engine, clock):
    rpc, _ = identity
    tag = uuid.uuid4().hex[:6].upper()
    clock.set_offset(-31 * 86400)
    imp = rpc.import_pupils(actor=staff(COLLEGE), uai=COLLEGE, content_base64=class_csv(tag), with_pdf=False)
    clock.set_offset(0)
    with engine.connect() as c:
        report = c.execute(text("SELECT report FROM pupil_imports WHERE id = :i"), {"i": imp["import_id"]}).scalar()
    assert report["rejected"][0]["values"]["last_name"] == f"SANSDATE-{tag}"
    out = anonymisation.prune(context_for(engine))
    assert out["import_reports"] >= 1
    with engine.connect() as c:
        row = c.execute(text("SELECT report, summary FROM pupil_imports WHERE id = :i"), {"i": imp["import_id"]}).one()
    assert set(row.report) == {"purged_at"} and row.summary["created"] == 3


def test_import_preview_writes_nothing_and_matches_the_import(identity, engine):
    rpc, _ = identity
    tag = uuid.uuid4().hex[:6].upper()
    actor = staff(COLLEGE)
    preview = rpc.import_pupils(actor=actor, uai=COLLEGE, content_base64=class_csv(tag), dry_run=True)
    assert preview["dry_run"] is True and preview["import_id"] is None and preview["codes"] == []
    assert preview["sheet_pdf_base64"] is None
    assert (preview["summary"]["created"], preview["summary"]["rejected"]) == (3, 1)
    assert [r["values"]["last_name"] for r in preview["report"]["created"]] == \
        [f"DUPONT-{tag}", f"MARTIN-{tag}", f"N'DIAYE-{tag}"]
    assert preview["report"]["rejected"][0]["line"] == 5
    assert "Date de naissance manquante." in preview["report"]["rejected"][0]["reasons"]
    with engine.connect() as c:
        n = c.execute(text("SELECT count(*) FROM users WHERE last_name LIKE :t"), {"t": f"%-{tag}"}).scalar()
    assert n == 0
    done = rpc.import_pupils(actor=actor, uai=COLLEGE, content_base64=class_csv(tag), with_pdf=False)
    assert done["summary"]["created"] == 3 and [r["line"] for r in done["report"]["created"]] == \
        [r["line"] for r in preview["report"]["created"]]
    again = rpc.import_pupils(actor=actor, uai=COLLEGE, content_base64=class_csv(tag), dry_run=True)
    assert (again["summary"]["created"], again["summary"]["unchanged"]) == (0, 3)
    with pytest.raises(Forbidden):                      # the same permissions as the import
        rpc.import_pupils(actor=staff(OTHER_COLLEGE), uai=COLLEGE, content_base64=class_csv(tag), dry_run=True)
