"""Time to first audio: streaming vs segmenter transport against the same upstream.

A 3-sentence reply is streamed at 30 tokens/s into a TtsSession. The upstream is the
built-in streaming engine on loopback with 150 ms of artificial latency added to every
synthesis request (as a remote voice service would have). The streaming transport
sends the raw tokens over one socket; the segmenter transport cuts the text on the
client and sends every chunk as its own request to the same engine. A third line
shows the segmenter with the offline voice in-process (no upstream) for reference.

Run: python bench/speech_bench.py [--runs N]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from app.speech.engine import EngineOptions, EngineThread
from app.speech.providers.base import ProviderConfig
from app.speech.providers.piper import PiperProvider
from app.speech.providers.streaming import StreamingProvider
from app.speech.segmenter_session import SegmenterSession
from app.speech.session import SessionCallbacks, TtsSession
from app.speech.streaming_session import StreamingSession

REPLY = (
    "Sure, I can help you with that right away. The weather today looks sunny and warm "
    "in the afternoon. Remember to bring some water when you go out."
)
TOKENS_PER_S = 30.0
LATENCY_S = 0.150


def tokens(text: str) -> list[str]:
    """Word-sized tokens with their leading space, like an LLM's."""
    words = text.split(" ")
    return [words[0]] + [" " + w for w in words[1:]]


def run_once(make: Callable[[SessionCallbacks], TtsSession]) -> tuple[float, float, int]:
    """(seconds to first audio, seconds to last audio, sentences) from the first token."""
    first = threading.Event()
    marks: list[float] = []
    count = [0]

    def on_sentence(_s: object) -> None:
        marks.append(time.perf_counter())
        count[0] += 1
        first.set()

    session = make(SessionCallbacks(on_sentence=on_sentence))
    start = time.perf_counter()
    for n, token in enumerate(tokens(REPLY)):
        due = start + n / TOKENS_PER_S
        delay = due - time.perf_counter()
        if delay > 0:
            time.sleep(delay)
        session.append_text(token)
    session.finish_input()
    if not session.wait(120) or session.error is not None:
        raise SystemExit(f"session failed: {session.error}")
    return marks[0] - start, marks[-1] - start, count[0]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    PiperProvider(ProviderConfig()).synthesize("Warm up.")  # load the voice once, outside timing
    with EngineThread(EngineOptions(latency_s=LATENCY_S)) as engine:
        upstream = StreamingProvider(ProviderConfig(base_url=engine.url, voice="en_US-joe-medium"))
        cases: dict[str, Callable[[SessionCallbacks], TtsSession]] = {
            "streaming (one socket, server segments)": lambda cb: StreamingSession(
                engine.url, voice="en_US-joe-medium", callbacks=cb
            ),
            "segmenter (client segments, request per chunk)": lambda cb: SegmenterSession(
                upstream, cb
            ),
            "segmenter, offline piper in-process (no upstream)": lambda cb: SegmenterSession(
                PiperProvider(ProviderConfig()), cb
            ),
        }
        n_tokens = len(tokens(REPLY))
        print(
            f"reply: 3 sentences, {n_tokens} tokens at {TOKENS_PER_S:.0f} tokens/s "
            f"({n_tokens / TOKENS_PER_S:.2f} s to stream); "
            f"upstream latency {LATENCY_S * 1000:.0f} ms "
            f"per synthesis request; {args.runs} runs each"
        )
        results: dict[str, list[tuple[float, float, int]]] = {}
        for _ in range(args.runs):  # interleave the cases so drift hits all alike
            for name, make in cases.items():
                results.setdefault(name, []).append(run_once(make))
        print(
            f"{'transport':<52} {'first audio p50':>15} {'min':>7} {'max':>7} "
            f"{'last audio p50':>15} {'chunks':>6}"
        )
        for name, rows in results.items():
            firsts = [r[0] * 1000 for r in rows]
            lasts = [r[1] * 1000 for r in rows]
            print(
                f"{name:<52} {statistics.median(firsts):>12.0f} ms {min(firsts):>4.0f} ms "
                f"{max(firsts):>4.0f} ms {statistics.median(lasts):>12.0f} ms {rows[0][2]:>6}"
            )
        names = list(results)
        stream = statistics.median(r[0] for r in results[names[0]])
        segment = statistics.median(r[0] for r in results[names[1]])
        print(
            f"first audio, segmenter / streaming: {segment / stream:.2f}x "
            f"({(segment - stream) * 1000:+.0f} ms)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
