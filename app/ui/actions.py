"""The shell's outward-facing signals, so other concerns react without knowing the widgets.

The tray, the settings window and a second launch all ask for the same few things
(show the stage, quit, use another model). They emit them here; the lead wires the
stage supervisor to these signals and nothing in app/ui needs to know it exists.
"""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

__all__ = ["ShellActions"]


class ShellActions(QObject):
    """Requests from the user, emitted by whichever widget received them."""

    show_stage_requested = Signal()
    settings_requested = Signal()
    quit_requested = Signal()
    #: The id of the newly selected model ("" means the built-in default).
    model_selected = Signal(str)
