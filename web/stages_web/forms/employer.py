"""Forms of the employer journeys: registration, the three steps of an offer, answering applications,
the transfer link's decision.

Each form knows how to build the gateway's body (``body()``) and, through ``api_fields``, where the
gateway's field errors (``address.postal_code``, ``hours.days.monday.end``...) go back on the page."""
from __future__ import annotations

from django import forms

from .auth import NewPasswordForm
from .base import ApiForm

DAYS = [("monday", "Lundi"), ("tuesday", "Mardi"), ("wednesday", "Mercredi"), ("thursday", "Jeudi"),
        ("friday", "Vendredi"), ("saturday", "Samedi")]
GRADES = [("quatrieme", "4e"), ("troisieme", "3e"), ("seconde", "2nde générale et technologique")]
PASSWORD_RULES = [
    ("length", "12 caractères au moins (128 au plus)"),
    ("lower", "une lettre minuscule"),
    ("upper", "une lettre majuscule"),
    ("digit", "un chiffre"),
    ("special", "un caractère spécial (par exemple ! ? @ # % & * -)"),
]


def _text(label, max_length, required=True, help_text="", rows=None, counter=False, **attrs):
    widget = forms.Textarea(attrs={"rows": rows, **attrs}) if rows else forms.TextInput(attrs=attrs)
    if counter:
        widget.attrs["data-maxlength"] = str(max_length)
    return forms.CharField(label=label, max_length=max_length, required=required, help_text=help_text,
                           widget=widget, error_messages={"required": "Ce champ est obligatoire."})


def _none(value):
    value = (value or "").strip() if isinstance(value, str) else value
    return value or None


# -- registration --------------------------------------------------------------------------------

