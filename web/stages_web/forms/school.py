"""Forms of the school staff pages (registration, invitation, pupils import, colleagues) and of the admin
pages (the TOTP code of the login lives in forms/auth.py)."""
from __future__ import annotations

from django import forms

from .auth import NewPasswordForm
from .base import ApiForm
from .employer import RegisterForm, _none, _text

FUNCTIONS = [("head", "Chef d'établissement"), ("teacher", "Professeur"), ("cpe", "Conseiller principal d'éducation"),
             ("admin_staff", "Personnel administratif")]
FUNCTION_LABELS = dict(FUNCTIONS)
CHANNELS = [("", "Tous les canaux"), ("email", "E-mail"), ("sms", "SMS"), ("in_app", "Dans l'application")]


class SchoolRegisterForm(RegisterForm):
    """Registration of a school staff member: the academic address, the school's UAI, the function."""
    function = forms.ChoiceField(label="Fonction", choices=[("", "Choisissez votre fonction")] + FUNCTIONS,
                                 error_messages={"required": "Ce champ est obligatoire."})
    email = forms.EmailField(label="Adresse e-mail académique", max_length=254,
                             help_text="L'adresse de votre académie (…@ac-<académie>.fr), celle de l'établissement. "
                                       "Elle vous servira d'identifiant.",
                             error_messages={"invalid": "Saisissez une adresse e-mail valide.",
                                             "required": "Ce champ est obligatoire."},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    school_uai = _text("Code UAI de l'établissement", 8, help_text="7 chiffres et une lettre, par exemple 0131884C.",
                       autocomplete="off", spellcheck="false")
    field_order = ["first_name", "last_name", "function", "school_uai", "email", "phone", "password",
                   "password_again"]

    def clean_school_uai(self):
        return self.cleaned_data["school_uai"].strip().upper()

    def body(self) -> dict:
        d = self.cleaned_data
        return {"role": "school_staff", "first_name": d["first_name"], "last_name": d["last_name"],
                "function": d["function"], "email": d["email"], "phone": _none(d.get("phone")),
                "password": d["password"], "school_uai": d["school_uai"]}


class InvitationForm(NewPasswordForm):
    first_name = _text("Prénom", 100, autocomplete="given-name")
    last_name = _text("Nom", 100, autocomplete="family-name")
    phone = _text("Téléphone mobile", 30, required=False, help_text="Format : 06 12 34 56 78", autocomplete="tel",
                  type="tel")
    field_order = ["first_name", "last_name", "phone", "password", "password_again"]


class ImportForm(ApiForm):
    api_fields = {"file": "file"}
    file = forms.FileField(label="Fichier CSV des élèves",
                           help_text="L'export de votre logiciel de vie scolaire : colonnes Nom, Prénom, Date de "
                                     "naissance, Classe, Niveau (INE et Email facultatifs). 2 Mo au plus.",
                           error_messages={"required": "Choisissez un fichier.", "empty": "Ce fichier est vide."},
                           widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv,text/plain"}))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 2 * 1024 * 1024:
            raise forms.ValidationError("Ce fichier dépasse 2 Mo.")
        return f


class InviteForm(ApiForm):
    email = forms.EmailField(label="Adresse e-mail académique du collègue", max_length=254,
                             error_messages={"invalid": "Saisissez une adresse e-mail valide.",
                                             "required": "Ce champ est obligatoire."})
    function = forms.ChoiceField(label="Fonction", choices=[("", "Choisissez une fonction")] + FUNCTIONS,
                                 error_messages={"required": "Ce champ est obligatoire."})
    first_name = _text("Prénom", 100, required=False)
    last_name = _text("Nom", 100, required=False)

    def body(self) -> dict:
        d = self.cleaned_data
        return {"email": d["email"], "function": d["function"], "first_name": _none(d.get("first_name")),
                "last_name": _none(d.get("last_name"))}


class RetryPeriodForm(ApiForm):
    api_fields = {"from": "start", "to": "end"}
    start = forms.DateTimeField(label="Du", input_formats=["%Y-%m-%dT%H:%M"],
                                widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                                error_messages={"required": "Ce champ est obligatoire.",
                                                "invalid": "Saisissez une date et une heure."})
    end = forms.DateTimeField(label="Au", input_formats=["%Y-%m-%dT%H:%M"],
                              widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
                              error_messages={"required": "Ce champ est obligatoire.",
                                              "invalid": "Saisissez une date et une heure."})
    channel = forms.ChoiceField(label="Canal", choices=CHANNELS, required=False)

    def clean(self):
        d = super().clean()
        if d.get("start") and d.get("end") and d["end"] <= d["start"]:
            self.add_error("end", "La fin de la période doit suivre son début.")
        return d


class StatisticianValidationForm(ApiForm):
    """The account id of a statistician waiting for an administrator's validation (a button of the list, or
    typed: the statistician also reads the id on the page that activated their account)."""
    user_id = forms.UUIDField(
        label="Identifiant du compte statisticien",
        help_text="Affiché au statisticien quand il active son compte, par exemple "
                  "0c9f5a62-3b8e-4d1a-9f57-2f6e1c0a7b42.",
        error_messages={"required": "Ce champ est obligatoire.",
                        "invalid": "Saisissez l'identifiant complet du compte (36 caractères, avec des tirets)."})
