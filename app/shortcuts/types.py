"""The values the shortcut service takes and gives: bindings, results, trigger events.

Plain frozen dataclasses so the CLI, the UI and tests can share them without
importing any backend; ``to_json`` gives the camelCase shape of ``--json`` output.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

__all__ = ["ActiveBinding", "BackendInfo", "Binding", "Phase", "Reason", "Result", "Scope",
           "TriggerEvent"]

Reason = Literal["invalid", "duplicate-id", "conflict", "denied", "unsupported",
                 "backend-unavailable"]
Phase = Literal["down", "up"]
#: "global" works whatever window has focus; "in-app" only while an app window has it.
Scope = Literal["global", "in-app"]


@dataclass(frozen=True)
class Binding:
    """What a caller asks for: an id of its choosing and an accelerator string."""

    id: str
    accelerator: str
    description: str = ""
    receive_key_ups: bool = False


@dataclass(frozen=True)
class Result:
    """The outcome of one registration: ``ok`` with what was bound, or a reason and message."""

    ok: bool
    id: str
    accelerator: str | None  # canonical form actually bound (or parsed, on failure)
    reason: Reason | None = None
    message: str = ""
    backend: str = ""
    scope: Scope | None = None

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "id": self.id, "accelerator": self.accelerator,
                "reason": self.reason, "message": self.message, "backend": self.backend,
                "scope": self.scope}


@dataclass(frozen=True)
class ActiveBinding:
    """A binding the service holds, with the canonical accelerator it bound."""

    binding: Binding
    accelerator: str
    scope: Scope


@dataclass(frozen=True)
class TriggerEvent:
    """A bound combination went down or up; ``t`` is ``time.perf_counter()`` when seen."""

    id: str
    phase: Phase
    t: float


@dataclass(frozen=True)
class BackendInfo:
    """Which backend is in use and why; ``tried`` lists each backend passed over and its reason."""

    name: str
    scope: Scope | None
    why: str
    tried: tuple[tuple[str, Reason, str], ...] = field(default_factory=tuple)

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "scope": self.scope, "why": self.why,
                "tried": [{"backend": n, "reason": r, "message": m} for n, r, m in self.tried]}
