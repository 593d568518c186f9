"""Forms of the back-office (admins: accounts, schools, the journal) and of the school staff's classes."""
from __future__ import annotations

from django import forms

from .base import ApiForm

ROLES = [("", "Tous les profils"), ("employer", "Employeur"), ("operator", "Opérateur"),
         ("school_staff", "Personnel d'établissement"), ("pupil", "Élève"), ("statistician", "Statisticien"),
         ("admin", "Administrateur")]
ROLE_LABELS = dict(ROLES[1:])
STATUS_LABELS = {"active": "Actif", "locked": "Verrouillé", "pending_activation": "En attente d'activation",
                 "pending_validation": "En attente de validation", "invited": "Invité", "disabled": "Désactivé"}
ACTIONS = [("lock", "Verrouiller le compte (il ne peut plus se connecter, ses sessions sont fermées)"),
           ("unlock", "Déverrouiller le compte"),
           ("resend_activation", "Renvoyer le lien d'activation"),
           ("end_sessions", "Fermer toutes ses sessions")]
AUDIT_ACTIONS = [("", "Toutes les actions"), ("user.lock", "Verrouillage du compte"),
                 ("user.unlock", "Déverrouillage du compte"),
                 ("user.resend_activation", "Nouveau lien d'activation envoyé"),
                 ("user.end_sessions", "Fin de toutes les sessions"),
                 ("school.designate_head", "Changement de chef d'établissement désigné"),
                 ("school.create", "Création d'un établissement"), ("school.update", "Correction d'un établissement"),
                 ("statistician.validate", "Validation d'un compte statisticien"),
                 ("staff.confirm", "Confirmation d'un personnel par un administrateur"),
                 ("signing_key.rotate", "Rotation de la clé de signature des jetons")]
GRADES = [("", "Déduit du nom de la classe"), ("quatrieme", "4e"), ("troisieme", "3e"), ("seconde", "2nde")]
REQUIRED = {"required": "Ce champ est obligatoire."}


def _reason():
    return forms.CharField(label="Motif", max_length=1000, min_length=5, widget=forms.Textarea(attrs={"rows": 3}),
                           help_text="Inscrit au journal d'administration avec votre nom et la date (5 à 1 000 "
                                     "caractères).",
                           error_messages={**REQUIRED, "min_length": "Le motif contient au moins 5 caractères."})


class UserSearchForm(ApiForm):
    q = forms.CharField(label="Rechercher un compte", max_length=200, required=False,
                        help_text="Adresse e-mail, numéro de téléphone, nom, ou établissement (nom ou UAI).")
    role = forms.ChoiceField(label="Profil", choices=ROLES, required=False)


