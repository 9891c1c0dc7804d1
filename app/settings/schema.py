"""The whole settings tree: one typed section per concern, plus the schema version."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Final

from app.settings.fields import setting
from app.settings.sections.godot import GodotSettings
from app.settings.sections.models import ModelsSettings
from app.settings.sections.privacy import PrivacySettings
from app.settings.sections.shortcuts import ShortcutsSettings
from app.settings.sections.speech import SpeechSettings
from app.settings.sections.stage import StageSettings

__all__ = ["SCHEMA_VERSION", "Settings"]

SCHEMA_VERSION: Final = 2


@dataclass
class Settings:
    schema_version: int = setting(SCHEMA_VERSION, doc="Version of this file's layout.")
    models: ModelsSettings = setting(doc="VRM model library.", factory=ModelsSettings)
    godot: GodotSettings = setting(doc="Godot runtime.", factory=GodotSettings)
    stage: StageSettings = setting(doc="Godot stage.", factory=StageSettings)
    shortcuts: ShortcutsSettings = setting(doc="Global shortcuts.", factory=ShortcutsSettings)
    speech: SpeechSettings = setting(doc="Text-to-speech.", factory=SpeechSettings)
    privacy: PrivacySettings = setting(doc="Analytics consent.", factory=PrivacySettings)
