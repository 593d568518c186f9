"""Pupils: the import of a class list (with a preview), activation codes (and new ones), a pupil's own
activation, the list of a school's pupils and a change of class."""
from __future__ import annotations

import base64
import hashlib
import uuid

from common.errors import Conflict, FieldErrors, NotFound, ValidationError
from common.validation import check_email, check_mobile_phone, check_text, normalize_email, normalize_phone

from .. import settings, views
from ..domain import accounts, activation_codes, roles, throttle
from ..domain import staff as staff_rules
from ..domain.class_lists import parse_pupils_csv
from ..domain.import_plan import plan_import
from ..domain.passwords import check_password
from ..domain.pupil_records import grade_from_class, key_part
from .context import Context, acting_user, client_ip, hand_out, is_uuid, mark_activated, rate, require_school, \
    tell_identifier_owner
from .sessions import issue
from .staff import require_confirmed_staff

PUPIL_CODE = "pupil_code"   # the kind of secret handed out (common.seams), keyed by pupil id


def _pdf_base64(render_pdf, school, entries, now) -> str | None:
    pdf = render_pdf(school, entries, now) if render_pdf and school else None
    return base64.b64encode(pdf).decode("ascii") if pdf else None


def _uniqueness_problem(ctx: Context, c, ine, email, pupil_id) -> str | None:
    """INE and e-mail are unique across schools."""
    if ine and ctx.repo.ine_taken(c, ine, except_id=pupil_id):
        return "Cet INE est déjà celui d'un élève d'un autre établissement."
    if email and ctx.repo.email_taken(c, email, except_id=pupil_id):
        return "Cette adresse e-mail est déjà utilisée par un autre compte."
    return None


def _sorted_plan(ctx: Context, c, uai: str, parsed) -> tuple[list, list, list, list]:
    """(to create, to update, unchanged, rejected) once INE and e-mail are checked across schools."""
    plan = plan_import(parsed.rows, ctx.repo.known_pupils(c, uai))
    rejected = [r.to_dict() for r in parsed.rejected] + [r.to_dict() for r in plan.conflicts]
    create, update = [], []
    for row in plan.create:
        problem = _uniqueness_problem(ctx, c, row.ine, row.email, None)
        if problem:
            rejected.append({"line": row.line, "values": row.to_dict(), "reasons": [problem]})
        else:
            create.append(row)
    for pid, row, changes in plan.update:
        problem = _uniqueness_problem(ctx, c, changes.get("ine"), changes.get("email"), pid)
        if problem:
            rejected.append({"line": row.line, "values": row.to_dict(), "reasons": [problem]})
        else:
            update.append((pid, row, changes))
    return create, update, plan.unchanged, rejected


def _summary(parsed, created, updated, unchanged, rejected) -> dict:
    rejected.sort(key=lambda r: r["line"])
    return {"created": len(created), "updated": len(updated), "unchanged": len(unchanged),
            "rejected": len(rejected), "encoding": parsed.encoding, "delimiter": parsed.delimiter,
            "columns": parsed.columns, "ignored_columns": parsed.ignored_columns}