class UserActionForm(ApiForm):
    action = forms.ChoiceField(label="Action", choices=ACTIONS, widget=forms.RadioSelect, error_messages=REQUIRED)
    reason = _reason()
    confirm = forms.BooleanField(label="Je confirme cette action sur ce compte.",
                                 error_messages={"required": "Cochez la case pour confirmer l'action."})

    def __init__(self, *args, status: str | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        allowed = {"lock", "end_sessions"} if status != "locked" else {"unlock", "end_sessions"}
        if status == "pending_activation":
            allowed.add("resend_activation")
        self.fields["action"].choices = [c for c in ACTIONS if c[0] in allowed]


class AuditFilterForm(ApiForm):
    action = forms.ChoiceField(label="Action", choices=AUDIT_ACTIONS, required=False)
    target_id = forms.CharField(label="Cible (identifiant du compte ou UAI)", max_length=64, required=False)
    actor_id = forms.CharField(label="Administrateur (identifiant)", max_length=64, required=False)


class SchoolSearchForm(ApiForm):
    q = forms.CharField(label="Rechercher un établissement", max_length=100, required=False,
                        help_text="Nom, commune, code postal ou UAI.")


def _opt(label, max_length, **kw):
    return forms.CharField(label=label, max_length=max_length, required=False, **kw)


class SchoolForm(ApiForm):
    """Create (with the UAI) or correct a school; ``reason`` goes to the journal."""
    uai = forms.CharField(label="UAI", max_length=8, help_text="7 chiffres et la lettre de contrôle, par exemple "
                                                               "0131884C.", error_messages=REQUIRED)
    name = forms.CharField(label="Nom", max_length=200, error_messages=REQUIRED)
    kind = forms.ChoiceField(label="Type", choices=[("college", "Collège"), ("lycee", "Lycée")])
    sector = forms.ChoiceField(label="Secteur", choices=[("public", "Public"), ("private", "Privé")])
    status = forms.ChoiceField(label="État", choices=[("OUVERT", "Ouvert"), ("A OUVRIR", "À ouvrir"),
                                                      ("A FERMER", "À fermer")])
    commune_insee = forms.CharField(label="Code INSEE de la commune", max_length=5, error_messages=REQUIRED,
                                    help_text="5 caractères, par exemple 13203 (Marseille 3e) : la commune, le "
                                              "département et l'académie en sont déduits.")
    postal_code = _opt("Code postal", 5)
    street_address = _opt("Adresse", 200)
    address_complement = _opt("Complément d'adresse", 200)
    address_postal_code = _opt("Code postal de l'adresse", 5)
    address_city = _opt("Ville de l'adresse", 100)
    education_prioritaire = forms.ChoiceField(label="Éducation prioritaire", required=False,
                                              choices=[("", "Aucune"), ("REP", "REP"), ("REP+", "REP+")])
    qpv = forms.ChoiceField(label="Quartier prioritaire de la politique de la ville (QPV)", required=False,
                            choices=[("", "Inconnu"), ("true", "Oui"), ("false", "Non")])
    reason = _reason()

    TEXTS = ("name", "commune_insee", "postal_code", "street_address", "address_complement", "address_postal_code",
             "address_city")

    def __init__(self, *args, creating: bool = True, **kwargs):
        super().__init__(*args, **kwargs)
        if not creating:
            del self.fields["uai"]

    @classmethod
    def initial_from(cls, school: dict) -> dict:
        out = {k: school.get(k) or "" for k in cls.TEXTS + ("kind", "sector", "status", "education_prioritaire")}
        out["qpv"] = {True: "true", False: "false"}.get(school.get("qpv"), "")
        return out

    def body(self) -> dict:
        d = self.cleaned_data
        out = {k: (d.get(k) or "").strip() or None for k in self.TEXTS}
        out.update(kind=d["kind"], sector=d["sector"], status=d["status"],
                   education_prioritaire=d.get("education_prioritaire") or None,
                   qpv={"true": True, "false": False}.get(d.get("qpv")), reason=d["reason"])
        if "uai" in self.fields:
            out["uai"] = d["uai"].strip().upper()
        return out


class HeadForm(ApiForm):
    user_id = forms.UUIDField(label="Identifiant du nouveau chef d'établissement désigné",
                              help_text="Un chef d'établissement actif et confirmé de l'établissement.",
                              error_messages={**REQUIRED, "invalid": "Saisissez l'identifiant complet du compte."})
    head_reason = _reason()
    api_fields = {"reason": "head_reason"}


class ClassForm(ApiForm):
    name = forms.CharField(label="Nom de la classe", max_length=40, error_messages=REQUIRED)
    grade = forms.ChoiceField(label="Niveau", choices=GRADES, required=False)


class RenameClassForm(ApiForm):
    name = forms.CharField(widget=forms.HiddenInput, max_length=40)
    new_name = forms.CharField(label="Nouveau nom", max_length=40, error_messages=REQUIRED)


class MovePupilsForm(ApiForm):
    pupil_ids = forms.MultipleChoiceField(label="Élèves", widget=forms.CheckboxSelectMultiple,
                                          error_messages={"required": "Cochez au moins un élève."})
    class_name = forms.ChoiceField(label="Vers la classe", error_messages=REQUIRED)

    def __init__(self, *args, pupils=(), classes=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["pupil_ids"].choices = [(p["id"], f"{p['last_name']} {p['first_name']}") for p in pupils]
        self.fields["class_name"].choices = [("", "Choisissez la classe")] + [(c, c) for c in classes]
