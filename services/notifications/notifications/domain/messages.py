"""The messages the platform sends, and how each one goes out.

Pure data: no I/O. Every message of issue 7 has a ``MessageSpec``: its
template, the role of its audience, its channels, whether it is essential
(always sent) or optional (the user's preferences apply), whether it is a
security message (always sent, even to an account that is not yet active),
its preference category and the page its link points to (a path relative to
the web application's base URL, formatted with the message context).
"""
from __future__ import annotations

from dataclasses import dataclass, field

EMAIL = "email"
SMS = "sms"
IN_APP = "in_app"
CHANNELS = (EMAIL, SMS, IN_APP)

# Preference categories (what a user may switch off for optional messages).
CATEGORY_ACCOUNT = "account"
CATEGORY_APPLICATIONS = "applications"
CATEGORY_CONVENTIONS = "conventions"
CATEGORY_OFFERS = "offers"
CATEGORY_REMINDERS = "reminders"
CATEGORY_SCHOOL = "school"
CATEGORIES = (CATEGORY_ACCOUNT, CATEGORY_APPLICATIONS, CATEGORY_CONVENTIONS, CATEGORY_OFFERS,
              CATEGORY_REMINDERS, CATEGORY_SCHOOL)

# Audiences (who reads the message). Platform roles, plus the people who are
# reached outside the platform (transfer recipient, legal representative).
AUDIENCES = ("user", "employer", "pupil", "school_staff", "teacher", "school_head",
             "transfer_recipient", "legal_representative", "admin")


@dataclass(frozen=True)
class MessageSpec:
    template: str
    audience: str
    channels: tuple[str, ...]
    category: str
    essential: bool = False
    security: bool = False
    page: str = "/"
    # Send by SMS when the recipient has a mobile phone, by email otherwise.
    sms_or_email: bool = False
    description: str = ""
    context_keys: tuple[str, ...] = field(default_factory=tuple)
    # Sent to a person being anonymised: their address and name are forgotten once it is sent (a failed one keeps
    # them, for an admin's retry) (``policy.FORGOTTEN_RECIPIENT``, docs/privacy.md).
    forget_recipient: bool = False

    def __post_init__(self):
        assert self.audience in AUDIENCES, self.audience
        assert all(c in CHANNELS for c in self.channels), self.channels
        assert self.category in CATEGORIES, self.category
        if self.security:
            assert self.essential, f"{self.template}: a security message is essential"


def _m(*args, **kwargs) -> MessageSpec:
    return MessageSpec(*args, **kwargs)


