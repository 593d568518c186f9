"""The school's signature image: PNG or JPEG, recognised by its content, at most 2 MB; who reads and registers it."""
from __future__ import annotations

from common.errors import Forbidden, ValidationError

from .convention import require_confirmed_staff

MAX_BYTES = 2 * 1024 * 1024
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"
JPEG_MAGIC = b"\xff\xd8\xff"


def sniff(data: bytes) -> str | None:
    if data.startswith(PNG_MAGIC) and len(data) > 33 and data[12:16] == b"IHDR":
        return "image/png"
    if data.startswith(JPEG_MAGIC) and len(data) > 4:
        return "image/jpeg"
    return None


def check_signature_image(data) -> str:
    """Return the MIME type of a valid image or raise ValidationError (French)."""
    if not isinstance(data, (bytes, bytearray)) or not data:
        raise ValidationError(errors={"image": ["Joignez une image de la signature."]})
    if len(data) > MAX_BYTES:
        raise ValidationError(errors={"image": ["L'image ne doit pas dépasser 2 Mo."]})
    mime = sniff(bytes(data))
    if mime is None:
        raise ValidationError(errors={"image": ["Le fichier doit être une image PNG ou JPEG."]})
    # the header is right: the whole file must also decode as that format (in memory, no I/O)
    import io

    from PIL import Image
    try:
        with Image.open(io.BytesIO(bytes(data))) as img:
            fmt = img.format
            width, height = img.size
            img.verify()
    except Exception:
        raise ValidationError(errors={"image": ["L'image est illisible ou endommagée."]}) from None
    if {"PNG": "image/png", "JPEG": "image/jpeg"}.get(fmt) != mime:
        raise ValidationError(errors={"image": ["Le fichier doit être une image PNG ou JPEG."]})
    if width > 4000 or height > 4000 or width < 10 or height < 5:
        raise ValidationError(errors={"image": ["Dimensions de l'image invalides (de 10 à 4000 pixels)."]})
    return mime


SCHOOL_SIGNATURE_FUNCTIONS = {"head", "admin_staff"}


def check_school_signature_access(actor: dict, school_uai: str, *, write: bool) -> None:
    """The school's signature image: its own staff read it; the head and administration register it, once
    their account is confirmed."""
    if actor.get("role") != "school_staff" or actor.get("school_uai") != school_uai:
        raise Forbidden("Seul le personnel de l'établissement peut enregistrer sa signature." if write else None)
    if write:
        if actor.get("function") not in SCHOOL_SIGNATURE_FUNCTIONS:
            raise Forbidden("Seuls le chef d'établissement et le personnel administratif peuvent enregistrer la "
                            "signature de l'établissement.")
        require_confirmed_staff(actor)