class RegisterForm(NewPasswordForm):
    first_name = _text("Prénom", 100, autocomplete="given-name")
    last_name = _text("Nom", 100, autocomplete="family-name")
    function = _text("Fonction dans la structure", 100, help_text="Par exemple : responsable des ressources humaines",
                     autocomplete="organization-title")
    email = forms.EmailField(label="Adresse e-mail professionnelle", max_length=254,
                             help_text="Elle vous servira d'identifiant ; le lien d'activation y sera envoyé.",
                             error_messages={"invalid": "Saisissez une adresse e-mail valide.",
                                             "required": "Ce champ est obligatoire."},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    phone = _text("Téléphone mobile", 30, required=False,
                  help_text="Pour vous connecter avec votre numéro et recevoir les codes de signature par SMS. "
                            "Format : 06 12 34 56 78", autocomplete="tel", type="tel")
    # the rules are listed under the field (#password-rules), and checked live by password-rules.js
    password = forms.CharField(label="Mot de passe", max_length=1000, error_messages={
        "required": "Ce champ est obligatoire."}, widget=forms.PasswordInput(attrs={
            "autocomplete": "new-password", "aria-describedby": "password-rules",
            "data-password-rules": "password-rules"}))
    field_order = ["first_name", "last_name", "function", "email", "phone", "password", "password_again"]

    def body(self) -> dict:
        d = self.cleaned_data
        return {"role": "employer", "first_name": d["first_name"].strip(), "last_name": d["last_name"].strip(),
                "function": d["function"].strip(), "email": d["email"].strip(), "phone": _none(d.get("phone")),
                "password": d["password"]}


# -- the offer, step 1: métier et lieu ----------------------------------------------------------

class PlaceForm(ApiForm):
    api_fields = {"address.street": "street", "address.postal_code": "postal_code",
                  "address.commune_insee": "postal_code", "address.city": "city", "address.lat": "postal_code",
                  "address.lon": "postal_code", "address": "street"}
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    title = _text("Métier(s) observé(s)", 150, help_text="Par exemple : boulanger pâtissier, vendeuse en boulangerie")
    description = _text("Activités proposées à l'élève", 1500, rows=6, counter=True,
                         help_text="Ce que l'élève verra et fera pendant la semaine (10 à 1 500 caractères).")
    street = _text("Adresse du lieu de stage (numéro et voie)", 200, autocomplete="street-address")
    postal_code = _text("Code postal", 5, autocomplete="postal-code", inputmode="numeric")
    city = _text("Commune", 100, required=False, autocomplete="address-level2",
                 help_text="Déduite du code postal si vous la laissez vide.")

    @classmethod
    def initial_from(cls, offer: dict) -> dict:
        a = offer.get("address") or {}
        return {"title": offer.get("title"), "description": offer.get("description"), "street": a.get("street"),
                "postal_code": a.get("postal_code"), "city": a.get("city")}

    def body(self) -> dict:
        d = self.cleaned_data
        return {"step": "place", "title": d["title"].strip(), "description": d["description"].strip(),
                "address": {"street": d["street"].strip(), "postal_code": d["postal_code"].strip(),
                            "city": _none(d.get("city"))}}


# -- step 2: the host organisation ---------------------------------------------------------------

class OrganisationForm(ApiForm):
    api_fields = {
        "organisation.name": "name", "organisation.trade_name": "trade_name", "organisation.siret": "siret",
        "organisation.manual_entry": "identification", "organisation.is_public": "is_public",
        "organisation.public_employer_type": "public_employer_type", "organisation.sector": "sector",
        "organisation.naf_code": "sector",
        "organisation.head_office_address.street": "head_office_street",
        "organisation.head_office_address.postal_code": "head_office_postal_code",
        "organisation.head_office_address.city": "head_office_city",
        "organisation.head_office_address": "head_office_street",
        "organisation.contact_phone": "contact_phone", "organisation": "name",
    }
    name = _text("Raison sociale", 150, autocomplete="organization")
    trade_name = _text("Enseigne ou nom d'usage", 150, required=False)
    identification = forms.ChoiceField(
        label="Identification de la structure", widget=forms.RadioSelect, initial="siret",
        choices=[("siret", "Avec son numéro SIRET"),
                 ("manual", "Sans SIRET (employeur public, par exemple) : saisie manuelle")],
        error_messages={"required": "Ce champ est obligatoire."})
    siret = _text("Numéro SIRET", 20, required=False, inputmode="numeric",
                  help_text="14 chiffres, espaces permis. Laissez vide en saisie manuelle.")
    is_public = forms.ChoiceField(label="Statut de l'employeur", widget=forms.RadioSelect,
                                  choices=[("false", "Privé"), ("true", "Public")],
                                  error_messages={"required": "Indiquez si l'employeur est public ou privé."})
    public_employer_type = forms.ChoiceField(label="Type d'employeur public", required=False,
                                             help_text="Seulement pour un employeur public.")
    sector = forms.ChoiceField(label="Secteur d'activité",
                               error_messages={"required": "Choisissez un secteur d'activité."})
    head_office_street = _text("Adresse du siège (numéro et voie)", 200)
    head_office_postal_code = _text("Code postal du siège", 5, inputmode="numeric")
    head_office_city = _text("Commune du siège", 100)
    contact_phone = _text("Téléphone de contact", 30, type="tel", autocomplete="tel",
                          help_text="Jamais montré aux élèves. Format : 01 23 45 67 89")
    work_environment = _text("Environnement de travail", 1000, required=False, rows=3, counter=True,
                             help_text="Facultatif : équipe, lieux, tenue (10 à 1 000 caractères).")
    accessibility = _text("Accessibilité", 1000, required=False, rows=3, counter=True,
                          help_text="Facultatif : accueil des élèves en situation de handicap (10 à 1 000 caractères).")

    def __init__(self, *args, sectors=(), public_types=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["sector"].choices = [("", "Choisissez un secteur")] + [(s["id"], s["name"]) for s in sectors]
        self.fields["public_employer_type"].choices = [("", "Sans objet (employeur privé)")] + [
            (t["id"], t["name"]) for t in public_types]

    @classmethod
    def initial_from(cls, offer: dict) -> dict:
        o = offer.get("organisation") or {}
        if not o:
            return {}
        h = o.get("head_office_address") or {}
        return {"name": o.get("name"), "trade_name": o.get("trade_name"), "siret": o.get("siret"),
                "identification": "manual" if o.get("manual_entry") else "siret",
                "is_public": "true" if o.get("is_public") else "false",
                "public_employer_type": o.get("public_employer_type") or "", "sector": o.get("sector") or "",
                "head_office_street": h.get("street"), "head_office_postal_code": h.get("postal_code"),
                "head_office_city": h.get("city"), "contact_phone": o.get("contact_phone"),
                "work_environment": offer.get("work_environment"), "accessibility": offer.get("accessibility")}

    def body(self) -> dict:
        d = self.cleaned_data
        manual = d["identification"] == "manual"
        is_public = d["is_public"] == "true"
        return {"step": "organisation", "organisation": {
            "name": d["name"].strip(), "trade_name": _none(d.get("trade_name")),
            "siret": None if manual else _none(d.get("siret")), "manual_entry": manual, "is_public": is_public,
            "public_employer_type": _none(d.get("public_employer_type")), "sector": _none(d.get("sector")),
            "head_office_address": {"street": d["head_office_street"].strip(),
                                    "postal_code": d["head_office_postal_code"].strip(),
                                    "city": d["head_office_city"].strip()},
            "contact_phone": d["contact_phone"].strip()},
            "work_environment": _none(d.get("work_environment")), "accessibility": _none(d.get("accessibility"))}


# -- step 3: planning ----------------------------------------------------------------------------

TIME_ATTRS = {"type": "time", "step": "900", "min": "06:00", "max": "20:00"}


class PlanningForm(ApiForm):
    api_fields = {"hours.mode": "hours_mode", "hours.start": "start", "hours.end": "end", "hours.days": "days",
                  "hours": "hours_mode", "reserved_school_uais": "reserved_school_uais",
                  **{f"hours.days.{d}.start": f"{d}_start" for d, _ in DAYS},
                  **{f"hours.days.{d}.end": f"{d}_end" for d, _ in DAYS},
                  **{f"hours.days.{d}": f"{d}_start" for d, _ in DAYS}}
    grades = forms.MultipleChoiceField(label="Niveaux accueillis", choices=GRADES, widget=forms.CheckboxSelectMultiple,
                                       error_messages={"required": "Choisissez au moins un niveau parmi 4e, 3e "
                                                                   "et 2nde."})
    school_year = forms.ChoiceField(label="Année scolaire", error_messages={"required": "Ce champ est obligatoire."})
    weeks = forms.MultipleChoiceField(label="Semaines proposées (4e et 3e)", required=False,
                                      widget=forms.CheckboxSelectMultiple,
                                      help_text="Les semaines de stage des collégiens, de septembre à mai.")
    all_year = forms.BooleanField(label="Toute l'année scolaire (4e et 3e)", required=False)
    seconde_period = forms.ChoiceField(label="Période de 2nde (juin)", required=False, widget=forms.RadioSelect)
    seats = forms.IntegerField(label="Nombre de places", min_value=1, max_value=6000, initial=1,
                               error_messages={"required": "Ce champ est obligatoire.",
                                               "invalid": "Le nombre de places doit être un entier entre 1 et 6000.",
                                               "min_value": "Le nombre de places doit être un entier entre 1 et 6000.",
                                               "max_value": "Le nombre de places doit être un entier entre 1 et 6000."})
    hours_mode = forms.ChoiceField(label="Horaires", widget=forms.RadioSelect, initial="same",
                                   choices=[("same", "Les mêmes chaque jour"), ("per_day", "Jour par jour")])
    start = forms.CharField(label="Début de journée", required=False, widget=forms.TimeInput(attrs=TIME_ATTRS),
                            help_text="Horaires identiques : au quart d'heure, entre 06:00 et 20:00.")
    end = forms.CharField(label="Fin de journée", required=False, widget=forms.TimeInput(attrs=TIME_ATTRS))
    days = forms.MultipleChoiceField(label="Jours travaillés", required=False, choices=DAYS,
                                     widget=forms.CheckboxSelectMultiple, initial=[d for d, _ in DAYS[:5]])
    lunch_break = _text("Pause déjeuner", 250, rows=2, counter=True,
                        help_text="Par exemple : une heure, à la cantine de l'entreprise (8 à 250 caractères).")
    reserved_rep = forms.BooleanField(label="Réserver aux élèves des établissements REP et REP+", required=False)
    reserved_qpv = forms.BooleanField(label="Réserver aux élèves des établissements en quartier prioritaire (QPV)",
                                      required=False)
    reserved_school_uais = _text("Réserver à des établissements (codes UAI)", 400, required=False,
                                 help_text="Facultatif : codes UAI séparés par des virgules, par exemple 0131884C.")

    def __init__(self, *args, school_years=(), weeks=(), periods=(), **kwargs):
        super().__init__(*args, **kwargs)
        for d, label in DAYS:
            self.fields[f"{d}_start"] = forms.CharField(label=f"{label} : début", required=False,
                                                        widget=forms.TimeInput(attrs=TIME_ATTRS))
            self.fields[f"{d}_end"] = forms.CharField(label=f"{label} : fin", required=False,
                                                      widget=forms.TimeInput(attrs=TIME_ATTRS))
        self.fields["school_year"].choices = [(y, y) for y in school_years]
        self.fields["weeks"].choices = list(weeks)
        self.fields["seconde_period"].choices = list(periods)

    def day_rows(self):
        return [(label, self[f"{d}_start"], self[f"{d}_end"]) for d, label in DAYS]

    @classmethod
    def initial_from(cls, offer: dict, default_year: str) -> dict:
        out = {"school_year": offer.get("school_year") or default_year, "seats": offer.get("seats") or 1,
               "grades": offer.get("grades") or [], "weeks": offer.get("weeks") or [],
               "all_year": offer.get("all_year") or False, "seconde_period": offer.get("seconde_period") or "",
               "lunch_break": offer.get("lunch_break"), "reserved_rep": offer.get("reserved_rep") or False,
               "reserved_qpv": offer.get("reserved_qpv") or False,
               "reserved_school_uais": ", ".join(offer.get("reserved_school_uais") or [])}
        h = offer.get("hours") or {}
        if h.get("mode") == "per_day":
            out["hours_mode"] = "per_day"
            for d, v in (h.get("days") or {}).items():
                out[f"{d}_start"], out[f"{d}_end"] = v.get("start"), v.get("end")
        elif h:
            out.update(hours_mode="same", start=h.get("start"), end=h.get("end"),
                       days=h.get("days") or [d for d, _ in DAYS[:5]])
        return out

    def body(self) -> dict:
        d = self.cleaned_data
        if d["hours_mode"] == "per_day":
            days = {}
            for day, _ in DAYS:
                s, e = (d.get(f"{day}_start") or "").strip(), (d.get(f"{day}_end") or "").strip()
                if s or e:
                    days[day] = {"start": s, "end": e}
            hours = {"mode": "per_day", "days": days}
        else:
            hours = {"mode": "same", "start": (d.get("start") or "").strip(), "end": (d.get("end") or "").strip(),
                     "days": list(d.get("days") or [])}
        uais = [u.strip().upper() for u in (d.get("reserved_school_uais") or "").replace(";", ",").split(",")
                if u.strip()]
        return {"step": "planning", "grades": list(d["grades"]), "school_year": d["school_year"],
                "weeks": list(d.get("weeks") or []), "all_year": bool(d.get("all_year")),
                "seconde_period": d.get("seconde_period") or None, "seats": d["seats"], "hours": hours,
                "lunch_break": d["lunch_break"].strip(), "reserved_school_uais": uais,
                "reserved_rep": bool(d.get("reserved_rep")), "reserved_qpv": bool(d.get("reserved_qpv"))}


# -- applications --------------------------------------------------------------------------------

class AcceptForm(ApiForm):
    message = _text("Message à l'élève", 1500, required=False, rows=3, counter=True,
                    help_text="Facultatif : informations pratiques pour le premier jour.")


class RejectForm(ApiForm):
    reason = _text("Motif du refus", 1000, rows=3, counter=True, help_text="Il sera communiqué à l'élève.")


class CancelForm(ApiForm):
    reason = _text("Motif de l'annulation", 1000, rows=3, counter=True, help_text="Il sera communiqué à l'élève.")


class TransferForm(ApiForm):
    email = forms.EmailField(label="Adresse e-mail du collègue", max_length=254,
                             help_text="Il recevra un lien, valable 30 jours, pour lire la candidature et répondre.",
                             error_messages={"invalid": "Saisissez une adresse e-mail valide.",
                                             "required": "Ce champ est obligatoire."},
                             widget=forms.EmailInput(attrs={"autocomplete": "off"}))
    message = _text("Message au collègue", 1500, required=False, rows=3, counter=True)


BULK_ACTIONS = [("read", "Marquer comme lues"), ("accept", "Accepter"), ("reject", "Refuser")]


class BulkForm(ApiForm):
    action = forms.ChoiceField(label="Action sur les candidatures cochées", choices=BULK_ACTIONS,
                               error_messages={"required": "Choisissez une action."})
    reason = _text("Motif (pour un refus)", 1000, required=False, rows=2)


class TransferDecisionForm(ApiForm):
    decision = forms.ChoiceField(label="Votre décision", widget=forms.RadioSelect,
                                 choices=[("accept", "Accepter la candidature"), ("reject", "Refuser la candidature")],
                                 error_messages={"required": "Choisissez d'accepter ou de refuser."})
    message = _text("Message à l'élève (en cas d'acceptation)", 1500, required=False, rows=3, counter=True)
    reason = _text("Motif du refus (en cas de refus)", 1000, required=False, rows=3, counter=True)

    def clean(self):
        d = super().clean()
        if d.get("decision") == "reject" and not (d.get("reason") or "").strip():
            self.add_error("reason", "Indiquez le motif du refus.")
        return d


# -- the agreement: the employer's fields -----------------------------------------------------------

class ConventionEmployerForm(ApiForm):
    """The fields the host organisation fills (the school's and the prefilled ones are shown read-only)."""
    api_fields = {"representative.name": "representative_name", "representative.function": "representative_function",
                  "representative": "representative_name", "tutor.name": "tutor_name",
                  "tutor.function": "tutor_function", "tutor.email": "tutor_email", "tutor.phone": "tutor_phone",
                  "tutor": "tutor_name", "hours.weekdays": "weekdays", "hours.same.start": "start",
                  "hours.same.end": "end", "hours.same.break_start": "break_start",
                  "hours.same.break_end": "break_end", "hours.same": "start", "hours": "start", "hours.mode": "start"}
    representative_name = _text("Représentant de la structure : nom et prénom", 100, required=False,
                                help_text="La personne qui signe la convention pour la structure.")
    representative_function = _text("Représentant : fonction", 150, required=False)
    tutor_name = _text("Tuteur : nom et prénom", 100, required=False, help_text="La personne qui accompagne l'élève.")
    tutor_function = _text("Tuteur : fonction", 150, required=False)
    tutor_email = forms.EmailField(label="Tuteur : adresse e-mail", max_length=254, required=False,
                                   error_messages={"invalid": "Saisissez une adresse e-mail valide."})
    tutor_phone = _text("Tuteur : téléphone", 30, required=False, type="tel")
    activities = _text("Activités confiées à l'élève", 1500, required=False, rows=4, counter=True)
    weekdays = forms.MultipleChoiceField(label="Jours de présence", required=False, choices=DAYS,
                                         widget=forms.CheckboxSelectMultiple)
    start = forms.CharField(label="Heure d'arrivée", required=False, widget=forms.TimeInput(attrs=TIME_ATTRS | {
        "min": "06:00"}))
    end = forms.CharField(label="Heure de départ", required=False, widget=forms.TimeInput(attrs=TIME_ATTRS | {
        "min": "06:00"}))
    break_start = forms.CharField(label="Début de la pause", required=False,
                                  widget=forms.TimeInput(attrs=TIME_ATTRS | {"min": "06:00"}),
                                  help_text="Obligatoire au-delà de 4 h 30 de présence (30 minutes au moins).")
    break_end = forms.CharField(label="Fin de la pause", required=False,
                                widget=forms.TimeInput(attrs=TIME_ATTRS | {"min": "06:00"}))
    lunch_break = _text("Pause déjeuner", 500, required=False, rows=2)

    # needed to declare the part complete; a draft may leave any of them empty
    REQUIRED = ("representative_name", "representative_function", "tutor_name", "tutor_function", "tutor_email",
                "tutor_phone", "activities", "weekdays", "start", "end", "lunch_break")

    def __init__(self, *args, draft: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.REQUIRED:
            self.fields[name].required = not draft
            self.fields[name].error_messages["required"] = "Ce champ est obligatoire."

    @classmethod
    def initial_from(cls, employer: dict) -> dict:
        rep, tutor = employer.get("representative") or {}, employer.get("tutor") or {}
        hours = employer.get("hours") or {}
        same = hours.get("same") or {}
        return {"representative_name": rep.get("name"), "representative_function": rep.get("function"),
                "tutor_name": tutor.get("name"), "tutor_function": tutor.get("function"),
                "tutor_email": tutor.get("email"), "tutor_phone": tutor.get("phone"),
                "activities": employer.get("activities"), "lunch_break": employer.get("lunch_break"),
                "weekdays": hours.get("weekdays") or [d for d, _ in DAYS[:5]], "start": same.get("start"),
                "end": same.get("end"), "break_start": same.get("break_start"), "break_end": same.get("break_end")}

    def body(self) -> dict:
        d = {k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items()}
        out = {"representative": {"name": d.get("representative_name") or None,
                                  "function": d.get("representative_function") or None},
               "tutor": {"name": d.get("tutor_name") or None, "function": d.get("tutor_function") or None,
                         "email": d.get("tutor_email") or None, "phone": d.get("tutor_phone") or None},
               "activities": d.get("activities") or None, "lunch_break": d.get("lunch_break") or None}
        if any(d.get(k) for k in ("start", "end", "break_start", "break_end")):
            out["hours"] = {"mode": "same", "weekdays": list(d.get("weekdays") or []),
                            "same": {"start": d.get("start") or None, "end": d.get("end") or None,
                                     "break_start": d.get("break_start") or None,
                                     "break_end": d.get("break_end") or None}}
        return out


class SignatureCodeForm(ApiForm):
    code = forms.CharField(label="Code de signature", max_length=6, min_length=6,
                           help_text="Les 6 chiffres reçus par SMS (ou par e-mail), valables 10 minutes.",
                           error_messages={"required": "Saisissez le code reçu.",
                                           "min_length": "Le code compte 6 chiffres."},
                           widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "one-time-code"}))
