"""Showing a model on the stage: hand its bytes to Godot and keep only the latest choice.

The stage reads models from ``stage/models/<sha256>.vrm`` only: names are derived
from content, never from user input, files are written atomically and their hash
is checked here while copying and again by Godot before import. When the user picks
several models quickly, only the newest selection counts; answers to older requests
are recognised by their ``re`` and ignored.
"""

from __future__ import annotations

import concurrent.futures
import hashlib
import os
import re
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Final, Literal

from app import log
from app.atomic import atomic_writer
from app.errors import BridgeError, StageError
from app.stage.bridge import StageBridge
from app.stage.protocol import Envelope, SceneApplied, SceneApply, SceneError, StageReady

__all__ = ["ApplyResult", "MaterialisedModel", "StageApplier", "materialise"]

CHUNK: Final = 1024 * 1024
_SHA256 = re.compile(r"[0-9a-f]{64}")

Status = Literal["applied", "error", "superseded", "unchanged"]


@dataclass(frozen=True)
class MaterialisedModel:
    path: Path
    sha256: str


@dataclass(frozen=True)
class ApplyResult:
    """How one selection ended: applied, refused by the stage, or overtaken by a newer one."""

    status: Status
    model_id: str
    request_id: str | None = None
    applied: SceneApplied | None = None
    error: SceneError | None = None
    #: From sending scene.apply to its answer, as seen by the host.
    elapsed_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.status in ("applied", "unchanged")

    def to_json(self) -> dict[str, object]:
        """The stage's own payload (scene.applied or scene.error) plus the outcome."""
        body: dict[str, object] = {"status": self.status, "ok": self.ok, "modelId": self.model_id}
        if self.applied is not None:
            body.update(vars(self.applied))
        if self.error is not None:
            body.update(vars(self.error))
        body["elapsedMs"] = round(self.elapsed_ms, 3)
        return body


def materialise(
    source: Path, models_dir: Path, *, expected_sha256: str | None = None
) -> MaterialisedModel:
    """Copy ``source`` to ``models_dir/<sha256>.vrm`` (atomic), hashing as it streams.

    With ``expected_sha256`` (a library file, named by its verified hash) an existing
    copy of that name and size is reused, or a hard link is made; either way Godot
    checks the hash before import and refuses a mismatch, so a damaged file is never
    shown. Otherwise the bytes are copied and hashed as they stream, and the copy is
    named by that hash. Raises StageError ``hash-mismatch`` when a streamed copy does
    not hash to ``expected_sha256``.
    """
    if expected_sha256 is not None and not _SHA256.fullmatch(expected_sha256):
        raise StageError(f"not a sha256: {expected_sha256!r}", reason="bad-model-id")
    models_dir.mkdir(parents=True, exist_ok=True)
    try:
        size = source.stat().st_size
    except OSError as exc:
        raise StageError(f"cannot read {source}: {exc.strerror}", reason="not-found") from exc
    if expected_sha256 is not None:
        known = models_dir / f"{expected_sha256}.vrm"
        if known.is_file() and known.stat().st_size == size:
            return MaterialisedModel(known, expected_sha256)
        if _link(source, known):
            return MaterialisedModel(known, expected_sha256)
    digest = hashlib.sha256()
    staging = models_dir / f".incoming-{os.getpid()}-{threading.get_ident()}.vrm"
    try:
        with source.open("rb") as src, atomic_writer(staging) as dst:
            while chunk := src.read(CHUNK):
                digest.update(chunk)
                dst.write(chunk)
        sha256 = digest.hexdigest()
        if expected_sha256 is not None and sha256 != expected_sha256:
            raise StageError(
                f"{source.name} hashes to {sha256}, not {expected_sha256}", reason="hash-mismatch"
            )
        target = models_dir / f"{sha256}.vrm"
        os.replace(staging, target)
    except OSError as exc:
        raise StageError(
            f"cannot copy {source} for the stage: {exc.strerror}", reason="materialise-failed"
        ) from exc
    finally:
        staging.unlink(missing_ok=True)
    return MaterialisedModel(target, sha256)


