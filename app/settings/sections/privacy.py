"""Settings of opt-in analytics."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from app.settings.fields import setting

__all__ = ["PrivacySettings"]


@dataclass
class PrivacySettings:
    analytics_consent: Literal["unasked", "granted", "denied"] = setting(
        "unasked", doc="Whether the user agreed to anonymous analytics; asked once."
    )
    install_id: str = setting("", doc="Anonymous install id, created when analytics is granted.")
