"""The settings window's look, in one place so pages stay free of colour literals."""

from __future__ import annotations

from typing import Final

from PySide6.QtGui import QColor, QPalette

__all__ = ["STYLE_SHEET", "light_palette"]

ACCENT: Final = "#5b5bd6"

STYLE_SHEET: Final = f"""
QWidget#settingsRoot {{ background: #f6f6f9; }}
QWidget#sidebar {{ background: #ececf2; }}
QLabel#appName {{ font-size: 14px; font-weight: 700; color: #2b2b6e; }}
QLabel#appVersion {{ color: #8a8a99; font-size: 11px; }}
QScrollArea#pageScroller {{ background: transparent; }}
QPushButton#quitButton {{ padding: 4px 12px; font-size: 12px; color: #4a4a57; }}
QListWidget#pageList {{
    background: transparent; border: none; padding: 6px 8px; font-size: 14px; outline: none;
}}
QListWidget#pageList::item {{
    padding: 8px 12px; border-radius: 6px; margin: 1px 0; color: #2b2b33;
}}
QListWidget#pageList::item:selected {{ background: {ACCENT}; color: white; }}
QLabel#pageTitle {{ font-size: 20px; font-weight: 600; color: #1f1f29; }}
QLabel#pageSubtitle {{ color: #5c5c6b; }}
QFrame#banner {{ border-radius: 8px; border: 1px solid; }}
QFrame#banner[kind="error"] {{ background: #fdecec; border-color: #f0b4b4; }}
QFrame#banner[kind="warning"] {{ background: #fff6e0; border-color: #ecd08a; }}
QFrame#banner[kind="info"] {{ background: #eaf1fd; border-color: #b3c9ef; }}
QFrame#banner[kind="success"] {{ background: #e8f6ec; border-color: #a9d8b6; }}
QLabel#bannerGlyph {{ border-radius: 11px; color: white; font-weight: 700; }}
QFrame#banner[kind="error"] QLabel#bannerGlyph {{ background: #d14343; }}
QFrame#banner[kind="warning"] QLabel#bannerGlyph {{ background: #c98a00; }}
QFrame#banner[kind="info"] QLabel#bannerGlyph {{ background: #3f6fd1; }}
QFrame#banner[kind="success"] QLabel#bannerGlyph {{ background: #2f9e55; }}
QLabel#bannerTitle {{ font-weight: 600; color: #1f1f29; }}
QLabel#bannerMessage {{ color: #3b3b47; }}
QLabel#bannerReason {{
    font-family: monospace; font-size: 11px; color: #5c5c6b;
    background: rgba(0, 0, 0, 0.06); border-radius: 4px; padding: 1px 6px;
}}
QListWidget#modelList {{
    background: white; border: 1px solid #dcdce4; border-radius: 10px; padding: 4px; outline: none;
}}
QListWidget#modelList::item {{ border-radius: 8px; margin: 2px; }}
QListWidget#modelList::item:hover {{ background: #f2f2f8; }}
QListWidget#modelList::item:selected {{ background: #e6e6fb; }}
QListWidget#modelList[dropTarget="true"] {{ border: 2px dashed {ACCENT}; background: #f3f3ff; }}
QLabel#modelTitle {{ font-size: 15px; font-weight: 600; color: #1f1f29; }}
QLabel#modelAuthor {{ color: #4a4a57; }}
QLabel#modelDetails {{ color: #6b6b7a; font-size: 12px; }}
QLabel#modelLicence {{ color: #4a4a57; font-size: 12px; }}
QLabel#licenceCaption {{ color: #8a8a99; font-size: 11px; font-weight: 600; }}
QListWidget#modelList QScrollBar:vertical {{
    background: transparent; width: 10px; margin: 4px 2px 4px 0;
}}
QListWidget#modelList QScrollBar::handle:vertical {{
    background: #c9c9d6; border-radius: 4px; min-height: 32px;
}}
QListWidget#modelList QScrollBar::handle:vertical:hover {{ background: #a5a5b3; }}
QListWidget#modelList QScrollBar::add-line, QListWidget#modelList QScrollBar::sub-line {{
    height: 0; width: 0;
}}
QListWidget#modelList QScrollBar::add-page, QListWidget#modelList QScrollBar::sub-page {{
    background: transparent;
}}
QLabel#chip {{
    background: #ececf2; color: #3b3b47; border-radius: 9px; padding: 1px 8px; font-size: 11px;
}}
QLabel#selectedChip {{
    background: {ACCENT}; color: white; border-radius: 9px; padding: 1px 8px; font-size: 11px;
    font-weight: 600;
}}
QLabel#thumbnail {{ background: #ececf2; border-radius: 8px; color: #9a9aab; font-size: 22px; }}
QFrame#progressPanel, QFrame#confirmPanel {{
    background: white; border: 1px solid #dcdce4; border-radius: 8px;
}}
QProgressBar {{
    border: none; background: #ececf2; border-radius: 4px; height: 8px; text-align: center;
}}
QProgressBar::chunk {{ background: {ACCENT}; border-radius: 4px; }}
QPushButton {{
    padding: 6px 14px; border-radius: 6px; border: 1px solid #c9c9d6; background: white;
    color: #1f1f29;
}}
QPushButton:hover {{ background: #f2f2f8; }}
QPushButton:disabled {{ color: #a5a5b3; border-color: #e0e0e8; }}
QPushButton#primaryButton {{ background: {ACCENT}; color: white; border-color: {ACCENT}; }}
QPushButton#primaryButton:disabled {{ background: #b9b9e6; border-color: #b9b9e6; }}
QPushButton#dangerButton {{ color: #b42323; }}
QLabel#hint {{ color: #6b6b7a; font-size: 12px; }}
QLabel#stageStatus, QLabel#stageApply, QLabel#stageGodotStatus {{ color: #1b6b36; }}
QLabel#stageStatus[failed="true"], QLabel#stageApply[failed="true"],
QLabel#stageGodotStatus[failed="true"] {{ color: #b42323; }}
QLabel#stageState {{
    background: #ececf2; color: #3b3b47; border-radius: 9px; padding: 2px 10px; font-weight: 600;
}}
QLabel#stageState[state="running"] {{ background: #e8f6ec; color: #1b6b36; }}
QLabel#stageState[state="error"] {{ background: #fdecec; color: #b42323; }}
QLabel#stageState[state="restarting"], QLabel#stageState[state="starting"] {{
    background: #fff6e0; color: #8a5a00;
}}
QLabel#stageReason {{ color: #b42323; }}
QWidget#speechPage QLabel#status[error="true"] {{ color: #b42323; }}
QPlainTextEdit#godotOutput {{
    font-family: monospace; font-size: 12px; background: white; border: 1px solid #dcdce4;
    border-radius: 8px; padding: 4px;
}}
"""


def light_palette() -> QPalette:
    """Text and background roles matching the style sheet, whatever the desktop's theme.

    Widgets the style sheet does not colour (plain labels, inputs of other pages) take
    their colours from the palette; a dark desktop palette would put light text on the
    window's light panels.
    """
    palette = QPalette()
    roles = {
        QPalette.ColorRole.Window: "#f6f6f9",
        QPalette.ColorRole.WindowText: "#1f1f29",
        QPalette.ColorRole.Base: "#ffffff",
        QPalette.ColorRole.AlternateBase: "#f2f2f8",
        QPalette.ColorRole.Text: "#1f1f29",
        QPalette.ColorRole.Button: "#ffffff",
        QPalette.ColorRole.ButtonText: "#1f1f29",
        QPalette.ColorRole.Highlight: ACCENT,
        QPalette.ColorRole.HighlightedText: "#ffffff",
        QPalette.ColorRole.ToolTipBase: "#ffffff",
        QPalette.ColorRole.ToolTipText: "#1f1f29",
        QPalette.ColorRole.PlaceholderText: "#8a8a99",
    }
    for role, colour in roles.items():
        palette.setColor(role, QColor(colour))
    return palette
