"""Forms of the agreements (conventions) of school staff, pupils and legal representatives.

``ConventionSchoolForm`` holds the fields the school fills (flat on the page, nested in the API body);
``api_fields`` sends the gateway's dotted error paths (``legal_representatives.0.email``...) back next to
their field."""
from __future__ import annotations

from django import forms

from .base import ApiForm
from .employer import _text

KIT_CHOICES = [("", "Non concerné"), ("pupil", "L'élève"), ("legal_representative", "Le représentant légal"),
               ("school", "L'établissement")]
PAI_CHOICES = [("", "Non renseigné"), ("no", "Non"), ("yes", "Oui")]


def _email(label, required=False):
    return forms.EmailField(label=label, max_length=254, required=required,
                            error_messages={"invalid": "Saisissez une adresse e-mail valide.",
                                            "required": "Ce champ est obligatoire."})


class ConventionSchoolForm(ApiForm):
    """The school's part of an agreement (the employer's and the pre-filled ones are shown read-only)."""
    school_representative_name = _text("Représentant de l'établissement : nom et prénom", 100, required=False)
    school_representative_function = _text("Représentant de l'établissement : fonction", 150, required=False)
    school_representative_email = _email("Représentant de l'établissement : adresse e-mail")
    school_representative_phone = _text("Représentant de l'établissement : téléphone", 30, required=False, type="tel")
    pupil_address = _text("Adresse de l'élève", 170, required=False)
    pupil_phone = _text("Téléphone de l'élève", 30, required=False, type="tel")
    referent_teacher_name = _text("Professeur référent : nom et prénom", 100, required=False)
    referent_teacher_email = _email("Professeur référent : adresse e-mail")
    referent_teacher_phone = _text("Professeur référent : téléphone", 30, required=False, type="tel")
    rep0_name = _text("Représentant légal 1 : nom et prénom", 200, required=False,
                      help_text="Il reçoit par e-mail le lien pour signer, une fois la convention validée.")
    rep0_email = _email("Représentant légal 1 : adresse e-mail")
    rep0_phone = _text("Représentant légal 1 : téléphone", 30, required=False, type="tel")
    rep1_name = _text("Représentant légal 2 (facultatif) : nom et prénom", 200, required=False)
    rep1_email = _email("Représentant légal 2 : adresse e-mail")
    rep1_phone = _text("Représentant légal 2 : téléphone", 30, required=False, type="tel")
    pai = forms.ChoiceField(label="Projet d'accueil individualisé (PAI)", choices=PAI_CHOICES, required=False)
    emergency_kit_by = forms.ChoiceField(label="Trousse d'urgence fournie par", choices=KIT_CHOICES, required=False,
                                         help_text="Obligatoire quand l'élève a un PAI.")
    board_deliberation_date = forms.DateField(
        label="Date de la délibération du conseil d'administration", required=False,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
        error_messages={"invalid": "Saisissez une date valide."})
    address_street = _text("Adresse de l'établissement : voie", 200, required=False,
                           help_text="Laissez vide pour imprimer l'adresse de l'annuaire.")
    address_complement = _text("Adresse de l'établissement : complément", 200, required=False)
    address_postal_code = _text("Adresse de l'établissement : code postal", 5, required=False,
                                inputmode="numeric")
    address_city = _text("Adresse de l'établissement : commune", 100, required=False)

    api_fields = {
        **{f"school_representative.{k}": f"school_representative_{k}" for k in ("name", "function", "email",
                                                                               "phone")},
        "school_representative": "school_representative_name",
        **{f"referent_teacher.{k}": f"referent_teacher_{k}" for k in ("name", "email", "phone")},
        "referent_teacher": "referent_teacher_name",
        **{f"legal_representatives.{i}.{k}": f"rep{i}_{k}" for i in (0, 1) for k in ("name", "email", "phone")},
        "legal_representatives.0": "rep0_name", "legal_representatives.1": "rep1_name",
        "legal_representatives": "rep0_name",
        **{f"school_address.{k}": f"address_{k}" for k in ("street", "complement", "postal_code", "city")},
        "school_address": "address_street",
    }

    # needed to validate the agreement; saving may leave any of them empty
    REQUIRED = ("school_representative_name", "school_representative_function", "school_representative_email",
                "school_representative_phone", "pupil_address", "pupil_phone", "referent_teacher_name",
                "referent_teacher_email", "referent_teacher_phone", "rep0_name", "rep0_email", "pai",
                "board_deliberation_date")

    def __init__(self, *args, draft: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        for name in self.REQUIRED:
            self.fields[name].required = not draft
            self.fields[name].error_messages["required"] = "Ce champ est obligatoire."

    @classmethod
    def initial_from(cls, school: dict) -> dict:
        rep, ref = school.get("school_representative") or {}, school.get("referent_teacher") or {}
        reps = list(school.get("legal_representatives") or [])
        addr = school.get("school_address") or {}
        pai = school.get("pai")
        out = {"pupil_address": school.get("pupil_address"), "pupil_phone": school.get("pupil_phone"),
               "pai": "" if pai is None else ("yes" if pai else "no"),
               "emergency_kit_by": school.get("emergency_kit_by") or "",
               "board_deliberation_date": school.get("board_deliberation_date")}
        out.update({f"school_representative_{k}": rep.get(k) for k in ("name", "function", "email", "phone")})
        out.update({f"referent_teacher_{k}": ref.get(k) for k in ("name", "email", "phone")})
        for i in (0, 1):
            r = reps[i] if i < len(reps) else {}
            out.update({f"rep{i}_{k}": r.get(k) for k in ("name", "email", "phone")})
        out.update({f"address_{k}": addr.get(k) for k in ("street", "complement", "postal_code", "city")})
        return out

    def body(self) -> dict:
        d = {k: (v.strip() if isinstance(v, str) else v) for k, v in self.cleaned_data.items()}

        def part(prefix, keys):
            return {k: d.get(f"{prefix}_{k}") or None for k in keys}

        reps = [part(f"rep{i}", ("name", "email", "phone")) for i in (0, 1)]
        address = part("address", ("street", "complement", "postal_code", "city"))
        date = d.get("board_deliberation_date")
        return {
            "school_representative": part("school_representative", ("name", "function", "email", "phone")),
            "pupil_address": d.get("pupil_address") or None, "pupil_phone": d.get("pupil_phone") or None,
            "referent_teacher": part("referent_teacher", ("name", "email", "phone")),
            "legal_representatives": [r for r in reps if any(r.values())],
            "pai": {"yes": True, "no": False}.get(d.get("pai") or ""),
            "emergency_kit_by": d.get("emergency_kit_by") or None,
            "board_deliberation_date": date.isoformat() if date else None,
            "school_address": address if any(address.values()) else None,
        }


class HeadSignForm(ApiForm):
    method = forms.ChoiceField(label="Mode de signature", widget=forms.RadioSelect, initial="image",
                               choices=[("image", "Avec l'image de signature de l'établissement"),
                                        ("typed_name", "En saisissant mon nom")])
    typed_name = _text("Votre nom et prénom (signature par nom saisi)", 200, required=False,
                       autocomplete="name")

    def clean(self):
        data = super().clean()
        if data.get("method") == "typed_name" and not (data.get("typed_name") or "").strip():
            self.add_error("typed_name", "Saisissez votre nom et prénom pour signer ainsi.")
        return data


class SignatureImageForm(ApiForm):
    image = forms.FileField(label="Image de signature (PNG ou JPEG, 2 Mo au plus)",
                            error_messages={"required": "Choisissez une image.",
                                            "empty": "Le fichier choisi est vide."},
                            widget=forms.ClearableFileInput(attrs={"accept": "image/png,image/jpeg"}))

    def clean_image(self):
        f = self.cleaned_data["image"]
        if f.size > 2 * 1024 * 1024:
            raise forms.ValidationError("L'image dépasse 2 Mo.")
        head = f.read(8)
        f.seek(0)
        if not (head.startswith(b"\x89PNG\r\n\x1a\n") or head.startswith(b"\xff\xd8\xff")):
            raise forms.ValidationError("Le fichier n'est pas une image PNG ou JPEG.")
        return f


class PupilSignForm(ApiForm):
    agree = forms.BooleanField(label="J'ai lu la convention et je la signe", required=True,
                               error_messages={"required": "Cochez la case pour signer la convention."})


class LegalRepSignForm(ApiForm):
    full_name = _text("Votre nom et prénom", 200, autocomplete="name",
                      help_text="Tels que l'établissement les a enregistrés (majuscules et accents indifférents).")
    agree = forms.BooleanField(label="J'ai lu la convention et j'accepte de la signer", required=True,
                               error_messages={"required": "Cochez la case pour signer la convention."})
