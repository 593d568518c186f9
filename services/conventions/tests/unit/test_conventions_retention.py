"""Personal data on agreements (conventions.domain.retention, docs/privacy.md): deletion holds, erasure of an
anonymised party from agreements not signed by all, the retention of signed ones."""
import datetime as dt

from conventions.domain import retention as R
from conventions.domain import states as S
from conventions.domain.convention import Convention, Signature
from testkit.conventions import SUITE_EMPLOYER_FIELDS, SUITE_SCHOOL_FIELDS

PUPIL, EMPLOYER, HEAD = "p-1", "e-1", "h-1"
WEEKS = ["2027-W10", "2027-W11"]          # Friday of W11: 19 March 2027


def agreement(state=S.STARTED_BY_SCHOOL, frozen=False) -> Convention:
    conv = Convention(id="c-1", application_id="a-1", grade="troisieme", school_uai="0131884C",
                      pupil_user_id=PUPIL, employer_user_id=EMPLOYER, weeks=list(WEEKS), state=state,
                      prefill={"pupil": {"first_name": "Inès", "last_name": "Zerrouki", "birth_date": "2012-04-02",
                                         "class_name": "3eB", "grade": "troisieme"},
                               "school": {"name": "Collège", "head_name": "Jean Valjean", "head_user_id": HEAD},
                               "organisation": {"name": "Boulangerie"}},
                      employer=dict(SUITE_EMPLOYER_FIELDS), school=dict(SUITE_SCHOOL_FIELDS,
                                                                        legal_representatives=[{"name": "M. Z"}]))
    if frozen:
        conv.frozen = conv.content()
    conv.signatures = [Signature(role="pupil", signer_key=f"user:{PUPIL}", signer_name="Inès Zerrouki",
                                 method="session", signed_at=dt.datetime(2027, 1, 5, tzinfo=dt.timezone.utc),
                                 document_hash="x", signer_user_id=PUPIL, ip="10.0.0.1")]
    return conv


def test_an_agreement_in_progress_holds_the_deletion_until_the_day_after_the_internship():
    today = dt.date(2027, 1, 10)
    assert R.last_day(WEEKS) == dt.date(2027, 3, 19)
    assert R.deletion_held_until([{"state": S.VALIDATED, "weeks": WEEKS}], today) == (True, dt.date(2027, 3, 20))
    # signed by all but the internship not over: still held; over: free
    assert R.deletion_held_until([{"state": S.SIGNED_BY_ALL, "weeks": WEEKS}], today)[0]
    assert R.deletion_held_until([{"state": S.SIGNED_BY_ALL, "weeks": WEEKS}], dt.date(2027, 3, 20)) == (False, None)
    # a cancelled one never holds; an unsigned one whose weeks are past no longer does
    assert R.deletion_held_until([{"state": S.CANCELLED, "weeks": WEEKS}], today) == (False, None)
    assert R.deletion_held_until([{"state": S.DRAFT, "weeks": WEEKS}], dt.date(2027, 4, 1)) == (False, None)
    # without weeks the date cannot be told
    assert R.deletion_held_until([{"state": S.DRAFT, "weeks": []}], today) == (True, None)
    # several: the latest end
    later = ["2027-W20"]
    assert R.deletion_held_until([{"state": S.DRAFT, "weeks": WEEKS}, {"state": S.VALIDATED, "weeks": later}],
                                 today) == (True, dt.date(2027, 5, 22))


def test_an_anonymised_pupil_is_erased_from_an_agreement_not_signed_by_all():
    conv = agreement(state=S.VALIDATED, frozen=True)
    assert R.erase_party(conv, PUPIL)
    pupil = conv.prefill["pupil"]
    assert (pupil["first_name"], pupil["last_name"], pupil["birth_date"]) == ("Anonyme", "Anonyme", None)
    assert pupil["class_name"] == "3eB"                 # not identifying on its own: statistics
    assert not {"pupil_address", "pupil_phone", "legal_representatives"} & set(conv.school)
    assert conv.school["referent_teacher"]               # the school's side stays
    assert conv.employer["tutor"]                        # so does the employer's
    assert conv.frozen["prefill"]["pupil"]["last_name"] == "Anonyme" and "pupil_phone" not in conv.frozen["school"]


def test_an_anonymised_employer_loses_representative_and_tutor_and_a_head_their_printed_name():
    conv = agreement()
    assert R.erase_party(conv, EMPLOYER)
    assert "tutor" not in conv.employer and "representative" not in conv.employer and conv.employer["hours"]
    assert conv.prefill["pupil"]["last_name"] == "Zerrouki"
    assert R.erase_party(conv, HEAD) and conv.prefill["school"]["head_name"] == "Anonyme"
    assert R.signature_roles_of(R.side_of(conv, PUPIL)) == ("pupil", "legal_representative")


def test_a_signed_agreement_is_kept_whole_for_five_years_after_the_internship():
    conv = agreement(state=S.SIGNED_BY_ALL, frozen=True)
    before = conv.content()
    assert not R.erase_party(conv, PUPIL) and conv.content() == before
    signed = dt.datetime(2027, 2, 1, tzinfo=dt.timezone.utc)
    assert R.purge_after(WEEKS, signed) == dt.date(2032, 3, 19)
    assert not R.purge_due(S.SIGNED_BY_ALL, WEEKS, signed, dt.date(2032, 3, 18))
    assert R.purge_due(S.SIGNED_BY_ALL, WEEKS, signed, dt.date(2032, 3, 19))
    assert not R.purge_due(S.DRAFT, WEEKS, signed, dt.date(2040, 1, 1))


def test_a_purged_agreement_keeps_no_person_and_a_second_purge_changes_nothing():
    conv = agreement(state=S.SIGNED_BY_ALL, frozen=True)
    assert R.purge(conv)
    assert conv.prefill["pupil"]["last_name"] == "Anonyme" and conv.prefill["school"]["head_name"] == "Anonyme"
    assert not {"tutor", "representative"} & set(conv.employer) and "referent_teacher" not in conv.school
    assert conv.frozen["school"] == conv.school and conv.employer["hours"]
    assert not R.purge(conv)
