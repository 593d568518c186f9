"""Which teachers hear about a pupil ("the pupil's teacher" messages)."""
from __future__ import annotations

from common.validation import fold


def class_key(name) -> str:
    """A class name as compared: folded, letters and digits only ("3e A" = "3EA")."""
    return "".join(ch for ch in fold(name or "") if ch.isalnum())


def teachers_of_pupil(class_name: str | None, teachers: list[dict]) -> tuple[list[dict], bool]:
    """The teachers of the pupil's school who follow the pupil's class (``classes``, set by
    ``set_my_classes``); when none has declared it, every teacher of the school. Returns (teachers, whether
    the class matched)."""
    key = class_key(class_name)
    mine = [t for t in teachers if key and key in {class_key(c) for c in (t.get("classes") or [])}]
    return (mine or teachers), bool(mine)
