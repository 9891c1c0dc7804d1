"""Inline messages instead of modal pop-ups, so a failed import never interrupts the user.

A banner says what happened, carries the stable reason code (shown small, and kept
as a property for tests and bug reports) and can be dismissed.
"""

from __future__ import annotations

from typing import Literal

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QFrame, QHBoxLayout, QLabel, QToolButton, QVBoxLayout, QWidget

__all__ = ["Banner", "BannerArea", "BannerKind"]

BannerKind = Literal["error", "warning", "info", "success"]

_GLYPHS: dict[str, str] = {"error": "✕", "warning": "!", "info": "i", "success": "✓"}


class Banner(QFrame):
    """One message with an optional reason code and a close button."""

    dismissed = Signal()

    def __init__(
        self,
        kind: BannerKind,
        title: str,
        message: str = "",
        *,
        reason: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.kind = kind
        self.reason = reason
        self.setObjectName("banner")
        self.setProperty("kind", kind)
        glyph = QLabel(_GLYPHS[kind])
        glyph.setObjectName("bannerGlyph")
        glyph.setAlignment(Qt.AlignmentFlag.AlignCenter)
        glyph.setFixedSize(22, 22)
        self.title_label = QLabel(title)
        self.title_label.setObjectName("bannerTitle")
        self.title_label.setWordWrap(True)
        self.title_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label = QLabel(message)
        self.message_label.setObjectName("bannerMessage")
        self.message_label.setWordWrap(True)
        self.message_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.message_label.setVisible(bool(message))
        self.reason_label = QLabel(reason or "")
        self.reason_label.setObjectName("bannerReason")
        self.reason_label.setVisible(bool(reason))
        self.reason_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        close = QToolButton()
        close.setObjectName("bannerClose")
        close.setText("✕")
        close.setToolTip("Dismiss")
        close.setAutoRaise(True)
        close.clicked.connect(self.dismiss)

        heading = QHBoxLayout()
        heading.setSpacing(8)
        heading.addWidget(self.title_label, 1)
        heading.addWidget(self.reason_label, 0, Qt.AlignmentFlag.AlignTop)
        text = QVBoxLayout()
        text.setSpacing(2)
        text.addLayout(heading)
        text.addWidget(self.message_label)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 6, 8)
        row.setSpacing(10)
        row.addWidget(glyph, 0, Qt.AlignmentFlag.AlignTop)
        row.addLayout(text, 1)
        row.addWidget(close, 0, Qt.AlignmentFlag.AlignTop)

    def text(self) -> str:
        """Everything the banner says, for logs and tests."""
        parts = [self.title_label.text(), self.message_label.text(), self.reason or ""]
        return " ".join(part for part in parts if part)

    def dismiss(self) -> None:
        self.hide()
        self.dismissed.emit()
        self.deleteLater()


class BannerArea(QWidget):
    """A stack of banners that takes no space while empty."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._layout = QVBoxLayout(self)
        self._layout.setContentsMargins(0, 0, 0, 0)
        self._layout.setSpacing(6)
        self.setVisible(False)

    def add(
        self, kind: BannerKind, title: str, message: str = "", *, reason: str | None = None
    ) -> Banner:
        banner = Banner(kind, title, message, reason=reason, parent=self)
        banner.dismissed.connect(lambda: self._forget(banner))
        self._layout.addWidget(banner)
        self.setVisible(True)
        return banner

    def banners(self) -> list[Banner]:
        """The banners still shown, oldest first."""
        found = []
        for index in range(self._layout.count()):
            item = self._layout.itemAt(index)
            widget = item.widget() if item is not None else None
            if isinstance(widget, Banner) and not widget.isHidden():
                found.append(widget)
        return found

    def clear(self, kind: BannerKind | None = None) -> None:
        for banner in self.banners():
            if kind is None or banner.kind == kind:
                banner.dismiss()

    def _forget(self, banner: Banner) -> None:
        self._layout.removeWidget(banner)
        self.setVisible(bool(self.banners()))