MESSAGES: dict[str, MessageSpec] = {m.template: m for m in [
    # --- accounts (identity) ---
    _m("account_activation", "user", (EMAIL,), CATEGORY_ACCOUNT, essential=True, security=True,
       page="/activation?token={token}", description="Activate your account (single-use link, 7 days)."),
    _m("password_reset", "user", (EMAIL,), CATEGORY_ACCOUNT, essential=True, security=True,
       page="/mot-de-passe/nouveau?token={token}", description="Reset your password (single-use link, 1 hour)."),
    _m("password_reset_no_account", "user", (SMS, EMAIL), CATEGORY_ACCOUNT, essential=True, security=True,
       sms_or_email=True, page="/mot-de-passe/oublie",
       description="A password reset was asked for this address or number, which no active account uses."),
    _m("identifier_in_use", "user", (SMS, EMAIL), CATEGORY_ACCOUNT, essential=True, security=True,
       sms_or_email=True, page="/connexion",
       description="Someone gave your e-mail address or mobile number to register or activate another account; "
                   "it was not recorded there."),
    _m("colleague_invitation", "school_staff", (EMAIL,), CATEGORY_ACCOUNT, essential=True, security=True,
       page="/invitation?token={token}", description="A head of school invites a colleague to join."),
    _m("email_change_confirm", "user", (EMAIL,), CATEGORY_ACCOUNT, essential=True, security=True,
       page="/compte/adresse/confirmer?token={token}",
       description="Confirm a new e-mail address for your account (sent to the new address; single-use link, 24 h)."),
    _m("email_changed_notice", "user", (EMAIL,), CATEGORY_ACCOUNT, essential=True, security=True,
       page="/connexion", description="Sent to the old address: the account's e-mail address was changed."),
    _m("phone_change_code", "user", (SMS,), CATEGORY_ACCOUNT, essential=True, security=True,
       page="/compte/telephone", description="The 6-digit code confirming a new mobile number (15 minutes)."),
    _m("phone_changed_notice", "user", (SMS, EMAIL), CATEGORY_ACCOUNT, essential=True, security=True,
       sms_or_email=True, page="/connexion",
       description="Sent to the old number (or the e-mail address): the account's mobile number was changed."),
    _m("space_invitation", "employer", (EMAIL,), CATEGORY_ACCOUNT, essential=True, security=True,
       page="/espaces/invitation?token={token}",
       description="A colleague invites you to join their employer space (single-use link, 7 days)."),
    _m("welcome", "user", (IN_APP,), CATEGORY_ACCOUNT, page="/",
       description="Welcome once the account is active."),
    _m("staff_confirmed", "school_staff", (EMAIL, IN_APP), CATEGORY_SCHOOL, essential=True,
       page="/etablissements/{school_uai}/eleves",
       description="Your school-staff account was confirmed: you may now act for your school."),
    _m("head_designated", "school_staff", (EMAIL, IN_APP), CATEGORY_SCHOOL, essential=True,
       page="/etablissements/{school_uai}/personnels",
       description="You are now the designated head of your school."),
    _m("pupil_activation_codes_ready", "school_staff", (EMAIL, IN_APP), CATEGORY_SCHOOL, essential=True,
       page="/etablissements/{school_uai}/eleves", description="The activation codes of an imported class are ready."),
    _m("anonymisation_notice", "user", (EMAIL,), CATEGORY_ACCOUNT, essential=True, page="/", forget_recipient=True,
       description="Your personal data has been anonymised after a period of inactivity."),
    _m("anonymisation_warning", "user", (EMAIL,), CATEGORY_ACCOUNT, essential=True, page="/connexion",
       description="Your idle account will be anonymised on a given date unless you sign in (14 days before)."),
    _m("account_deleted", "user", (EMAIL,), CATEGORY_ACCOUNT, essential=True, page="/", forget_recipient=True,
       description="Your account was deleted (anonymised) at your request."),
    # --- offers ---
    _m("offer_published", "employer", (IN_APP,), CATEGORY_OFFERS, page="/entreprise/offres/{offer_id}",
       description="Your offer is published."),
    _m("offer_full", "employer", (EMAIL, IN_APP), CATEGORY_OFFERS, page="/entreprise/offres/{offer_id}",
       description="Your offer has no seat left and has left the search."),
    _m("offer_unpublished", "employer", (IN_APP,), CATEGORY_OFFERS, page="/entreprise/offres/{offer_id}",
       description="Your offer is no longer published."),
    _m("offer_moderated", "employer", (EMAIL, IN_APP), CATEGORY_OFFERS, essential=True,
       page="/entreprise/offres/{offer_id}", description="A moderator asked for changes to your offer (unpublished "
                                                         "until you change it) or removed it, with the reason."),
    # --- applications: employer ---
    _m("new_application", "employer", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/entreprise/candidatures/{application_id}", description="A pupil applied to your offer."),
    _m("pupil_confirmed", "employer", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/entreprise/candidatures/{application_id}", description="The pupil confirmed the internship."),
    _m("pupil_cancelled", "employer", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/entreprise/candidatures/{application_id}", description="The pupil cancelled the application."),
    _m("pupil_chose_other", "employer", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/entreprise/candidatures/{application_id}", description="The pupil confirmed another internship."),
    _m("application_restored", "employer", (EMAIL, IN_APP), CATEGORY_APPLICATIONS,
       page="/entreprise/candidatures/{application_id}", description="The pupil restored a cancelled application."),
    _m("nudge", "employer", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/entreprise/candidatures/{application_id}", description="The pupil is waiting for your answer."),
    _m("acceptance_expired_employer", "employer", (IN_APP,), CATEGORY_APPLICATIONS,
       page="/entreprise/candidatures/{application_id}",
       description="The pupil did not confirm an accepted application in time."),
    _m("employer_expiry_reminder", "employer", (EMAIL, IN_APP), CATEGORY_REMINDERS, essential=True,
       page="/entreprise/candidatures/{application_id}",
       description="Reminder: an application expires in 3 days without an answer."),
    # --- applications: outside recipient ---
    _m("transfer_link", "transfer_recipient", (EMAIL,), CATEGORY_APPLICATIONS, essential=True, security=True,
       page="/transferts/{token}", description="An application was transferred to you (single-use link, 30 days)."),
    # --- applications: pupil ---
    _m("application_read", "pupil", (EMAIL, IN_APP), CATEGORY_APPLICATIONS,
       page="/eleve/candidatures/{application_id}", description="The employer read your application."),
    _m("application_accepted", "pupil", (EMAIL, SMS, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/eleve/candidatures/{application_id}", description="Accepted: confirm within 15 days."),
    _m("application_rejected", "pupil", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/eleve/candidatures/{application_id}", description="The employer declined your application."),
    _m("reapply_invited", "pupil", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/offres/{offer_id}", description="The employer who declined your application invites you to apply "
                                              "again to its offer."),
    _m("application_cancelled", "pupil", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/eleve/candidatures/{application_id}", description="The employer cancelled your application."),
    _m("application_offer_removed", "pupil", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/eleve/candidatures/{application_id}", description="The offer was removed from the platform: your "
                                                                 "application is cancelled."),
    _m("application_expired", "pupil", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/eleve/candidatures/{application_id}", description="No answer in time: your application expired."),
    _m("acceptance_expired", "pupil", (EMAIL, IN_APP), CATEGORY_APPLICATIONS, essential=True,
       page="/eleve/candidatures/{application_id}", description="You did not confirm in time."),
    _m("pupil_acceptance_reminder", "pupil", (EMAIL, SMS, IN_APP), CATEGORY_REMINDERS, essential=True,
       page="/eleve/candidatures/{application_id}",
       description="Reminder: confirm your accepted application within 3 days."),
    # --- applications: the pupil's teacher ---
    _m("teacher_application_accepted", "teacher", (EMAIL, IN_APP), CATEGORY_SCHOOL,
       page="/etablissements/{school_uai}/candidatures/{application_id}",
       description="One of your pupils was accepted."),
    _m("teacher_application_confirmed", "teacher", (EMAIL, IN_APP), CATEGORY_SCHOOL,
       page="/etablissements/{school_uai}/candidatures/{application_id}",
       description="One of your pupils confirmed an internship."),
    # --- conventions ---
    _m("convention_to_fill_employer", "employer", (EMAIL, IN_APP), CATEGORY_CONVENTIONS, essential=True,
       page="/conventions/{convention_id}", description="Fill in the agreement (employer part)."),
    _m("convention_to_fill_school", "school_staff", (EMAIL, IN_APP), CATEGORY_CONVENTIONS, essential=True,
       page="/conventions/{convention_id}", description="Fill in the agreement (school part)."),
    _m("convention_ready_to_sign", "user", (EMAIL, IN_APP), CATEGORY_CONVENTIONS, essential=True,
       page="/conventions/{convention_id}", description="The agreement is validated and ready to sign."),
    _m("legal_rep_sign_link", "legal_representative", (EMAIL,), CATEGORY_CONVENTIONS, essential=True,
       security=True, page="/conventions/signature/{token}",
       description="Link for the legal representative to sign (single-use)."),
    _m("signature_code", "user", (SMS, EMAIL), CATEGORY_ACCOUNT, essential=True, security=True,
       sms_or_email=True, page="/conventions", description="The 6-digit signature code (10 minutes)."),
    _m("next_signature_awaited", "user", (EMAIL, IN_APP), CATEGORY_CONVENTIONS, essential=True,
       page="/conventions/{convention_id}", description="A party signed; your signature is awaited."),
    _m("convention_signed_by_all", "user", (EMAIL, IN_APP), CATEGORY_CONVENTIONS, essential=True,
       page="/conventions/{convention_id}", description="Signed by all: the sealed document is available."),
    _m("convention_reopened", "user", (IN_APP,), CATEGORY_CONVENTIONS,
       page="/conventions/{convention_id}", description="The school reopened the agreement; signatures are reset."),
    _m("convention_cancelled", "user", (EMAIL, IN_APP), CATEGORY_CONVENTIONS, essential=True,
       page="/conventions/{convention_id}", description="The agreement was cancelled."),
]}

# Messages that only exist through the direct ``send_message`` RPC, because
# they carry a secret (a token, a code) that must never travel in an event.
DIRECT_ONLY = frozenset({"account_activation", "password_reset", "password_reset_no_account", "identifier_in_use",
                         "colleague_invitation", "signature_code", "legal_rep_sign_link",
                         "transfer_link", "anonymisation_notice", "anonymisation_warning", "account_deleted",
                         "email_change_confirm", "email_changed_notice", "phone_change_code",
                         "phone_changed_notice", "space_invitation"})


def spec(template: str) -> MessageSpec:
    try:
        return MESSAGES[template]
    except KeyError:
        raise KeyError(f"unknown message template {template!r}") from None
