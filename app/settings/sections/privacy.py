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
    posthog_project_key: str = setting(
        "", doc="PostHog project key; empty sends nothing even with consent."
    )
    posthog_host: str = setting("https://eu.i.posthog.com", doc="PostHog host the events go to.")
