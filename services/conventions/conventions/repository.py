"""Write side of the conventions database (SQLAlchemy core): rows <-> domain objects.

Use cases reach it through the unit of work (``UnitOfWork.begin()``: one transaction yielding the ``Repository``;
``read()``: the read side, ``queries.Queries``); ``testkit.conventions.FakeUnitOfWork`` is its in-memory twin for
unit tests.
"""
from __future__ import annotations

import datetime as dt

from common.db import ServiceUnitOfWork
from sqlalchemy import insert, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert

from .domain.codes import SignatureCode
from .domain.convention import Convention, Signature
from .domain.links import RepresentativeLink
from .models import (conventions, documents, legal_rep_links, rollover_runs, school_signatures, signature_codes,
                     signatures)


def from_row(row, sig_rows) -> Convention:
    conv = Convention(
        id=row.id, application_id=row.application_id, grade=row.grade, school_uai=row.school_uai,
        pupil_user_id=row.pupil_user_id, employer_user_id=row.employer_user_id, offer_id=row.offer_id,
        space_id=row.space_id, organisation_id=row.organisation_id, weeks=list(row.weeks or []), prefill=dict(row.prefill or {}),
        employer=dict(row.employer_fields or {}), school=dict(row.school_fields or {}), state=row.state,
        employer_completed_at=row.employer_completed_at, school_completed_at=row.school_completed_at,
        validated_at=row.validated_at, signed_by_all_at=row.signed_by_all_at, cancelled_at=row.cancelled_at,
        cancel_reason=row.cancel_reason, frozen=row.frozen, document_hash=row.document_hash,
    )
    conv.signatures = [Signature(id=s.id, role=s.role, signer_key=s.signer_key, signer_name=s.signer_name,
                                 method=s.method, signed_at=s.signed_at, document_hash=s.document_hash,
                                 signer_user_id=s.signer_user_id, ip=s.ip, user_agent=s.user_agent)
                       for s in sig_rows]
    return conv


def columns(conv: Convention) -> dict:
    pupil = conv.prefill.get("pupil") or {}
    return dict(
        application_id=conv.application_id, offer_id=conv.offer_id, organisation_id=conv.organisation_id,
        school_uai=conv.school_uai, pupil_user_id=conv.pupil_user_id, employer_user_id=conv.employer_user_id,
        space_id=conv.space_id, grade=conv.grade, weeks=conv.weeks, state=conv.state, prefill=conv.prefill,
        employer_fields=conv.employer, school_fields=conv.school, frozen=conv.frozen,
        document_hash=conv.document_hash, employer_completed_at=conv.employer_completed_at,
        school_completed_at=conv.school_completed_at, validated_at=conv.validated_at,
        signed_by_all_at=conv.signed_by_all_at, cancelled_at=conv.cancelled_at, cancel_reason=conv.cancel_reason,
        class_name=(pupil.get("class_name") or None),
        pupil_name=(" ".join(x for x in (pupil.get("last_name"), pupil.get("first_name")) if x) or None),
    )


def _code(row) -> SignatureCode | None:
    return SignatureCode(row.user_id, row.salt, row.code_hash, row.issued_at, row.expires_at,
                         row.attempts) if row else None


