"""Forms of login, activation, passwords and the account (every audience)."""
from __future__ import annotations

from django import forms

from .base import ApiForm

PASSWORD_HELP = "12 caractères au moins, avec une minuscule, une majuscule, un chiffre et un caractère spécial."


class LoginForm(ApiForm):
    identifier = forms.CharField(label="Adresse e-mail ou numéro de mobile", max_length=254,
                                 widget=forms.TextInput(attrs={"autocomplete": "username"}))
    password = forms.CharField(label="Mot de passe", max_length=1000,
                               widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    # administrators: shown once the API answers totp_required (views.auth.login)
    totp_code = forms.CharField(label="Code de vérification (TOTP)", max_length=10, required=False,
                                help_text="Les 6 chiffres de votre application d'authentification.",
                                widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}))

    def __init__(self, *args, ask_totp: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        if ask_totp:
            self.fields["password"].widget.render_value = True  # the user typed it a moment ago
        else:
            del self.fields["totp_code"]

    def body(self) -> dict:
        d = self.cleaned_data
        body = {"identifier": d["identifier"], "password": d["password"]}
        if d.get("totp_code"):
            body["totp_code"] = d["totp_code"].replace(" ", "")
        return body


class EmailForm(ApiForm):
    email = forms.EmailField(label="Adresse e-mail", max_length=254,
                             error_messages={"invalid": "Saisissez une adresse e-mail valide."},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))


class NewPasswordForm(ApiForm):
    api_fields = {"new_password": "password"}
    password = forms.CharField(label="Nouveau mot de passe", help_text=PASSWORD_HELP, max_length=1000,
                               widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))
    password_again = forms.CharField(label="Confirmez le mot de passe", max_length=1000,
                                     widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}))

    def clean(self):
        data = super().clean()
        if data.get("password") and data.get("password_again") and data["password"] != data["password_again"]:
            self.add_error("password_again", "Les deux mots de passe ne sont pas identiques.")
        return data


class ChangePasswordForm(NewPasswordForm):
    api_fields = {"new_password": "password"}
    current_password = forms.CharField(label="Mot de passe actuel", max_length=1000,
                                       widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}))
    field_order = ["current_password", "password", "password_again"]


class PupilCodeForm(ApiForm):
    code = forms.CharField(label="Code d'activation", max_length=20,
                           help_text="Le code imprimé sur la fiche remise par votre établissement, par exemple K7QM-2XHP.",
                           widget=forms.TextInput(attrs={"autocomplete": "off", "autocapitalize": "characters",
                                                         "spellcheck": "false"}))

    def clean_code(self):
        return self.cleaned_data["code"].strip().upper()


class PupilAccountForm(NewPasswordForm):
    email = forms.EmailField(label="Adresse e-mail", max_length=254, required=False,
                             help_text="Elle vous servira d'identifiant. Laissez vide si votre établissement l'a déjà "
                                       "renseignée.",
                             error_messages={"invalid": "Saisissez une adresse e-mail valide."},
                             widget=forms.EmailInput(attrs={"autocomplete": "email"}))
    field_order = ["email", "password", "password_again"]
