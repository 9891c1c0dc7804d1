"""How one library entry looks in the list: thumbnail, title, author, version, licence."""

from __future__ import annotations

from typing import Final

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QLinearGradient,
    QPainter,
    QPainterPath,
    QPaintEvent,
    QPalette,
    QPixmap,
)
from PySide6.QtWidgets import QHBoxLayout, QLabel, QSizePolicy, QVBoxLayout, QWidget

from app.models.library import ModelEntry

__all__ = [
    "THUMBNAIL_SIZE",
    "ElidedLabel",
    "ModelRow",
    "format_size",
    "placeholder_tile",
    "rounded_thumbnail",
]

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


#: Soft tile colours for models without a thumbnail, picked by id so a model keeps its colour.
_TILE_COLOURS: Final = ("#7b7bf0", "#e07a9a", "#4fa3a5", "#e0a04f", "#8c6bd6", "#5b8fd6")


def placeholder_tile(title: str, model_id: str, size: int = THUMBNAIL_SIZE) -> QPixmap:
    """A coloured tile with the title's initial, for a model that ships no thumbnail."""
    pixmap = QPixmap(size, size)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    path = QPainterPath()
    path.addRoundedRect(0, 0, size, size, 8, 8)
    colour = QColor(_TILE_COLOURS[int(model_id[:8] or "0", 16) % len(_TILE_COLOURS)])
    gradient = QLinearGradient(0, 0, 0, size)
    gradient.setColorAt(0, colour.lighter(115))
    gradient.setColorAt(1, colour.darker(110))
    painter.fillPath(path, gradient)
    font = QFont()
    font.setPixelSize(size * 4 // 9)
    font.setBold(True)
    painter.setFont(font)
    painter.setPen(QColor("white"))
    initial = next((char for char in title if char.isalnum()), "?").upper()
    painter.drawText(pixmap.rect(), Qt.AlignmentFlag.AlignCenter, initial)
    painter.end()
    return pixmap


class ElidedLabel(QLabel):
    """A one-line label that ends in "…" instead of widening the list (full text in its tooltip)."""

    def __init__(self, text: str, parent: QWidget | None = None) -> None:
        super().__init__(text, parent)
        self.setSizePolicy(QSizePolicy.Policy.Ignored, QSizePolicy.Policy.Fixed)

    def minimumSizeHint(self) -> QSize:
        return QSize(40, super().minimumSizeHint().height())

    def sizeHint(self) -> QSize:
        return QSize(40, super().sizeHint().height())

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setPen(self.palette().color(QPalette.ColorRole.WindowText))
        rect = self.contentsRect()
        elided = self.fontMetrics().elidedText(
            self.text(), Qt.TextElideMode.ElideRight, rect.width()
        )
        painter.drawText(rect, int(self.alignment() | Qt.AlignmentFlag.AlignVCenter), elided)
        painter.end()


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
        self.thumbnail = QLabel()
        self.thumbnail.setObjectName("thumbnail")
        self.thumbnail.setFixedSize(THUMBNAIL_SIZE, THUMBNAIL_SIZE)
        self.thumbnail.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self._has_thumbnail = False

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
        detail = (
            "Ships with Companion Stage"
            if entry.builtin
            else f"{format_size(entry.size)} · {entry.original_name}"
        )
        self.details = QLabel(detail)
        self.details.setObjectName("modelDetails")
        chips.addWidget(self.details)
        chips.addStretch(1)

        licence_row = QHBoxLayout()
        licence_row.setSpacing(6)
        licence_caption = QLabel("Licence")
        licence_caption.setObjectName("licenceCaption")
        self.licence = ElidedLabel(entry.licence_summary or "Not stated in the file")
        self.licence.setObjectName("modelLicence")
        self.licence.setToolTip(entry.licence_summary)
        licence_row.addWidget(licence_caption)
        licence_row.addWidget(self.licence, 1)

        text = QVBoxLayout()
        text.setSpacing(3)
        text.addStretch(1)
        text.addLayout(title_row)
        text.addWidget(self.author)
        text.addLayout(chips)
        text.addLayout(licence_row)
        text.addStretch(1)
        row = QHBoxLayout(self)
        row.setContentsMargins(10, 8, 10, 8)
        row.setSpacing(14)
        row.addWidget(self.thumbnail)
        row.addLayout(text, 1)
        self.thumbnail.setPixmap(placeholder_tile(self.title.text(), entry.id))  # until it loads

    def set_thumbnail(self, data: bytes | None) -> None:
        """Show the model's own thumbnail, or a placeholder tile saying why there is none."""
        pixmap = rounded_thumbnail(data) if data else None
        self._has_thumbnail = pixmap is not None
        if pixmap is None:
            pixmap = placeholder_tile(self.title.text(), self.entry.id)
            self.thumbnail.setToolTip(
                "This model has no thumbnail" if not data else "The thumbnail could not be decoded"
            )
        self.thumbnail.setPixmap(pixmap)

    def has_thumbnail(self) -> bool:
        """True once the model's own thumbnail (not a placeholder) is shown."""
        return self._has_thumbnail

    def set_selected(self, selected: bool) -> None:
        self.selected_chip.setVisible(selected)

    def is_selected(self) -> bool:
        return not self.selected_chip.isHidden()
