"""A provider that hands over to a backup voice when its own voice cannot load.

The offline neural voice is the default, so a missing or broken voice file would
otherwise leave the companion mute. Its definition names a ``fallback`` provider
(espeak-ng, always installed); the first time the primary voice fails for a reason
that will not fix itself, the backup speaks that chunk and the rest of the session.
Failures of the text itself (a synthesis error on one chunk) are not masked, nor is a
voice name that is neither installed nor a language the backup speaks (a typo).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Final

from app import log
from app.errors import SpeechError
from app.speech.audio import Audio
from app.speech.providers.base import Provider, VoiceInfo

__all__ = ["FALLBACK_REASONS", "FallbackProvider", "voice_for_language"]

#: A voice that is not installed or does not load stays so for the whole session.
FALLBACK_REASONS: Final = frozenset({"voice-missing", "voice-load-failed", "unknown-voice"})


def voice_for_language(wanted: str, available: list[VoiceInfo]) -> str:
    """The backup voice closest to the language of ``wanted`` ("" = the backup's default).

    ``wanted`` is a piper id (``de_DE-thorsten-medium``) or a bare language (``fr``,
    ``en-gb``): so a language the neural voice lacks is still spoken in that language.
    """
    ids = {v.id.lower(): v.id for v in available}
    stem = wanted.split("-", 1)[0] if "_" in wanted else wanted
    tag = stem.replace("_", "-").lower()
    lang = tag.split("-", 1)[0]
    for candidate in (tag, lang, f"{lang}-{lang}"):
        if candidate and candidate in ids:
            return ids[candidate]
    regional = sorted(key for key in ids if lang and key.startswith(f"{lang}-"))
    return ids[regional[0]] if regional else ""


class FallbackProvider:
    def __init__(
        self, primary: Provider, make_backup: Callable[[str], Provider | None]
    ) -> None:
        """``make_backup(reason)`` gives the backup, or None when it would not help."""
        self.primary = primary
        self.definition = primary.definition
        self.config = primary.config
        self._make_backup = make_backup
        self.backup: Provider | None = None
        #: why the backup speaks (a SpeechError reason), or None while the primary does
        self.fallback_reason: str | None = None

    @property
    def stand_in(self) -> str | None:
        """For the user: "eSpeak NG spoke instead (unknown-voice)" once the backup took over."""
        if self.backup is None:
            return None
        return f"{self.backup.definition.name} spoke instead ({self.fallback_reason})"

    def voices(self) -> list[VoiceInfo]:
        return self.primary.voices()

    def models(self) -> list[str]:
        return self.primary.models()

    def synthesize(self, text: str) -> Audio:
        if self.backup is None:
            try:
                return self.primary.synthesize(text)
            except SpeechError as exc:
                if exc.reason not in FALLBACK_REASONS:
                    raise
                backup = self._make_backup(exc.reason)
                if backup is None:
                    raise
                log.speech.warning(
                    "%s [%s]; %s speaks instead", exc.message, exc.reason, backup.definition.name
                )
                self.backup, self.fallback_reason = backup, exc.reason
        return self.backup.synthesize(text)
