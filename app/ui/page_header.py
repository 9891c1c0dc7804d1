"""The title and one-line explanation every settings page opens with.

Pages written by different hands looked different (some began with a bare form); one
helper keeps their first lines, margins and style-sheet names the same.
"""

from __future__ import annotations

from PySide6.QtWidgets import QLabel, QVBoxLayout

__all__ = ["add_page_header"]


def add_page_header(layout: QVBoxLayout, title: str, subtitle: str) -> None:
    """Zero the page's margins (the window provides them) and add the title and subtitle."""
    layout.setContentsMargins(0, 0, 0, 0)
    heading = QLabel(title)
    heading.setObjectName("pageTitle")
    explanation = QLabel(subtitle)
    explanation.setObjectName("pageSubtitle")
    explanation.setWordWrap(True)
    layout.addWidget(heading)
    layout.addWidget(explanation)
