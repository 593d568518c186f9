"""Write side of the identity service: SQLAlchemy Core over ``identity.models``, used by the use cases
inside a unit of work (every function takes the transaction's connection first). Rows come back as plain
dicts; the domain only sees dicts.

One namespace, split by subject: ``users`` (accounts, schools, staff), ``secrets`` (one-time tokens,
refresh families, rate events, login locks), ``pupils`` (imports and activation codes), ``keys`` (signing
keys and their process cache). Use cases reach it as ``ctx.repo`` so that unit tests pass an in-memory one
(``testkit.identity.FakeRepository``), and open their transactions with ``ctx.uow`` (``UnitOfWork`` below;
``testkit.identity.fakes.FakeUnitOfWork`` in unit tests)."""
from common.db import ServiceUnitOfWork

from .federation import (delete_federation_rows, delete_memberships, federated_link_of, federated_user_id,
                         insert_federated, known_school_uais, memberships_of, pupil_by_ine, pupil_by_key,
                         serialise_identity, upsert_membership)
from .backoffice import (admin_action_by_key, count_pupils_in_class, insert_admin_action, insert_class, insert_school, last_admin_action,
                         live_classes, move_pupils, pupil_class_names, pupils_by_ids, rename_pupils_class,
                         school_for_update, serialise_classes, staff_following, update_class, update_school)
from .changes import change_by_hash, count_attempt, insert_change, mark_change_used, pending_change, void_changes
from . import spaces
from .pupils import (insert_import, insert_pupil_code, known_pupils, mark_code_used, pending_pupils,
                     pupil_code_by_hash, purge_import_reports, ine_taken, serialise_imports, void_pupil_codes)
from .register import guardians_of
from .rollover import get_run, rollover_batch, save_run, start_run
from .rows import row_dict
from .secrets import (add_event, delete_user_secrets, expire_tokens, family_ids_of, find_refresh, find_token,
                      insert_family, insert_refresh_token, insert_token, lock_row, mark_refresh_used,
                      mark_token_used, prune_events, revoke_families, revoke_family, save_lock, touch_family,
                      window_events)
from .users import (designated_head, email_taken, find_by_login, get_school, get_user, has_confirmed_head,
                    identifier_owner, insert_audit, insert_user, serialise_school_staff, update_user,
                    upsert_head, user_id_by_id_or_email)


# Namespaces reached as ``ctx.repo.<name>.<function>``: employers' spaces (repository/spaces.py).
NAMESPACES = (spaces,)


class UnitOfWork(ServiceUnitOfWork):
    """What use cases open transactions with (``ctx.uow``), over the service's ``db`` (``common.db``):
    ``begin()`` one transaction (commit on exit, rollback on an exception) yielding the unit whose ``session``
    the functions of this package take and whose ``emit`` writes to the outbox; ``read()`` a read-only session
    for ``identity.queries``."""

    # the defaults of common.db.ServiceUnitOfWork: the transaction itself, the session itself


__all__ = [
    "delete_federation_rows", "delete_memberships", "federated_link_of", "federated_user_id", "insert_federated",
    "known_school_uais", "memberships_of", "pupil_by_ine", "pupil_by_key", "serialise_identity",
    "upsert_membership",
    "admin_action_by_key", "count_pupils_in_class", "insert_admin_action", "insert_class", "insert_school", "last_admin_action",
    "live_classes", "move_pupils", "pupil_class_names", "pupils_by_ids", "rename_pupils_class",
    "school_for_update", "serialise_classes", "staff_following", "update_class", "update_school",
    "change_by_hash", "count_attempt", "insert_change", "mark_change_used", "pending_change", "void_changes",
    "add_event", "delete_user_secrets", "designated_head", "email_taken", "expire_tokens", "family_ids_of",
    "find_by_login", "find_refresh", "find_token", "get_school", "get_user", "guardians_of", "has_confirmed_head",
    "identifier_owner", "ine_taken", "insert_audit", "insert_family", "insert_import", "insert_pupil_code",
    "insert_refresh_token", "insert_token", "insert_user", "known_pupils", "lock_row", "mark_code_used",
    "mark_refresh_used", "mark_token_used", "pending_pupils", "prune_events", "pupil_code_by_hash",
    "purge_import_reports", "revoke_families", "revoke_family", "row_dict", "save_lock",
    "serialise_imports", "serialise_school_staff", "touch_family", "update_user", "upsert_head",
    "user_id_by_id_or_email", "void_pupil_codes", "window_events",
    "get_run", "rollover_batch", "save_run", "start_run",
]
