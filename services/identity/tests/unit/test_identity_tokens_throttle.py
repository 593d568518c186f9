import datetime as dt


from identity.domain import activation_codes, anonymisation, refresh, throttle, tokens

UTC = dt.timezone.utc
NOW = dt.datetime(2026, 11, 23, 9, 0, tzinfo=UTC)


def record(t, **kw):
    r = {"token_hash": t.token_hash, "kind": t.kind, "expires_at": t.expires_at, "used_at": None}
    r.update(kw)
    return r


def test_activation_token_lives_7_days_and_reset_1_hour():
    a = tokens.new_token(tokens.ACTIVATION, NOW)
    r = tokens.new_token(tokens.PASSWORD_RESET, NOW)
    assert a.expires_at - NOW == dt.timedelta(days=7)
    assert r.expires_at - NOW == dt.timedelta(hours=1)
    assert tokens.token_status(record(a), a.raw, tokens.ACTIVATION, NOW + dt.timedelta(days=6, hours=23)) == "valid"
    assert tokens.token_status(record(a), a.raw, tokens.ACTIVATION, NOW + dt.timedelta(days=7)) == "expired"
    assert tokens.token_status(record(r), r.raw, tokens.PASSWORD_RESET, NOW + dt.timedelta(minutes=59)) == "valid"
    assert tokens.token_status(record(r), r.raw, tokens.PASSWORD_RESET, NOW + dt.timedelta(minutes=61)) == "expired"


def test_only_the_hash_is_stored_and_tokens_are_single_use():
    t = tokens.new_token(tokens.ACTIVATION, NOW)
    assert t.raw not in t.token_hash and len(t.token_hash) == 64
    assert t.token_hash == tokens.hash_token(t.raw)
    assert tokens.tokens_match(t.raw, t.token_hash)
    assert not tokens.tokens_match(t.raw + "x", t.token_hash)
    assert tokens.token_status(record(t, used_at=NOW), t.raw, tokens.ACTIVATION, NOW) == "used"
    # a reset token is not an activation token
    assert tokens.token_status(record(t), t.raw, tokens.PASSWORD_RESET, NOW) == "unknown"
    assert tokens.token_status(None, t.raw, tokens.ACTIVATION, NOW) == "unknown"
    assert len({tokens.new_token(tokens.ACTIVATION, NOW).raw for _ in range(50)}) == 50


def test_lockout_after_8_failures_for_15_minutes():
    s = throttle.LockState()
    for i in range(7):
        s = throttle.after_failure(s, NOW + dt.timedelta(seconds=i))
        assert not throttle.is_locked(s, NOW + dt.timedelta(seconds=i))
    assert s.failed_count == 7
    t8 = NOW + dt.timedelta(seconds=7)
    s = throttle.after_failure(s, t8)
    assert throttle.is_locked(s, t8)
    assert s.locked_until == t8 + dt.timedelta(minutes=15)
    assert throttle.lock_retry_after(s, t8) == 900
    assert throttle.is_locked(s, t8 + dt.timedelta(minutes=14, seconds=59))
    end = t8 + dt.timedelta(minutes=15)
    assert not throttle.is_locked(s, end)
    assert throttle.lock_retry_after(s, end) == 0
    # after the lock a fresh count starts: one failure does not re-lock
    s2 = throttle.after_failure(s, end)
    assert not throttle.is_locked(s2, end) and s2.failed_count == 1


def test_success_resets_the_count():
    s = throttle.LockState(failed_count=7)
    assert throttle.after_success(s) == throttle.LockState(0, None)


def test_sliding_window():
    lim = throttle.Limit(3, dt.timedelta(minutes=1))
    ts = []
    for i in range(3):
        d = throttle.sliding_window(ts, NOW + dt.timedelta(seconds=i * 10), lim)
        assert d.allowed
        ts = list(d.kept)
    d = throttle.sliding_window(ts, NOW + dt.timedelta(seconds=30), lim)
    assert not d.allowed
    assert d.retry_after == 30   # first event (t=0) leaves the window at t=60
    d = throttle.sliding_window(ts, NOW + dt.timedelta(seconds=60), lim)
    assert d.allowed
    assert NOW not in d.kept     # pruned


def test_anonymisation_due_dates():
    last = dt.datetime(2026, 3, 1, tzinfo=UTC)
    assert anonymisation.anonymisation_due_at("pupil", last) == dt.datetime(2027, 3, 1, tzinfo=UTC)
    assert anonymisation.anonymisation_due_at("employer", last) == dt.datetime(2028, 3, 1, tzinfo=UTC)
    assert anonymisation.anonymisation_due_at("school_staff", last) == dt.datetime(2028, 3, 1, tzinfo=UTC)
    leap = dt.datetime(2028, 2, 29, tzinfo=UTC)
    assert anonymisation.anonymisation_due_at("pupil", leap) == dt.datetime(2029, 2, 28, tzinfo=UTC)
    assert not anonymisation.is_due("pupil", last, dt.datetime(2027, 2, 28, tzinfo=UTC))
    assert anonymisation.is_due("pupil", last, dt.datetime(2027, 3, 1, tzinfo=UTC))
    assert not anonymisation.is_due("employer", last, dt.datetime(2027, 3, 1, tzinfo=UTC))
    cut = anonymisation.inactivity_cutoffs(NOW)   # the warning window: 14 days before the thresholds
    assert cut["pupil"] == dt.datetime(2025, 12, 7, 9, tzinfo=UTC)
    assert cut["other"] == dt.datetime(2024, 12, 7, 9, tzinfo=UTC)
    fields = anonymisation.anonymised_fields("abc")
    assert fields["password_hash"] is None and "abc" in fields["email"] and fields["phone"] is None


