"""``companion-stage say``, ``speech voices|providers`` and ``tts-engine``.

``say`` speaks through the same Speaker as the app (the settings' provider unless
``--provider``/``--voice``/``--model`` override it); with ``--out`` it writes the
whole utterance to a WAV file instead of playing it.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import json
import sys
import threading
import time
from pathlib import Path
from typing import Any

from app import log
from app.context import AppContext
from app.errors import SpeechError
from app.settings.sections.speech import SpeechSettings
from app.speech.audio import Audio
from app.speech.config import provider_config
from app.speech.registry import default_registry
from app.speech.session import Sentence
from app.speech.speaker import Speaker

__all__ = ["register"]

SAY_TIMEOUT_S = 300.0


def register(subparsers: Any) -> None:
    say = subparsers.add_parser("say", help="speak a text (or write it to a WAV file)")
    say.add_argument("text")
    say.add_argument("--provider", help="provider id (default: the one in settings)")
    say.add_argument("--voice")
    say.add_argument("--model")
    say.add_argument(
        "--out", type=Path, metavar="FILE.wav", help="write a WAV file instead of playing"
    )
    say.add_argument("--json", action="store_true")
    say.set_defaults(run=_say)

    speech = subparsers.add_parser("speech", help="speech providers and voices")
    sub = speech.add_subparsers(dest="speech_command", required=True)
    providers = sub.add_parser("providers", help="list the speech providers")
    providers.add_argument("--json", action="store_true")
    providers.set_defaults(run=_providers)
    voices = sub.add_parser("voices", help="list a provider's voices")
    voices.add_argument("--provider")
    voices.add_argument("--json", action="store_true")
    voices.set_defaults(run=_voices)

    engine = subparsers.add_parser("tts-engine", help="run the built-in streaming TTS engine")
    engine.add_argument("--host", default="127.0.0.1")
    engine.add_argument("--port", type=int, default=8788)
    engine.add_argument("--token", default="", help="bearer token clients must present")
    engine.add_argument("--latency-ms", type=float, default=0.0, help=argparse.SUPPRESS)
    engine.set_defaults(run=_engine)


def _settings(ctx: AppContext) -> SpeechSettings:
    settings = ctx.settings.load().settings.speech
    args = ctx.args
    overrides = {
        k: v
        for k, v in (
            ("provider", getattr(args, "provider", None)),
            ("voice", getattr(args, "voice", None)),
            ("model", getattr(args, "model", None)),
        )
        if v is not None
    }
    if "provider" in overrides and overrides["provider"] != settings.provider:
        # another provider's voice/model would be meaningless
        overrides.setdefault("voice", "")
        overrides.setdefault("model", "")
    return dataclasses.replace(settings, **overrides)


def _say(ctx: AppContext) -> int:
    args = ctx.args
    if not args.text.strip():
        raise SpeechError("nothing to say: the text is empty", reason="empty-text")
    settings = _settings(ctx)
    sentences: list[Sentence] = []
    errors: list[SpeechError] = []
    playback = None if args.out else _playback()
    speaker = Speaker(
        settings,
        playback,
        on_error=errors.append,
        on_sentence=lambda _intent, s: sentences.append(s),
    )
    started = time.monotonic()
    ok = False
    try:
        session = speaker.say(args.text)
        finished = session.wait(SAY_TIMEOUT_S)
        if not finished:
            raise SpeechError("speaking took too long", reason="synthesis-timeout")
        if errors:
            raise errors[0]
        audio = Audio(b"", 0)
        for sentence in sentences:
            audio = audio + sentence.audio
        if not audio.pcm:
            raise SpeechError("the voice returned no audio", reason="no-audio")
        if args.out:
            audio.write_wav(args.out)
        ok = True
    finally:
        # success: let the voice finish; failure: stop at once
        speaker.close(drain=ok, timeout=audio_timeout(sentences))
    summary = {
        "ok": True,
        "provider": settings.provider,
        "transport": session.transport,
        "standIn": session.stand_in,
        "sentences": len(sentences),
        "seconds": round(audio.duration, 3),
        "sampleRate": audio.sample_rate,
        "out": str(args.out) if args.out else None,
        "elapsed": round(time.monotonic() - started, 3),
    }
    if args.json:
        print(json.dumps(summary))
    elif args.out:
        print(f"wrote {args.out} ({audio.duration:.2f} s, {len(sentences)} sentences)")
    if session.stand_in and not args.json:
        print(f"note: {session.stand_in}", file=sys.stderr)
    return 0


def audio_timeout(sentences: list[Sentence]) -> float:
    return sum(s.audio.duration for s in sentences) + 5.0


def _playback() -> Any:
    from app.speech.playback import Playback

    try:  # the CLI is an entry point like app/cli.py: it may pick the Qt audio output
        from app.ui.audio_output import best_sink
    except ImportError:
        from app.speech.sinks import NullSink

        return Playback(NullSink())
    sink = best_sink()
    if not sink.audible:
        log.speech.warning("no audio output device: speaking silently (use --out FILE.wav)")
    return Playback(sink)


def _providers(ctx: AppContext) -> int:
    rows = [
        {"id": d.id, "name": d.name, "transport": d.transport, "description": d.description}
        for d in default_registry().definitions()
    ]
    if ctx.args.json:
        print(json.dumps(rows))
    else:
        for row in rows:
            print(f"{row['id']:<20} {row['transport']:<17} {row['name']}")
    return 0


def _voices(ctx: AppContext) -> int:
    settings = _settings(ctx)
    registry = default_registry()
    definition = registry.definition(settings.provider)
    provider = registry.create(settings.provider, provider_config(settings, definition))
    voices = provider.voices()
    if ctx.args.json:
        print(json.dumps([dataclasses.asdict(v) for v in voices]))
    else:
        for voice in voices:
            print(f"{voice.id:<24} {voice.language:<8} {voice.name}")
    return 0


def _engine(ctx: AppContext) -> int:
    from app.speech.engine import EngineOptions, EngineThread

    args = ctx.args
    options = EngineOptions(
        host=args.host, port=args.port, token=args.token, latency_s=args.latency_ms / 1000
    )
    with EngineThread(options) as engine:
        print(
            f"streaming TTS engine on {engine.url} (voices: {engine.http_base}/api/voices)",
            flush=True,
        )
        with contextlib.suppress(KeyboardInterrupt):
            threading.Event().wait()
    return 0
