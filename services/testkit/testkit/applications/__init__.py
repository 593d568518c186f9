"""Test and benchmark helpers of the applications service (development only): actors, forms, the real suite's
accounts and offers (identity and offers are called by RPC, nothing is mocked). In-memory fakes of the
service's unit of work and clients, for use-case unit tests: ``testkit.applications.fakes``."""
from __future__ import annotations

import uuid


# -- in-process services (integration tests) ---------------------------------------------------
def start_container(cls, amqp_uri, **extra):
    from nameko.containers import ServiceContainer

    c = ServiceContainer(cls, {"AMQP_URI": amqp_uri, "serializer": "json", "max_workers": 20, **extra})
    c.start()
    return c


def start_services(amqp_uri, timer_seconds=3600):
    """The real applications, offers, identity and notifications services in this process (their
    databases come from the ``service_db`` fixture's environment variables)."""
    from identity.service import IdentityService
    from notifications.service import NotificationsService
    from offers.service import OffersService

    from applications.service import ApplicationsService

    return {"offers": start_container(OffersService, amqp_uri),
            "identity": start_container(IdentityService, amqp_uri),
            "notifications": start_container(NotificationsService, amqp_uri),
            "applications": start_container(ApplicationsService, amqp_uri,
                                            APPLICATIONS_EXPIRY_INTERVAL=timer_seconds)}


def stop_services(containers):
    for c in reversed(list(containers.values())):
        try:
            c.stop()
        except Exception:
            c.kill()


# -- actors and forms ---------------------------------------------------------------------
def new_id() -> str:
    return str(uuid.uuid4())


def pupil(grade="troisieme", school_uai="0750001A", rep=None, qpv=False, academie="01", user_id=None):
    uid = user_id or new_id()
    return {"user_id": uid, "role": "pupil", "function": None, "school_uai": school_uai, "grade": grade,
            "school_rep": rep, "school_qpv": qpv, "academie": academie}


def employer(user_id=None):
    return {"user_id": user_id or new_id(), "role": "employer", "function": None, "school_uai": None,
            "grade": None, "school_rep": None, "school_qpv": None, "academie": None}


def form(week="2027-W05", **kw):
    out = {"motivation": "Je voudrais découvrir votre métier.", "email": "lea@example.fr",
           "phone": "06 12 34 56 78", "address": "1 rue de la Paix, 75002 Paris",
           "legal_representative": {"name": "Marie Martin", "email": "marie@example.fr", "phone": "07 12 34 56 78"},
           "week": week}
    out.update(kw)
    return out


# -- the real suite (cross-service tests and benchmarks) --------------------------------------
PASSWORD = "Correct-Horse-42!"
REP_PLUS_COLLEGE = "0131884C"  # Collège Belle de Mai, Marseille (REP+, QPV)
LYCEE = "0130043B"  # Lycée Victor Hugo, Marseille


def _client():
    import random
    return {"ip": f"10.{random.randint(0, 255)}.{random.randint(0, 255)}.{random.randint(1, 254)}",
            "user_agent": "applications-tests"}


def activation_secret(rpc, email: str) -> str:
    """The activation token identity sent to ``email`` (reported through ``common.seams``, read from the test-only
    service run beside identity: the one place these helpers read an identity secret)."""
    return rpc.identity_test_hooks.last_secret("activation", email)


def suite_employer(rpc) -> dict:
    """A fresh active employer: {"user_id", "token", "actor"}."""
    email = f"employer.{uuid.uuid4().hex[:12]}@example.com"
    rpc.identity.register(data={"role": "employer", "first_name": "Paul", "last_name": "Durand",
                                "function": "Gérant", "email": email, "password": PASSWORD}, client=_client())
    rpc.identity.activate(activation_secret(rpc, email))
    session = rpc.identity.login(identifier=email, password=PASSWORD, client=_client())
    uid = session["user"]["id"]
    return {"user_id": uid, "token": session["access_token"], "actor": {"user_id": uid, "role": "employer"}}