class Repository:
    """The conventions database inside one transaction (a ``common.db`` unit of work) or one read-only session.
    Events and inbox claims go through the unit of work, in the same transaction."""

    def __init__(self, uow_or_session):
        self._uow = uow_or_session if hasattr(uow_or_session, "emit") else None
        self.session = getattr(uow_or_session, "session", uow_or_session)

    def _x(self, statement):
        return self.session.execute(statement)

    # -- outbox and inbox ---------------------------------------------------------------------------
    def emit(self, events) -> None:
        for event_type, data in events:
            self._uow.emit(event_type, data)

    def claim(self, envelope: dict, handler: str) -> bool:
        return self._uow.claim(envelope, handler)

    # -- conventions ------------------------------------------------------------------------------------
    def get(self, convention_id: str, *, for_update: bool = False) -> Convention | None:
        q = select(conventions).where(conventions.c.id == str(convention_id))
        if for_update:
            q = q.with_for_update()
        row = self._x(q).first()
        if row is None:
            return None
        sigs = self._x(select(signatures).where(signatures.c.convention_id == row.id,
                                                signatures.c.discarded_at.is_(None))
                       .order_by(signatures.c.signed_at)).all()
        return from_row(row, sigs)

    def get_many(self, ids: list[str], *, for_update: bool = False) -> dict[str, Convention]:
        q = select(conventions).where(conventions.c.id.in_([str(i) for i in ids])).order_by(conventions.c.id)
        if for_update:
            q = q.with_for_update()
        rows = self._x(q).all()
        sigs = self._x(select(signatures).where(signatures.c.convention_id.in_([r.id for r in rows]),
                                                signatures.c.discarded_at.is_(None))
                       .order_by(signatures.c.signed_at)).all() if rows else []
        by_conv: dict[str, list] = {}
        for s in sigs:
            by_conv.setdefault(s.convention_id, []).append(s)
        return {r.id: from_row(r, by_conv.get(r.id, [])) for r in rows}

    def id_for_application(self, application_id: str) -> str | None:
        row = self._x(select(conventions.c.id).where(conventions.c.application_id == str(application_id))).first()
        return row.id if row else None

    def add(self, conv: Convention, now: dt.datetime, location: dict | None = None) -> bool:
        """Insert a new convention; False when its application already has one (nothing written)."""
        done = self._x(pg_insert(conventions).values(id=conv.id, created_at=now, updated_at=now, **columns(conv),
                                                     **(location or {}))
                       .on_conflict_do_nothing(index_elements=["application_id"]).returning(conventions.c.id))
        return done.first() is not None

    def save(self, conv: Convention, now: dt.datetime, *, before: list[str] | None = None) -> None:
        """Write the convention back. ``before``: ids of the signatures in force when it was loaded;
        those no longer in ``conv.signatures`` are marked discarded, new ones inserted."""
        self._x(update(conventions).where(conventions.c.id == conv.id).values(updated_at=now, **columns(conv)))
        before = set(before or [])
        gone = before - {s.id for s in conv.signatures}
        if gone:
            self._x(update(signatures).where(signatures.c.id.in_(gone)).values(discarded_at=now))
        for s in conv.signatures:
            if s.id not in before:
                self._x(insert(signatures).values(
                    id=s.id, convention_id=conv.id, role=s.role, signer_key=s.signer_key,
                    signer_user_id=s.signer_user_id, signer_name=s.signer_name[:200], method=s.method,
                    signed_at=s.signed_at, ip=(s.ip or None) and s.ip[:64], user_agent=s.user_agent,
                    document_hash=s.document_hash))

    # -- legal representatives' links -----------------------------------------------------------------
    def add_link(self, link_id: str, link: RepresentativeLink) -> None:
        self._x(legal_rep_links.insert().values(id=link_id, convention_id=link.convention_id,
                                                rep_index=link.rep_index, token_hash=link.token_hash,
                                                created_at=link.created_at))

    def revoke_links(self, convention_id: str, now: dt.datetime, *, rep_index: int | None = None,
                     unused_only: bool = True) -> None:
        q = update(legal_rep_links).where(legal_rep_links.c.convention_id == convention_id,
                                          legal_rep_links.c.revoked_at.is_(None))
        if unused_only:
            q = q.where(legal_rep_links.c.used_at.is_(None))
        if rep_index is not None:
            q = q.where(legal_rep_links.c.rep_index == rep_index)
        self._x(q.values(revoked_at=now))

    def find_link(self, token_hash: str) -> tuple[RepresentativeLink, str] | None:
        row = self._x(select(legal_rep_links).where(legal_rep_links.c.token_hash == token_hash)).first()
        if row is None:
            return None
        return RepresentativeLink(convention_id=row.convention_id, rep_index=row.rep_index,
                                  token_hash=row.token_hash, created_at=row.created_at, used_at=row.used_at,
                                  revoked_at=row.revoked_at, failed_attempts=row.failed_attempts,
                                  locked_at=row.locked_at), row.id

    def save_link_attempts(self, link_id: str, link: RepresentativeLink) -> None:
        self._x(update(legal_rep_links).where(legal_rep_links.c.id == link_id)
                .values(failed_attempts=link.failed_attempts, locked_at=link.locked_at))

    def mark_link_used(self, link_id: str, now: dt.datetime) -> None:
        self._x(update(legal_rep_links).where(legal_rep_links.c.id == link_id).values(used_at=now))

    # -- the employer's signature code --------------------------------------------------------------------
    def signature_code(self, user_id: str, *, for_update: bool = True) -> SignatureCode | None:
        q = select(signature_codes).where(signature_codes.c.user_id == user_id)
        return _code(self._x(q.with_for_update() if for_update else q).first())

    def put_signature_code(self, record: SignatureCode) -> None:
        values = dict(salt=record.salt, code_hash=record.code_hash, issued_at=record.issued_at,
                      expires_at=record.expires_at, attempts=record.attempts)
        self._x(pg_insert(signature_codes).values(user_id=record.user_id, **values)
                .on_conflict_do_update(index_elements=["user_id"], set_=values))

    def set_code_attempts(self, user_id: str, attempts: int) -> None:
        self._x(update(signature_codes).where(signature_codes.c.user_id == user_id).values(attempts=attempts))

    def delete_signature_code(self, user_id: str, issued_at: dt.datetime) -> None:
        self._x(signature_codes.delete().where(signature_codes.c.user_id == user_id,
                                               signature_codes.c.issued_at == issued_at))

    # -- the school's signature image ---------------------------------------------------------------------
    def put_school_signature(self, school_uai: str, *, image: bytes, mime: str, sha256: str, uploaded_by: str,
                             uploaded_at: dt.datetime) -> None:
        values = dict(image=image, mime=mime, sha256=sha256, uploaded_by=uploaded_by, uploaded_at=uploaded_at)
        self._x(pg_insert(school_signatures).values(school_uai=school_uai, **values)
                .on_conflict_do_update(index_elements=["school_uai"], set_=values))

    def school_signature(self, school_uai: str) -> dict | None:
        """{image, mime, sha256, uploaded_at} of the school's registered image, or None."""
        row = self._x(select(school_signatures).where(school_signatures.c.school_uai == school_uai)).first()
        return None if row is None else {"image": bytes(row.image), "mime": row.mime, "sha256": row.sha256,
                                         "uploaded_at": row.uploaded_at}

    # -- stored documents -----------------------------------------------------------------------------
    def stored_document(self, convention_id: str) -> tuple[str, bytes] | None:
        row = self._x(select(documents.c.cache_key, documents.c.pdf)
                      .where(documents.c.convention_id == convention_id)).first()
        return (row.cache_key, bytes(row.pdf)) if row else None

    def put_document(self, convention_id: str, *, cache_key: str, pdf: bytes, sha256: str,
                     created_at: dt.datetime) -> None:
        values = dict(cache_key=cache_key, pdf=pdf, sha256=sha256, created_at=created_at)
        self._x(pg_insert(documents).values(convention_id=convention_id, **values)
                .on_conflict_do_update(index_elements=["convention_id"], set_=values))

    # -- personal data (an anonymised person) --------------------------------------------------------------
    def ids_of_person(self, user_id: str) -> list[str]:
        """The conventions ``user_id`` is the pupil or the employer of, or signed (the head), locked in id order."""
        signed = select(signatures.c.convention_id).where(signatures.c.signer_user_id == user_id)
        c = conventions.c
        return [r.id for r in self._x(select(c.id).where(
            (c.pupil_user_id == user_id) | (c.employer_user_id == user_id) | c.id.in_(signed))
            .order_by(c.id).with_for_update()).all()]

    def erase_signatures(self, convention_id: str, user_id: str, roles: tuple[str, ...], name: str) -> None:
        """Every signature of the convention given by ``user_id`` or in ``roles`` (discarded ones too) loses its
        signer's name and traces (IP address, user agent)."""
        self._x(update(signatures).where(signatures.c.convention_id == convention_id,
                                         (signatures.c.signer_user_id == user_id) | signatures.c.role.in_(roles))
                .values(signer_name=name, ip=None, user_agent=None))

    def drop_document(self, convention_id: str) -> None:
        self._x(documents.delete().where(documents.c.convention_id == convention_id))

    def drop_signature_codes(self, user_id: str) -> None:
        self._x(signature_codes.delete().where(signature_codes.c.user_id == user_id))

    # -- end-of-year rollover ------------------------------------------------------------------------------
    def start_run(self, school_year: str, now: dt.datetime) -> None:
        self._x(pg_insert(rollover_runs).values(school_year=school_year, started_at=now, progress={})
                .on_conflict_do_nothing(index_elements=["school_year"]))

    def get_run(self, school_year: str, *, for_update: bool = False) -> dict | None:
        q = select(rollover_runs).where(rollover_runs.c.school_year == school_year)
        row = self._x(q.with_for_update() if for_update else q).first()
        return dict(row._mapping) if row else None

    def save_run(self, school_year: str, **values) -> None:
        self._x(update(rollover_runs).where(rollover_runs.c.school_year == school_year).values(**values))

    def signed_batch(self, after_id: str | None, limit: int) -> list[Convention]:
        """The next agreements signed by all (keyset on the id, rows another runner holds skipped), locked."""
        q = select(conventions.c.id).where(conventions.c.state == "signed_by_all")
        if after_id:
            q = q.where(conventions.c.id > after_id)
        ids = [r.id for r in self._x(q.order_by(conventions.c.id).limit(limit).with_for_update(skip_locked=True))]
        found = self.get_many(ids) if ids else {}
        return [found[i] for i in ids]

    def erase_all_signatures(self, convention_id: str, name: str) -> None:
        self._x(update(signatures).where(signatures.c.convention_id == convention_id)
                .values(signer_name=name, ip=None, user_agent=None))


class UnitOfWork(ServiceUnitOfWork):
    """What use cases are given (as ``uow``): ``begin()`` one transaction (commit on exit, rollback on exception)
    yielding the ``Repository`` (which also emits events through the outbox), ``read()`` the read side
    (``conventions.queries.Queries``) on a read-only session."""

    repository = staticmethod(lambda unit: Repository(unit))

    @staticmethod
    def queries(session):
        from .queries import Queries
        return Queries(session)