def import_pupils(ctx: Context, actor: dict, uai: str, content_base64: str, filename: str | None = None,
                  render_pdf=None, dry_run: bool = False) -> dict:
    uai = accounts.normalize_uai(uai)
    roles.require_staff_of(actor, uai)
    require_confirmed_staff(ctx, actor)
    try:
        data = base64.b64decode(content_base64 or "", validate=True)
    except Exception:
        raise ValidationError(errors={"file": ["Le contenu du fichier est illisible (base64 attendu)."]})
    with ctx.uow.read() as s:
        school = require_school(ctx, s, uai)
    parsed = parse_pupils_csv(data, ctx.now.date(), school["kind"])
    if parsed.file_errors:
        raise ValidationError("Le fichier ne peut pas être importé.", errors={"file": parsed.file_errors})
    if dry_run:
        return _preview_import(ctx, uai, parsed)
    now = ctx.now
    import_id = str(uuid.uuid4())
    new_codes = []
    with ctx.uow.begin() as uow:
        c = uow.session
        ctx.repo.serialise_imports(c, uai)
        create, update, unchanged_rows, rejected = _sorted_plan(ctx, c, uai, parsed)
        created, updated = [], []
        for row in create:
            pid = str(uuid.uuid4())
            ctx.repo.insert_user(
                c, id=pid, role=roles.PUPIL, status="pending_activation", email=row.email, first_name=row.first_name,
                last_name=row.last_name, school_uai=uai, grade=row.grade, class_name=row.class_name,
                birth_date=row.birth_date, ine=row.ine, pupil_key=row.key, invited_by=actor.get("user_id"),
                created_at=now, updated_at=now, last_activity_at=now)
            code = activation_codes.new_code()
            ctx.repo.insert_pupil_code(c, pid, activation_codes.hash_code(code), now, now + activation_codes.TTL,
                                       import_id=import_id)
            new_codes.append(views.code_entry({"id": pid, "last_name": row.last_name, "first_name": row.first_name,
                                               "class_name": row.class_name, "grade": row.grade}, code))
            created.append({"line": row.line, "pupil_id": pid})
        for pid, row, changes in update:
            changes = dict(changes)
            if "last_name" in changes or "first_name" in changes:
                changes["pupil_key"] = row.key
            ctx.repo.update_user(c, pid, updated_at=now, **changes)
            updated.append({"line": row.line, "pupil_id": pid, "changes": sorted(changes)})
        unchanged = [{"line": row.line, "pupil_id": pid} for pid, row in unchanged_rows]
        summary = _summary(parsed, created, updated, unchanged, rejected)
        report = {"created": created, "updated": updated, "unchanged": unchanged, "rejected": rejected}
        ctx.repo.insert_import(c, id=import_id, school_uai=uai, imported_by=actor.get("user_id") or "admin",
                               filename=(filename or "")[:255] or None, file_sha256=hashlib.sha256(data).hexdigest(),
                               created_at=now, summary=summary, report=report)
        if created or updated:
            uow.emit("pupil.imported", {"import_id": import_id, "school_uai": uai,
                                        "created": [x["pupil_id"] for x in created],
                                        "updated": [x["pupil_id"] for x in updated]})
    for e in new_codes:
        hand_out(PUPIL_CODE, e["pupil_id"], e["code"])
    return {"import_id": import_id, "school_uai": uai, "summary": summary, "report": report,
            "codes": new_codes, "codes_expire_at": (now + activation_codes.TTL).isoformat(),
            "sheet_pdf_base64": _pdf_base64(render_pdf, school, new_codes, now)}


def _preview_import(ctx: Context, uai: str, parsed) -> dict:
    """What ``import_pupils`` would do with this file, written nowhere (no pupil, code, import or event):
    the same report, each row with its values, so that the school checks it before importing."""
    with ctx.uow.read() as c:
        create, update, unchanged_rows, rejected = _sorted_plan(ctx, c, uai, parsed)
    created = [{"line": row.line, "pupil_id": None, "values": row.to_dict()} for row in create]
    updated = [{"line": row.line, "pupil_id": pid, "changes": sorted(changes), "values": row.to_dict()}
               for pid, row, changes in update]
    unchanged = [{"line": row.line, "pupil_id": pid, "values": row.to_dict()} for pid, row in unchanged_rows]
    summary = _summary(parsed, created, updated, unchanged, rejected)
    return {"import_id": None, "school_uai": uai, "dry_run": True, "summary": summary,
            "report": {"created": created, "updated": updated, "unchanged": unchanged, "rejected": rejected},
            "codes": [], "codes_expire_at": None, "sheet_pdf_base64": None}


def regenerate_codes(ctx: Context, actor: dict, uai: str, pupil_ids, render_pdf=None) -> dict:
    """New codes for pupils who have not activated their account (lost sheet); old codes stop working."""
    uai = accounts.normalize_uai(uai)
    roles.require_staff_of(actor, uai)
    require_confirmed_staff(ctx, actor)
    ids = [str(i) for i in (pupil_ids or []) if is_uuid(i)]
    now = ctx.now
    new_codes = []
    with ctx.uow.begin() as uow:
        c = uow.session
        for u in ctx.repo.pending_pupils(c, uai, ids):
            ctx.repo.void_pupil_codes(c, u["id"], now)
            code = activation_codes.new_code()
            ctx.repo.insert_pupil_code(c, u["id"], activation_codes.hash_code(code), now, now + activation_codes.TTL)
            new_codes.append(views.code_entry(u, code))
        school = ctx.repo.get_school(c, uai)
    for e in new_codes:
        hand_out(PUPIL_CODE, e["pupil_id"], e["code"])
    return {"codes": new_codes, "sheet_pdf_base64": _pdf_base64(render_pdf, school, new_codes, now)}


