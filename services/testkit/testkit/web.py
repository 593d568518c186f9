"""Test helpers of the web front end's view tests: the token answer of a login, and a stand-in for the
gateway's answers that records the calls made (the journeys against the real gateway run in tests/browser)."""
from __future__ import annotations

import uuid


def tokens(role, **user) -> dict:
    """A login's answer for a user of ``role`` (fields of ``user`` override the defaults)."""
    return {"access_token": "a", "refresh_token": "r", "expires_in": 900, "token_type": "Bearer",
            "user": {"id": str(uuid.uuid4()), "role": role, "status": "active", "first_name": "Ada",
                     "last_name": "Martin", **user}}


class FakeGateway:
    """Answers ``Gateway.raw(name, **kwargs)`` from ``answers`` (a body, a callable of the kwargs, or an
    exception to raise) and records the calls."""

    def __init__(self, monkeypatch, answers):
        from stages_web.gateway import Gateway, Response

        self.calls = []
        self.answers = answers

        def raw(gw, name, **kwargs):
            self.calls.append((name, kwargs))
            answer = self.answers[name]
            out = answer(kwargs) if callable(answer) else answer
            if isinstance(out, Exception):
                raise out
            return Response(200, out, {}, b"")
        monkeypatch.setattr(Gateway, "raw", raw)

    def named(self, name):
        return [kw for n, kw in self.calls if n == name]
