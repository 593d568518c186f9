"""The national pupil register's import on identity's real database, against the local stand-in of the Omogen
SYGNE API (testkit.omogen, over HTTP with its OAuth token): idempotent, pupils who change school follow,
guardians stored, one replica per school at night; the stand-in's payloads."""
import datetime as dt
import uuid

import pytest
import requests
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from common.db import UnitOfWork as CommonUnitOfWork
from common.errors import Forbidden, NotFound, ValidationError
from identity import models
from identity.domain import register as R
from identity.register_client import OmogenRegister
from identity.repository import UnitOfWork
from identity.use_cases import accounts, anonymisation, directory, register
from identity.use_cases.context import Context
from testkit.omogen import TOKEN, StandIn, load

NOW = dt.datetime(2026, 12, 5, 9, 0, tzinfo=dt.timezone.utc)
ADMIN = {"user_id": str(uuid.uuid4()), "role": "admin"}
SCHOOL_A, SCHOOL_B = "0130007M", "0131711P"   # two collèges of Aix-en-Provence (reference data)


class _Db:
    """What ``common.db.UnitOfWork`` needs of a service's database, over the test's engine."""

    def __init__(self, engine):
        self.engine, self.service_name = engine, "identity"
        self.outbox, self.inbox = models.outbox, models.inbox

    def uow(self):
        return CommonUnitOfWork(self)

    def session(self):
        return Session(self.engine, expire_on_commit=False)

    def wake_relay(self):
        pass

    def clock_now(self):
        return NOW

    def request_id(self):
        return None


def eleve(ine, uai, niveau="2116", classe="3A", nom=None, prenom="Camille", birth="2012-03-04"):
    return {"ine": ine, "nom": nom or f"ELEVE-{ine}", "prenom": prenom, "dateNaissance": birth, "codeSexe": "2",
            "codeUai": uai, "anneeScolaire": 2026, "niveau": niveau, "libelleNiveau": "3EME", "codeMef": "10310019110",
            "classe": classe, "codeStatut": "ST"}


def guardian(last, first, level="1", email=None, link="MERE"):
    return {"nomFamille": last, "prenom": first, "email": email, "telephonePortable": "06 12 34 56 78",
            "codeNiveauResponsabilite": level, "libelleLienEleveResponsable": link, "codeCivilite": "2",
            "adrResidenceResp": {"adresseLigne1": "3 rue Mignet", "codePostal": "13100",
                                 "libelleCommune": "AIX EN PROVENCE"}}


def new_ine() -> str:
    return f"{uuid.uuid4().int % 10**9:09d}A" + "BCDEFGH"[uuid.uuid4().int % 7]


@pytest.fixture
def standin():
    s = StandIn({"eleves": [], "responsables": {}}, require_token=True).start()
    yield s
    s.stop()


@pytest.fixture
def ctx_at(engine):
    db = _Db(engine)

    def make(now=NOW):
        return Context(uow=UnitOfWork(db), now=now)
    return make


def client(s: StandIn) -> OmogenRegister:
    return OmogenRegister(s.base_url, s.oauth_url, "stages", "secret", timeout=5)


def imported(ctx_at, standin, uai, key=None, register_client=None, now=NOW):
    """Ask for an import (queued), let the queue run it, and answer the run's report."""
    run = register.import_school(ctx_at(now), ADMIN, uai, idempotency_key=key)
    assert run["status"] in ("queued", "done")
    register.process_queue(ctx_at(now), register_client or client(standin), limit=100)
    [out] = [r for r in register.list_imports(ctx_at(now), ADMIN, uai)["items"] if r["id"] == run["id"]]
    return out


def counts(engine, *tables):
    with engine.connect() as c:
        return [c.execute(select(func.count()).select_from(t)).scalar() for t in tables]


