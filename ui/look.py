"""The console's look: style sheet, fonts (CJK-capable), recoloured SVG icons, role properties.

Widgets never hard-code colours; they set a ``role`` (and ``tier``/``tone``/``level``) dynamic
property that ``resources/console.qss`` styles, so the palette lives in one file.
"""

from __future__ import annotations

from functools import cache
from importlib import resources as importlib_resources
from pathlib import Path

from PySide6.QtCore import QByteArray, QSize, Qt
from PySide6.QtGui import QFont, QFontDatabase, QIcon, QPainter, QPixmap
from PySide6.QtSvg import QSvgRenderer
from PySide6.QtWidgets import QApplication, QWidget

ICON_COLOUR = "#334155"
_SVG_STROKE = "#334155"

# Families in order of preference; Noto Sans CJK covers Chinese and Latin alike.
_FONT_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Noto Sans", "DejaVu Sans")


def resource_path(name: str) -> Path:
    """Path of a file in the ``resources`` package (works from a checkout and a wheel)."""
    return Path(str(importlib_resources.files("resources").joinpath(name)))


def apply_style(app: QApplication) -> None:
    """Install the font and the style sheet on the application (call once, at start)."""
    available = set(QFontDatabase.families())
    family = next((f for f in _FONT_FAMILIES if f in available), None)
    font = QFont(family) if family else app.font()
    font.setPointSizeF(10)
    font.setHintingPreference(QFont.HintingPreference.PreferNoHinting)
    app.setFont(font)
    app.setStyle("Fusion")
    sheet = resource_path("console.qss").read_text(encoding="utf-8")
    # url() in a style sheet is relative to the working directory; make it absolute.
    app.setStyleSheet(sheet.replace("@RESOURCES@", resource_path("").as_posix().rstrip("/")))
    app.setWindowIcon(QIcon(str(resource_path("logo.svg"))))


@cache
def _svg(name: str) -> str:
    return resource_path(f"icon-{name}.svg").read_text(encoding="utf-8")


@cache
def icon(name: str, colour: str = ICON_COLOUR, size: int = 20) -> QIcon:
    """The named icon drawn in ``colour`` (the SVGs are single-colour strokes)."""
    data = _svg(name).replace(_SVG_STROKE, colour)
    renderer = QSvgRenderer(QByteArray(data.encode("utf-8")))
    result = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(QSize(size * scale, size * scale))
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        renderer.render(painter)
        painter.end()
        pixmap.setDevicePixelRatio(scale)
        result.addPixmap(pixmap)
    return result


def styled(widget: QWidget, role: str, **props: str) -> QWidget:
    """Set the ``role`` and other style properties on ``widget`` and re-polish it."""
    widget.setProperty("role", role)
    for key, value in props.items():
        widget.setProperty(key, value)
    repolish(widget)
    return widget


def set_prop(widget: QWidget, key: str, value: str | bool) -> None:
    """Change one style property and re-polish (Qt does not re-evaluate selectors by itself)."""
    if widget.property(key) == value:
        return
    widget.setProperty(key, value)
    repolish(widget)


def repolish(widget: QWidget) -> None:
    style = widget.style()
    style.unpolish(widget)
    style.polish(widget)