def pupil_activate(ctx: Context, code: str, password: str, email: str | None = None, phone: str | None = None,
                   client: dict | None = None) -> dict:
    bucket = f"pupil_code_fail:ip:{client_ip(client)}"
    with ctx.uow.read() as s:   # failed attempts from this address (a classroom shares one)
        rate(ctx, s, bucket, settings.limit("pupil_code_ip", throttle.PUPIL_ACTIVATE_PER_IP), count=False)
    errs = FieldErrors()
    h = activation_codes.hash_code(code) if isinstance(code, str) else None
    if h is None:
        errs.add("code", activation_codes.MESSAGES["unknown"])
    m = check_password(password)
    if m:
        errs.add("password", m)
    if email not in (None, "") and check_email(email):
        errs.add("email", "Adresse e-mail invalide.")
    if phone not in (None, "") and check_mobile_phone(phone):
        errs.add("phone", check_mobile_phone(phone))
    errs.raise_if_any()
    pw_hash = ctx.passwords.hash(password)
    with ctx.uow.begin() as uow:
        c = uow.session
        rec = ctx.repo.pupil_code_by_hash(c, h)
        status = activation_codes.code_status(rec, ctx.now)
        u = ctx.repo.get_user(c, rec["user_id"], for_update=True) if status == "valid" else None
        if u is not None and u["status"] != "pending_activation":
            status = "used"
    if status != "valid":
        with ctx.uow.begin() as uow:
            ctx.repo.add_event(uow.session, bucket, ctx.now)
        raise (NotFound if status == "unknown" else Conflict)(activation_codes.MESSAGES[status],
                                                             code=f"code_{status}")
    with ctx.uow.begin() as uow:
        c = uow.session
        rec = ctx.repo.pupil_code_by_hash(c, h)
        u = ctx.repo.get_user(c, rec["user_id"], for_update=True)
        if rec["used_at"] is not None or u["status"] != "pending_activation":
            raise Conflict(activation_codes.MESSAGES["used"], code="code_used")
        new_email = normalize_email(email) if email else u["email"]
        new_phone = normalize_phone(phone) if phone else u["phone"]
        # An address or number that belongs to another account is not recorded, with the same answer
        # as a free one; its owner is told (no one learns here who has an account).
        told = []
        for kind, value, kept in (("email", new_email, u["email"]), ("phone", new_phone, u["phone"])):
            owner_id = ctx.repo.identifier_owner(c, kind, value, except_id=u["id"]) if value and value != kept \
                else None
            if owner_id:
                told.append((owner_id, kind))
                new_email, new_phone = (kept, new_phone) if kind == "email" else (new_email, kept)
        if not new_email and not new_phone:
            raise ValidationError(errors={"email": ["Indiquez une adresse e-mail (ou un numéro de mobile) : "
                                                    "elle vous servira d'identifiant de connexion."]})
        ctx.repo.mark_code_used(c, rec["id"], ctx.now)
        mark_activated(ctx, c, uow, u, password_hash=pw_hash, email=new_email, phone=new_phone)
        out = issue(ctx, c, ctx.repo.get_user(c, u["id"]), client)
    for owner_id, kind in told:
        tell_identifier_owner(ctx, owner_id, kind)
    return out


def list_pupils(ctx: Context, actor: dict, uai: str, class_name: str | None = None, grade: str | None = None,
                q: str | None = None, page: int = 1, page_size: int = 100) -> dict:
    uai = accounts.normalize_uai(uai)
    roles.require_staff_of(actor, uai)
    page = max(1, int(page or 1))
    page_size = max(1, min(int(page_size or 100), 500))
    with ctx.uow.read() as s:
        total, rows, classes = ctx.queries.pupils_page(s, uai, class_name, grade, key_part(q) if q else None,
                                                       page, page_size)
    return {"items": [views.pupil_public(u) for u in rows], "page": page, "page_size": page_size,
            "total": total, "classes": classes}


def move_pupil(ctx: Context, actor: dict, pupil_id: str, class_name: str, grade: str | None = None) -> dict:
    errs = FieldErrors()
    m = check_text(class_name, max_len=40)
    if m:
        errs.add("class_name", m)
    if grade is not None and grade not in roles.GRADES:
        errs.add("grade", "Niveau invalide : quatrieme, troisieme ou seconde.")
    errs.raise_if_any()
    with ctx.uow.begin() as uow:
        c = uow.session
        u = ctx.repo.get_user(c, str(pupil_id), for_update=True) if is_uuid(pupil_id) else None
        if u is None or u["role"] != roles.PUPIL or u["status"] == "anonymized":
            raise NotFound("Élève introuvable.", code="pupil_not_found")
        roles.require_staff_of(actor, u["school_uai"])
        if actor.get("role") == roles.SCHOOL_STAFF:
            staff_rules.require_confirmed(acting_user(ctx, c, actor))
        school = ctx.repo.get_school(c, u["school_uai"])
        new_grade = grade or grade_from_class(class_name) or u["grade"]
        if not roles.grade_allowed_in(new_grade, school["kind"]):
            raise ValidationError(errors={"grade": ["Ce niveau n'existe pas dans cet établissement."]})
        ctx.repo.update_user(c, u["id"], class_name=class_name.strip(), grade=new_grade, updated_at=ctx.now)
        u = ctx.repo.get_user(c, u["id"])
    return views.pupil_public(u)