def test_the_standin_serves_the_apis_payloads(standin):
    # without the bearer token: 401, as the real API
    assert requests.get(f"{standin.base_url}/etablissements/0131884C/eleves", params={"niveau": "2116"},
                        timeout=5).status_code == 401
    tok = requests.post(standin.oauth_url, data={"grant_type": "client_credentials", "client_id": "x",
                                                 "client_secret": "y"}, timeout=5).json()
    assert tok["access_token"] == TOKEN and tok["token_type"] == "Bearer"
    demo = StandIn(load()).start()   # the development data: the demo schools
    try:
        reg = OmogenRegister(demo.base_url)
        third = reg.pupils("0131884C", "2116")
        assert third and {"ine", "nom", "prenom", "dateNaissance", "codeUai", "niveau", "codeMef", "classe"} <= set(third[0])
        assert {e["niveau"] for e in third} == {"2116"} and {e["codeUai"] for e in third} == {"0131884C"}
        assert reg.pupils("0131884C", "2434")[0]["libelleNiveau"] == "3E SEGPA"
        resp = reg.guardians(third[0]["ine"])
        assert {"nomFamille", "prenom", "email", "codeNiveauResponsabilite", "adrResidenceResp"} <= set(resp[0])
        assert len(R.read_guardians(resp)) == 2   # the contact person (level 3) is not a legal guardian
        assert reg.guardians("000000000ZZ") == []
    finally:
        demo.stop()


def test_importing_twice_changes_nothing_the_second_time(engine, standin, ctx_at):
    ines = [new_ine() for _ in range(3)]
    standin.put_pupil(eleve(ines[0], SCHOOL_A), [guardian("MARTIN", "Nadia", email="n@example.org"),
                                                  guardian("MARTIN", "Paul", link="PERE"),
                                                  guardian("DURAND", "Odile", level="3")])
    standin.put_pupil(eleve(ines[1], SCHOOL_A, niveau="2115", classe="4B"), [])
    standin.put_pupil(eleve(ines[2], SCHOOL_A, niveau="2434", classe="3SEGPA"), [])
    standin.put_pupil({**eleve("BADINE", SCHOOL_A)}, [])      # an invalid INE: reported, not imported
    with ctx_at().uow.begin() as uow:
        from identity.repository import register as sql
        sql.connect_school(uow.session, SCHOOL_A, NOW, ADMIN["user_id"])
    first = imported(ctx_at, standin, SCHOOL_A)
    assert first["status"] == "done"
    assert first["counts"] == {"created": 3, "updated": 0, "moved": 0, "unchanged": 0, "errors": 1}
    assert first["errors"] == [{"ine": "BADINE", "reason": "invalid_ine"}]
    with Session(engine) as s:
        rows = {r.ine: r for r in s.execute(select(models.users).where(models.users.c.ine.in_(ines)))}
        assert {i: (r.grade, r.class_name, r.school_uai, r.status) for i, r in rows.items()} == {
            ines[0]: ("troisieme", "3A", SCHOOL_A, "pending_activation"),
            ines[1]: ("quatrieme", "4B", SCHOOL_A, "pending_activation"),
            ines[2]: ("troisieme", "3SEGPA", SCHOOL_A, "pending_activation")}   # 3e SEGPA: troisieme
    before = counts(engine, models.users, models.pupil_guardians, models.outbox)
    second = imported(ctx_at, standin, SCHOOL_A)
    assert second["counts"] == {"created": 0, "updated": 0, "moved": 0, "unchanged": 3, "errors": 1}
    assert counts(engine, models.users, models.pupil_guardians, models.outbox) == before   # no row, no event
    runs = register.list_imports(ctx_at(), ADMIN, SCHOOL_A)["items"]
    assert [r["id"] for r in runs[:2]] == [second["id"], first["id"]]
    # the guardians (the two legal ones) are what identity tells other services about the pupil
    pupil = directory.get_user(ctx_at(), str(rows[ines[0]].id))
    assert [(g["name"], g["relationship"], g["email"]) for g in pupil["legal_representatives"]] == [
        ("Nadia MARTIN", "MERE", "n@example.org"), ("Paul MARTIN", "PERE", None)]
    assert pupil["legal_representatives"][0]["address"] == "3 rue Mignet, 13100 AIX EN PROVENCE"
    # the pupil's own data (right of access) show them; anonymisation erases them
    pid = str(rows[ines[0]].id)
    mine = accounts.get_my_data(ctx_at(), {"user_id": pid, "role": "pupil"})
    assert [g["name"] for g in mine["legal_representatives"]] == ["Nadia MARTIN", "Paul MARTIN"]
    ctx = ctx_at()
    ctx.deny_sessions = lambda ids: None   # no gateway's Redis here
    anonymisation.anonymize(ctx, pid)
    with Session(engine) as s:
        assert not s.execute(select(models.pupil_guardians).where(models.pupil_guardians.c.pupil_id == pid)).all()
    assert "legal_representatives" not in directory.get_user(ctx_at(), pid)
    # the register changes a class and a guardian: one pupil updated, the others unchanged
    standin.put_pupil(eleve(ines[1], SCHOOL_A, niveau="2115", classe="4C"))
    standin.put_pupil(eleve(ines[2], SCHOOL_A, niveau="2434", classe="3SEGPA"), [guardian("ROUX", "Anne")])
    standin.set_data({"eleves": [e for e in standin.snapshot()["eleves"] if e["ine"] != ines[0]],
                      "responsables": standin.snapshot()["responsables"]})   # the anonymised pupil left
    third = imported(ctx_at, standin, SCHOOL_A, key="k-1")
    assert third["counts"] == {"created": 0, "updated": 2, "moved": 0, "unchanged": 0, "errors": 1}
    # the same key again: the same run, nothing imported again
    assert imported(ctx_at, standin, SCHOOL_A, key="k-1")["id"] == \
        third["id"]


