"""How one library entry looks in the list: thumbnail, title, author, version, licence."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QByteArray, Qt
from PySide6.QtGui import QPainter, QPainterPath, QPixmap
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.models.library import ModelEntry

__all__ = ["THUMBNAIL_SIZE", "ModelRow", "format_size", "rounded_thumbnail"]

THUMBNAIL_SIZE: Final = 72


def format_size(size: int) -> str:
    value = float(size)
    for unit in ("bytes", "KB", "MB", "GB"):
        if value < 1024 or unit == "GB":
            return f"{value:.0f} {unit}" if unit == "bytes" else f"{value:.1f} {unit}"
        value /= 1024
    raise AssertionError("unreachable")


def rounded_thumbnail(
    data: bytes, size: int = THUMBNAIL_SIZE, radius: float = 8.0
) -> QPixmap | None:
    """Decode image bytes into a square, centre-cropped pixmap with rounded corners."""
    source = QPixmap()
    if not data or not source.loadFromData(QByteArray(data)):
        return None
    scaled = source.scaled(
        size,
        size,
        Qt.AspectRatioMode.KeepAspectRatioByExpanding,
        Qt.TransformationMode.SmoothTransformation,
    )
    x = (scaled.width() - size) // 2
    y = (scaled.height() - size) // 2
    result = QPixmap(size, size)
    result.fill(Qt.GlobalColor.transparent)
    painter = QPainter(result)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(0, 0, size, size, radius, radius)
    painter.setClipPath(path)
    painter.drawPixmap(0, 0, scaled, x, y, size, size)
    painter.end()
    return result


def _chip(text: str, name: str = "chip") -> QLabel:
    label = QLabel(text)
    label.setObjectName(name)
    label.setSizePolicy(QSizePolicy.Policy.Maximum, QSizePolicy.Policy.Fixed)
    return label


class ModelRow(QWidget):
    """The widget shown for one entry; ``set_selected`` toggles the "In use" marker."""

    def __init__(self, entry: ModelEntry, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.entry = entry
        self.setAttribute(Qt.WidgetAttribute.WA_TransparentForMouseEvents)
        self.thumbnail = QLabel("◌")
        self.thumbnail.setObjectName("thumbnail")
        self.thumbnail.setFixedSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)

        self.title = QLabel(entry.title or entry.original_name or "Untitled model")
        self.title.setObjectName("modelTitle")
        self.selected_chip = _chip("✓ In use", "selectedChip")
        self.selected_chip.setVisible(False)
        title_row = QHBoxLayout()
        title_row.setSpacing(8)
        title_row.addWidget(self.title)
        title_row.addWidget(self.selected_chip)
        title_row.addStretch(1)

        authors = ", ".join(entry.authors) if entry.authors else "Unknown author"
        self.author = QLabel(f"by {authors}")
        self.author.setObjectName("modelAuthor")

        chips = QHBoxLayout()
        chips.setSpacing(6)
        self.version_chip = _chip(f"VRM {entry.vrm_version}")
        chips.addWidget(self.version_chip)
        if entry.builtin:
            chips.addWidget(_chip("Built-in"))
        self.licence = _chip(entry.licence_summary or "Licence not stated")
        self.licence.setToolTip(entry.licence_summary)
        chips.addWidget(self.licence)
        detail = (
            "Ships with Companion Stage"
            if entry.builtin
            else f"{format_size(entry.size)} · {entry.original_name}"
        )
        self.details = QLabel(detail)
        self.details.setObjectName("modelDetails")
        chips.addWidget(self.details)
        chips.addStretch(1)

        text = QVBoxLayout()
        text.setSpacing(3)
        text.addStretch(1)
        text.addLayout(title_row)
        text.addWidget(self.author)
        text.addLayout(chips)
        text.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        row.setSpacing(14)
        row.addWidget(self.thumbnail)
        row.addLayout(text, 1)

    def set_thumbnail(self, data: bytes | None) -> None:
        pixmap = rounded_thumbnail(data) if data else None
        if pixmap is None:
            self.thumbnail.setText("?" if data else "◌")
            self.thumbnail.setToolTip(
                "No thumbnail in this file" if not data else "Thumbnail could not be decoded"
            )
            return
        self.thumbnail.setText("")
        self.thumbnail.setPixmap(pixmap)

    def has_thumbnail(self) -> bool:
        pixmap = self.thumbnail.pixmap()
        return pixmap is not None and not pixmap.isNull()

    def set_selected(self, selected: bool) -> None:
        self.selected_chip.setVisible(selected)

    def is_selected(self) -> bool:
        return not self.selected_chip.isHidden()