def test_activation_codes_are_short_unambiguous_and_hashed():
    codes = {activation_codes.new_code() for _ in range(200)}
    assert len(codes) == 200
    for c in codes:
        assert len(c) == 9 and c[4] == "-"
        assert not set(c.replace("-", "")) & set("0O1IL")
    c = next(iter(codes))
    h = activation_codes.hash_code(c)
    assert c.replace("-", "") not in h
    assert activation_codes.code_matches(c.lower().replace("-", " "), h)
    assert not activation_codes.code_matches("AAAA-AAAA", h)
    assert activation_codes.hash_code("0000-0000") is None
    assert activation_codes.normalize_code("abcd efgh") == "ABCDEFGH"


def test_activation_code_single_use_and_expiry():
    rec = {"used_at": None, "expires_at": NOW + activation_codes.TTL}
    assert activation_codes.code_status(rec, NOW) == "valid"
    assert activation_codes.code_status({**rec, "used_at": NOW}, NOW) == "used"
    assert activation_codes.code_status(rec, NOW + activation_codes.TTL) == "expired"
    assert activation_codes.code_status(None, NOW) == "unknown"


def test_refresh_rotation_and_reuse_detection():
    first = refresh.new_refresh(NOW)
    fam = {"revoked_at": None, "started_at": NOW}
    tok = {"used_at": None, "revoked_at": None, "expires_at": first.expires_at}
    assert refresh.refresh_decision(tok, fam, NOW + dt.timedelta(minutes=20)) == refresh.ROTATE
    nxt = refresh.new_refresh(NOW, family_id=first.family_id, family_started_at=NOW)
    assert nxt.family_id == first.family_id and nxt.token_hash != first.token_hash
    used = {**tok, "used_at": NOW + dt.timedelta(minutes=20)}
    assert refresh.refresh_decision(used, fam, NOW + dt.timedelta(minutes=21)) == refresh.REUSE
    assert refresh.refresh_decision(tok, {**fam, "revoked_at": NOW}, NOW) == refresh.REVOKED
    assert refresh.refresh_decision(tok, fam, first.expires_at) == refresh.EXPIRED
    assert refresh.refresh_decision(None, fam, NOW) == refresh.UNKNOWN


def test_a_second_use_within_the_grace_window_gets_the_same_pair():
    first = refresh.new_refresh(NOW)
    fam = {"revoked_at": None, "started_at": NOW}
    answer = {"access_token": "a", "refresh_token": "r2", "user": {"id": "u"}}
    sealed = refresh.seal_successor(first.raw, answer)
    assert "r2" not in sealed and first.token_hash not in sealed
    used = {"used_at": NOW, "revoked_at": None, "expires_at": first.expires_at, "successor": sealed}
    assert refresh.refresh_decision(used, fam, NOW + dt.timedelta(seconds=9)) == refresh.GRACE
    assert refresh.refresh_decision(used, fam, NOW + refresh.REUSE_GRACE) == refresh.REUSE
    # a tab that read the clock before the first one's rotation, then waited for the row lock
    assert refresh.refresh_decision(used, fam, NOW - dt.timedelta(milliseconds=40)) == refresh.GRACE
    assert refresh.refresh_decision({**used, "successor": None}, fam, NOW) == refresh.REUSE
    assert refresh.refresh_decision(used, {**fam, "revoked_at": NOW}, NOW) == refresh.REVOKED
    assert refresh.open_successor(first.raw, sealed) == answer
    assert refresh.open_successor(refresh.new_refresh(NOW).raw, sealed) is None   # only the token's holder
    assert refresh.open_successor(first.raw, "garbage") is None


def test_refresh_family_has_an_absolute_lifetime():
    started = NOW - refresh.FAMILY_MAX_AGE + dt.timedelta(days=1)
    r = refresh.new_refresh(NOW, family_id="f", family_started_at=started)
    assert r.expires_at == started + refresh.FAMILY_MAX_AGE
    tok = {"used_at": None, "revoked_at": None, "expires_at": NOW + dt.timedelta(days=30)}
    assert refresh.refresh_decision(tok, {"revoked_at": None, "started_at": started},
                                    NOW + dt.timedelta(days=2)) == refresh.EXPIRED


def test_codes_sheet_html_groups_by_class_and_escapes():
    from identity.domain import sheet
    html = sheet.codes_sheet_html(
        {"uai": "0130001A", "name": "Collège <Manet>"},
        [{"last_name": "B", "first_name": "b", "class_name": "3B", "grade": "troisieme", "code": "AAAA-BBBB"},
         {"last_name": "A", "first_name": "a", "class_name": "3A", "grade": "troisieme", "code": "CCCC-DDDD"}],
        "https://stages.example/activer", NOW, NOW + activation_codes.TTL)
    assert "Collège &lt;Manet&gt;" in html and "<Manet>" not in html
    assert html.index("Classe 3A") < html.index("Classe 3B")
    assert "AAAA-BBBB" in html and "CCCC-DDDD" in html and "(3e)" in html
    assert "21/02/2027" in html
    empty = sheet.codes_sheet_html({"uai": "X", "name": "Y"}, [], "u", NOW)
    assert "Aucun nouveau code" in empty
