"""Seeds a small demo dataset into a running platform (idempotent), then
prints who can log in. Called by `make up`.

- identity: activated demo accounts (employer, head of a REP+ collège in
  Marseille and a teacher, pupils of 3e and 2nde, an admin); the head and the
  teacher are confirmed school staff and the head is the collège's designated
  head (docs/school-staff.md);
- offers: a few published offers of the demo employer (Mâcon, Paris, Lyon,
  Marseille, Nantes);
- applications: one demo pupil applies to an offer through the gateway;
- the national pupil register: the demo collège and lycée are connected to it and imported from the local
  stand-in of the Omogen SYGNE API (testkit.omogen, started by deploy/run.sh).
"""
from __future__ import annotations

import argparse
import json
import sys
import urllib.error
import urllib.request

import eventlet

eventlet.monkey_patch()

from common.rpc import cluster_rpc  # noqa: E402


def http(method: str, url: str, body=None, token=None, key=None):
    data = json.dumps(body).encode() if body is not None else None
    req = urllib.request.Request(url, data=data, method=method)
    req.add_header("Content-Type", "application/json")
    if token:
        req.add_header("Authorization", f"Bearer {token}")
    if key:
        req.add_header("Idempotency-Key", key)
    try:
        with urllib.request.urlopen(req, timeout=30) as resp:
            return resp.status, json.loads(resp.read() or b"null")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"null")


DEMO_SCHOOLS = ("0131884C", "0130043B")   # identity's demo collège and lycée (identity.use_cases.demo)


def connect_demo_schools(rpc, admin_id: str) -> str:
    """The demo schools use the national pupil register (its local stand-in): connected, then an import queued
    (identity runs it within seconds)."""
    admin = {"user_id": admin_id, "role": "admin"}
    done = []
    for uai in DEMO_SCHOOLS:
        rpc.identity.set_register_connected(actor=admin, uai=uai, connected=True)
        try:
            run = rpc.identity.register_import(actor=admin, uai=uai)
            done.append(f"{uai} import {run['status']}")
        except Exception as exc:
            done.append(f"{uai} not imported ({exc.__class__.__name__})")
    return "; ".join(done)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--gateway", default="http://127.0.0.1:8000")
    args = parser.parse_args(argv)
    api = args.gateway.rstrip("/") + "/api/v1"

    with cluster_rpc(timeout=60) as rpc:
        accounts = rpc.identity.seed_demo()
        offers = rpc.offers.seed_demo_offers(employer_id=accounts["employer"]["user_id"], count=5)
        register = connect_demo_schools(rpc, accounts["admin"]["user_id"])

    pupil = accounts["pupils_3e"][0]
    status, tokens = http("POST", f"{api}/auth/login", {"identifier": pupil["email"], "password": accounts["password"]})
    applied = None
    if status == 200:
        token = tokens["access_token"]
        for offer_id in offers["offer_ids"]:
            status, offer = http("GET", f"{api}/offers/{offer_id}", token=token)
            weeks = (offer or {}).get("weeks") or []
            if status != 200 or "troisieme" not in (offer.get("grades") or []) or not weeks:
                continue
            form = {"motivation": "Je voudrais découvrir ce métier et le quotidien de votre équipe.",
                    "email": pupil["email"], "phone": "06 12 34 56 78", "address": "12 rue de la République, 13003 Marseille",
                    "legal_representative": {"name": "Nadia Mansouri", "email": "parent.demo@example.com",
                                             "phone": "06 98 76 54 32"},
                    "week": weeks[0]}
            status, application = http("POST", f"{api}/offers/{offer_id}/applications", form, token=token,
                                       key=f"demo-{pupil['user_id']}-{offer_id}")
            if status in (200, 201):
                applied = application.get("id")
                break

    print("Demo accounts (password: %s)" % accounts["password"])
    for slot in ("employer", "head", "teacher", "admin"):
        print(f"  {slot:<9} {accounts[slot]['email']}")
    for p in accounts["pupils_3e"] + accounts["pupils_2nde"]:
        print(f"  pupil     {p['email']} ({p['grade']}, {p['class_name']})")
    print(f"  admin TOTP secret: {accounts['admin_totp_secret']}")
    print(f"Demo offers: {len(offers['offer_ids'])}; demo application: {applied or 'none'}")
    print(f"Pupil register (stand-in): {register}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