def test_a_pupil_who_changes_school_follows(engine, standin, ctx_at):
    ine = new_ine()
    standin.put_pupil(eleve(ine, SCHOOL_A, classe="3A"), [guardian("LEROY", "Anne")])
    with ctx_at().uow.begin() as uow:
        from identity.repository import register as sql
        for uai in (SCHOOL_A, SCHOOL_B):
            sql.connect_school(uow.session, uai, NOW, None)
    imported(ctx_at, standin, SCHOOL_A)
    standin.move(ine, SCHOOL_B, classe="3C")
    # the old school's import no longer sees them, and leaves the account alone
    assert imported(ctx_at, standin, SCHOOL_A)["counts"]["moved"] == 0
    out = imported(ctx_at, standin, SCHOOL_B)
    assert out["counts"]["moved"] == 1 and out["counts"]["created"] == 0
    with Session(engine) as s:
        [row] = s.execute(select(models.users).where(models.users.c.ine == ine)).all()
        assert (row.school_uai, row.class_name) == (SCHOOL_B, "3C")
        events = [e.envelope for e in s.execute(select(models.outbox).where(
            models.outbox.c.type == "pupil.school_changed"))]
    assert {"pupil_id": row.id, "previous_school_uai": SCHOOL_A, "school_uai": SCHOOL_B}.items() <= \
        [e["data"] for e in events if e["data"]["pupil_id"] == row.id][0].items()
    assert imported(ctx_at, standin, SCHOOL_B)["counts"]["moved"] == 0


def test_nightly_imports_each_connected_school_once(engine, standin, ctx_at):
    uai = "0132325G"   # Collège Campra
    ine = new_ine()
    standin.put_pupil(eleve(ine, uai), [])
    with ctx_at().uow.begin() as uow:
        from identity.repository import register as sql
        sql.connect_school(uow.session, uai, NOW, None)
    night = dt.datetime(2026, 12, 6, 1, 30, tzinfo=dt.timezone.utc)   # 02:30 in Paris
    assert R.nightly_cutoff(night) == dt.datetime(2026, 12, 6, 1, 0, tzinfo=dt.timezone.utc)
    assert uai in register.queue_nightly(ctx_at(night))
    # the same night again (another replica, or the next tick): nothing more to queue for this school
    assert uai not in register.queue_nightly(ctx_at(night + dt.timedelta(minutes=5)))
    done = [r for r in register.process_queue(ctx_at(night), client(standin), limit=1000) if r["school_uai"] == uai]
    assert len(done) == 1 and done[0]["trigger"] == "nightly" and done[0]["status"] == "done"
    assert done[0]["counts"]["created"] == 1
    assert uai not in register.queue_nightly(ctx_at(night + dt.timedelta(hours=1)))
    assert register.process_queue(ctx_at(night), client(standin)) == []   # the queue is empty