def _link(source: Path, target: Path) -> bool:
    """Hard-link ``source`` as ``target`` (atomic: link to a temporary name, then rename)."""
    staging = target.with_name(f".incoming-link-{os.getpid()}-{threading.get_ident()}.vrm")
    try:
        staging.unlink(missing_ok=True)
        os.link(source, staging)
        os.replace(staging, target)
    except OSError:
        staging.unlink(missing_ok=True)
        return False  # another file system, or links not allowed: copy instead
    return True


class StageApplier:
    """Sends scene.apply for the newest selection and re-sends it whenever the stage restarts."""

    def __init__(self, bridge: StageBridge, models_dir: Path) -> None:
        self.bridge = bridge
        self.models_dir = models_dir
        self._lock = threading.Lock()
        self._latest: SceneApply | None = None
        self._latest_request: str | None = None
        self._shown: SceneApplied | None = None
        #: Counts selections; only the newest one is prepared and sent.
        self._selection = 0
        #: Copies files and sends requests in selection order, off the caller's thread.
        self._worker = concurrent.futures.ThreadPoolExecutor(1, thread_name_prefix="stage-apply")
        #: A selection (and its caller's future) waiting for a stage to connect.
        self._waiting: tuple[concurrent.futures.Future[ApplyResult], SceneApply] | None = None

    @property
    def shown(self) -> SceneApplied | None:
        """What the stage shows now, as it last confirmed."""
        return self._shown

    def on_stage_ready(self, _ready: StageReady) -> None:
        """Supervisor ready hook: a fresh stage shows nothing, so re-apply the latest choice."""
        with self._lock:
            self._shown = None
            if self._latest_request is not None:
                return  # already sent on this connection (between hello and ready)
            latest, waiting = self._latest, self._waiting
            self._waiting = None
        if latest is not None:
            log.stage.info("applying %s on the (re)started stage", latest.name)
            self._send(latest, waiting[0] if waiting is not None else None)

    def fail_waiting(self, error: StageError) -> None:
        """The stage will not come back (stopped, gave up): fail a selection parked for it.

        Runs after any selection still being prepared, so that one is failed too.
        """
        self._worker.submit(self._fail_waiting_now, error)

    def _fail_waiting_now(self, error: StageError) -> None:
        with self._lock:
            waiting, self._waiting = self._waiting, None
        if waiting is not None and not waiting[0].done():
            waiting[0].set_exception(error)

    def apply(
        self, source: Path, *, model_id: str | None = None, name: str = ""
    ) -> concurrent.futures.Future[ApplyResult]:
        """Select ``source``; the future resolves when the stage answers (or a newer one wins).

        Returns at once: the file is copied into the stage folder on a worker thread, so
        a UI thread never waits for a large model. Failures arrive through the future.
        """
        result: concurrent.futures.Future[ApplyResult] = concurrent.futures.Future()
        with self._lock:
            self._selection += 1
            selection = self._selection
        self._worker.submit(self._prepare, selection, source, model_id, name, result)
        return result

    def _prepare(
        self,
        selection: int,
        source: Path,
        model_id: str | None,
        name: str,
        result: concurrent.futures.Future[ApplyResult],
    ) -> None:
        """On the worker: materialise the file, then send (unless a newer selection came)."""
        if selection != self._selection:
            result.set_result(ApplyResult("superseded", model_id or ""))
            return
        try:
            model = materialise(
                source,
                self.models_dir,
                expected_sha256=model_id if model_id and _SHA256.fullmatch(model_id) else None,
            )
        except StageError as exc:
            result.set_exception(exc)
            return
        except Exception as exc:  # never leave the caller waiting
            result.set_exception(StageError(f"cannot prepare {source.name}: {exc}"))
            return
        request = SceneApply(
            modelId=model_id or model.sha256,
            format="vrm",
            path=str(model.path),
            sha256=model.sha256,
            name=name or source.stem,
        )
        with self._lock:
            if selection != self._selection:
                result.set_result(ApplyResult("superseded", request.modelId))
                return
            shown = self._shown
            if shown is not None and shown.sha256 == model.sha256 and self._latest_request is None:
                self._latest = request
                result.set_result(ApplyResult("unchanged", request.modelId, applied=shown))
                return
        self._send(request, result)

    def _send(
        self,
        request: SceneApply,
        result: concurrent.futures.Future[ApplyResult] | None = None,
    ) -> concurrent.futures.Future[ApplyResult]:
        """Send ``request`` now, or park it until the stage is ready if none is connected."""
        result = result or concurrent.futures.Future()
        started = time.perf_counter()
        with self._lock:
            previous, overtaken = self._latest_request, self._waiting
            self._latest = request
            self._waiting = None
            if self.bridge.connected:
                request_id, reply = self.bridge.request(request)
                self._latest_request = request_id
            else:
                request_id, reply = None, None
                self._latest_request = None
                self._waiting = (result, request)  # sent by on_stage_ready
        if overtaken is not None and overtaken[0] is not result and not overtaken[0].done():
            overtaken[0].set_result(ApplyResult("superseded", overtaken[1].modelId))
        if previous is not None:
            self.bridge.forget(previous)  # its answer, if any, is now stale
        if reply is not None and request_id is not None:
            rid = request_id
            reply.add_done_callback(lambda f: self._answered(f, request, rid, started, result))
        return result

    def _answered(
        self,
        reply: concurrent.futures.Future[Envelope],
        request: SceneApply,
        request_id: str,
        started: float,
        result: concurrent.futures.Future[ApplyResult],
    ) -> None:
        elapsed = (time.perf_counter() - started) * 1000
        if reply.cancelled():
            result.set_result(ApplyResult("superseded", request.modelId, request_id))
            return
        error = reply.exception()
        if error is not None:
            with self._lock:
                latest = self._latest_request == request_id
                if latest:
                    self._latest_request = None
                    if isinstance(error, BridgeError) and self._waiting is None:
                        self._waiting = (result, request)  # stage gone: re-sent when back
                        return
            if latest or not isinstance(error, BridgeError):
                result.set_exception(error)
            else:
                result.set_result(ApplyResult("superseded", request.modelId, request_id))
            return
        payload = reply.result().payload
        with self._lock:
            if self._latest_request != request_id:
                result.set_result(ApplyResult("superseded", request.modelId, request_id))
                return
            self._latest_request = None
            if isinstance(payload, SceneApplied):
                self._shown = payload
        if isinstance(payload, SceneApplied):
            self._collect(keep=payload.sha256)
            result.set_result(
                ApplyResult(
                    "applied", request.modelId, request_id, applied=payload, elapsed_ms=elapsed
                )
            )
        elif isinstance(payload, SceneError):
            log.stage.warning(
                "the stage refused %s (%s): %s", request.name, payload.code, payload.message
            )
            result.set_result(
                ApplyResult("error", request.modelId, request_id, error=payload, elapsed_ms=elapsed)
            )
        else:
            result.set_exception(
                StageError(
                    f"unexpected answer {reply.result().type} to scene.apply", reason="bad-answer"
                )
            )

    def _collect(self, *, keep: str) -> None:
        """Delete stage copies other than the one shown (and the one in flight)."""
        with self._lock:
            latest = self._latest.sha256 if self._latest else keep
        for path in self.models_dir.glob("*.vrm"):
            if path.stem in (keep, latest) or path.name.startswith(".incoming-"):
                continue
            try:
                path.unlink()
            except OSError as exc:
                log.stage.warning("cannot remove old stage copy %s: %s", path.name, exc)
