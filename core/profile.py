"""Validation of the center profile."""

from __future__ import annotations

import re
from collections.abc import Collection

from core.errors import ValidationError
from core.model import CenterProfile

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE_DIGITS = re.compile(r"\d")
REQUIRED_TEXT_FIELDS = (
    "school_full_name",
    "school_short_name",
    "municipality",
    "address",
    "director",
    "center_head",
)


def inn_is_valid(inn: str) -> bool:
    """ИНН of an organisation (10 digits) or of a person (12 digits), with its check digits."""
    if not inn.isdigit() or len(inn) not in (10, 12):
        return False
    digits = [int(c) for c in inn]

    def check(weights: tuple[int, ...]) -> int:
        return sum(w * d for w, d in zip(weights, digits, strict=False)) % 11 % 10

    if len(inn) == 10:
        return check((2, 4, 10, 3, 5, 9, 4, 6, 8)) == digits[9]
    first = check((7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
    second = check((3, 7, 2, 4, 10, 3, 5, 9, 4, 6, 8))
    return first == digits[10] and second == digits[11]


def validate_profile(profile: CenterProfile, only: Collection[str] | None = None) -> None:
    """Raise ValidationError for the first wrong field (of `only`, when given)."""

    def checked(name: str) -> bool:
        return only is None or name in only

    for name in REQUIRED_TEXT_FIELDS:
        if checked(name) and not getattr(profile, name).strip():
            raise ValidationError(name, "required")
    if checked("inn") and not inn_is_valid(profile.inn.strip()):
        raise ValidationError("inn", "bad_inn", profile.inn)
    if checked("email") and profile.email.strip() and not _EMAIL.match(profile.email.strip()):
        raise ValidationError("email", "bad_email", profile.email)
    if checked("phone") and profile.phone.strip() and len(_PHONE_DIGITS.findall(profile.phone)) < 6:
        raise ValidationError("phone", "bad_phone", profile.phone)
    if checked("pupils") and not 0 < profile.pupils <= 10000:
        raise ValidationError("pupils", "bad_pupils", str(profile.pupils))
    if checked("campaign_year") and not 2018 <= profile.campaign_year <= 2100:
        raise ValidationError("campaign_year", "bad_year", str(profile.campaign_year))
    if checked("opening_date") and profile.opening_date.year != profile.campaign_year:
        raise ValidationError("opening_date", "opening_year_mismatch", str(profile.campaign_year))