def test_refusals(standin, ctx_at):
    ctx = ctx_at()
    teacher = {"user_id": str(uuid.uuid4()), "role": "school_staff", "function": "teacher", "school_uai": SCHOOL_A}
    with pytest.raises(Forbidden):
        register.import_school(ctx, teacher, SCHOOL_A)
    with pytest.raises(NotFound):
        register.import_school(ctx, ADMIN, "9999999Z")
    with pytest.raises(ValidationError) as e:   # a school that does not use the register
        register.import_school(ctx, ADMIN, "0132568W")
    assert e.value.code == "school_not_connected"
    with ctx.uow.begin() as uow:
        from identity.repository import register as sql
        sql.connect_school(uow.session, "0132568W", NOW, None)
    # the register does not answer: the run is recorded failed
    out = imported(ctx_at, standin, "0132568W",
                   register_client=OmogenRegister("http://127.0.0.1:9/sygne/api/v1", timeout=1))
    assert out["status"] == "failed" and out["errors"] == [{"ine": None, "reason": "register_unavailable"}]


def test_declared_weeks(engine, ctx_at):
    teacher = {"user_id": str(uuid.uuid4()), "role": "school_staff", "function": "teacher", "school_uai": SCHOOL_B}
    ctx = ctx_at()
    with pytest.raises(Forbidden):   # only the head, the administrative staff and admins
        register.set_internship_weeks(ctx, teacher, SCHOOL_B, ["2027-W03"])
    with pytest.raises(ValidationError) as e:
        register.set_internship_weeks(ctx, ADMIN, SCHOOL_B, ["2027-53", "2027-W03"])
    assert "weeks" in e.value.errors
    with pytest.raises(ValidationError):   # a lycée has no 3e
        register.set_internship_weeks(ctx, ADMIN, "0130043B", ["2027-W03"])
    out = register.set_internship_weeks(ctx, ADMIN, SCHOOL_B, ["2027-W04", "2026-W02", "2027-W03", "2027-W03"])
    assert out == {"school_uai": SCHOOL_B, "weeks": ["2026-W02", "2027-W03", "2027-W04"],
                   "restricting": ["2027-W03", "2027-W04"]}   # 2026-W02 is past
    [before] = counts(engine, models.outbox)
    register.set_internship_weeks(ctx, ADMIN, SCHOOL_B, ["2027-W03", "2027-W04", "2026-W02"])   # the same weeks
    assert counts(engine, models.outbox) == [before]
    near = register.declared_weeks_near(ctx, 43.5297, 5.4474)["items"]   # Aix-en-Provence
    assert {"week": "2027-W03", "schools": 1} in near and {"week": "2027-W04", "schools": 1} in near
    assert "2026-W02" not in [i["week"] for i in near]
    assert register.declared_weeks_near(ctx, 48.8566, 2.3522)["items"] == []   # Paris: no collège declared
    with pytest.raises(ValidationError):
        register.declared_weeks_near(ctx, 91, 5.4, 60)


@pytest.fixture
def demo_standin(monkeypatch):
    """The development data, and identity (started after this fixture) reading it."""
    s = StandIn(load(), require_token=True).start()
    monkeypatch.setenv("OMOGEN_SYGNE_URL", s.base_url)
    monkeypatch.setenv("OMOGEN_OAUTH_URL", s.oauth_url)
    yield s
    s.stop()


def test_the_service_imports_the_demo_college_from_the_development_standin(demo_standin, identity):
    """Through the running service: the demo's pupils are found by names and birth date and given their INE;
    the queue's timer runs the import asked for (status polled until done)."""
    import time
    rpc, _ = identity
    rpc.seed_demo()
    uai = "0131884C"
    rpc.set_register_connected(actor=ADMIN, uai=uai, connected=True)
    run = rpc.register_import(actor=ADMIN, uai=uai)
    assert run["status"] in ("queued", "running", "done")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        [run] = [r for r in rpc.list_register_imports(actor=ADMIN, uai=uai)["items"] if r["id"] == run["id"]]
        if run["status"] in ("done", "failed"):
            break
        time.sleep(0.2)
    assert run["status"] == "done", run
    assert run["counts"] == {"created": 6, "updated": 3, "moved": 0, "unchanged": 0, "errors": 0}
    pupils = {p["ine"]: p for p in rpc.list_pupils(actor=ADMIN, uai=uai, page_size=500)["items"] if p["ine"]}
    assert pupils["070112001AA"]["email"] == "demo.eleve3e.inaya@example.com"   # the demo account, now with its INE
    assert (pupils["070112006AF"]["grade"], pupils["070112006AF"]["class_name"]) == ("troisieme", "3SEGPA")
    inaya = rpc.get_user(pupils["070112001AA"]["id"])
    assert [g["relationship"] for g in inaya["legal_representatives"]] == ["MERE", "PERE"]