def suite_head(rpc, uai: str = REP_PLUS_COLLEGE, first_name: str = "Marie", last_name: str = "Lambert") -> dict:
    """A head of ``uai`` registered, activated and confirmed by an admin (so that they may act for the school,
    docs/school-staff.md), logged in: {"user_id", "token"}."""
    email = f"principal.{uuid.uuid4().hex[:10]}@ac-aix-marseille.fr"
    rpc.identity.register(data={"role": "school_staff", "first_name": first_name, "last_name": last_name,
                                "function": "head", "email": email, "password": PASSWORD, "school_uai": uai},
                          client=_client())
    user_id = rpc.identity.activate(activation_secret(rpc, email))["user_id"]
    rpc.identity.confirm_staff(actor={"user_id": str(uuid.uuid4()), "role": "admin"}, school_uai=uai,
                               user_id=user_id)
    session = rpc.identity.login(identifier=email, password=PASSWORD, client=_client())
    return {"user_id": session["user"]["id"], "token": session["access_token"]}


def suite_pupils(rpc, n: int, uai: str = REP_PLUS_COLLEGE, level: str = "3EME", class_name: str = "3A",
                 activate: bool = True) -> list[dict]:
    """``n`` fresh pupils of ``uai`` imported by its staff and activated: [{"user_id", "token", "actor"}].

    With ``activate=False`` the pupils are only imported (fast); ``actor`` is then built like the gateway
    would from their claims, for RPC-level benchmarks."""
    import base64

    tag = uuid.uuid4().hex[:8].upper()
    rows = ["Nom;Prénom;Date de naissance;Classe;Niveau;Courriel"]
    for i in range(n):
        rows.append(f"ELEVE{i}-{tag};Camille;04/03/2011;{class_name};{level};eleve{i}.{tag.lower()}@example.com")
    # imported by an admin: identity lets school staff import only from a real, confirmed account
    admin = {"user_id": str(uuid.uuid4()), "role": "admin"}
    imp = rpc.identity.import_pupils(actor=admin, uai=uai, content_base64=base64.b64encode(
        "\r\n".join(rows).encode()).decode(), filename="classe.csv", with_pdf=False)
    school = rpc.identity.get_school(uai)
    grade = {"3EME": "troisieme", "4EME": "quatrieme", "2NDE": "seconde"}[level]
    out = []
    # only this import's pupils (identity may hand out new codes for other pupils of the school too)
    for c in (c for c in imp["codes"] if str(c.get("last_name", "")).upper().endswith(f"-{tag}")):
        actor = {"user_id": c["pupil_id"], "role": "pupil", "function": None, "school_uai": uai, "grade": grade,
                 "school_rep": school.get("education_prioritaire"), "school_qpv": bool(school.get("qpv")),
                 "academie": school.get("academie_code")}
        token = None
        if activate:
            session = rpc.identity.pupil_activate(code=c["code"], password=PASSWORD, client=_client())
            token = session["access_token"]
            actor = {**actor, **{k: session["claims"].get(k) for k in ("grade", "school_rep", "school_qpv",
                                                                       "academie") if k in session["claims"]}}
        out.append({"user_id": c["pupil_id"], "token": token, "actor": actor})
    return out


def future_college_weeks(n: int = 2, today=None) -> tuple[str, list[str]]:
    import datetime as dt

    from common.clock import PROCESS_CLOCK, paris_date
    from offers.domain import calendar as cal

    t = today or paris_date(PROCESS_CLOCK.now())
    for year in cal.offerable_school_years(t):
        # weeks of school in every zone, so that any test pupil may pick them
        weeks = [w for w in cal.college_weeks(year) if cal.week_monday(w) > t + dt.timedelta(days=60)
                 and cal.known_holiday_zones(w) == ()]
        if len(weeks) >= n:
            return year, weeks[:n]
    raise AssertionError("no open weeks")


def suite_offer(rpc, employer_id: str, *, grades=("troisieme",), seats: int = 3, seconde_period=None,
                publish: bool = True, **extra) -> dict:
    """A published offer (or a draft) of the real offers service."""
    from testkit.offers import offer_data

    year, weeks = future_college_weeks()
    data = offer_data(grades=list(grades), school_year=year, seats=seats)
    data.pop("weeks")
    if "seconde" in grades:
        data["seconde_period"] = seconde_period or "both"
    else:
        data["weeks"] = weeks
    data.update(extra)
    actor = {"user_id": employer_id, "role": "employer"}
    o = rpc.offers.create_offer(actor=actor, data=data)
    if publish:
        rpc.offers.publish_offer(actor=actor, offer_id=o["id"])
    return rpc.offers.get_offer(o["id"])


def application_form(week=None) -> dict:
    return form(week=week)
