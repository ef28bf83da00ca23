"""Render the QA replay screen with a demo recording (docs/screenshots/replay.png).

    QT_QPA_PLATFORM=offscreen python -m ui.replay.showcase docs/screenshots/replay.png
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

from PySide6.QtCore import QEventLoop, QTimer
from PySide6.QtWidgets import QApplication, QHBoxLayout, QWidget

from remote.recording.demo import write_demo_recording
from ui.look import apply_style
from ui.replay.player import ReplayPlayer
from ui.replay.scorecard import ScorecardPanel

CRITERIA = [
    {"key": "greeting", "label": "Greeting", "weight": 1, "max": 5},
    {"key": "identity_check", "label": "Identity check", "weight": 1, "max": 5},
    {"key": "consent_asked", "label": "Consent asked", "weight": 2, "max": 5},
    {"key": "resolution", "label": "Resolution", "weight": 3, "max": 5},
    {"key": "courtesy", "label": "Courtesy", "weight": 1, "max": 5},
]


def _wait(signal, timeout_ms: int = 10_000) -> None:  # noqa: ANN001 - a Qt signal
    loop = QEventLoop()
    signal.connect(loop.quit)
    QTimer.singleShot(timeout_ms, loop.quit)
    loop.exec()


def render(out: Path, at_ms: int = 31_000) -> Path:
    app = QApplication.instance() or QApplication(sys.argv)
    apply_style(app)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_demo_recording(Path(tmp) / "demo.trec", seconds=120)
        window = QWidget()
        window.setWindowTitle("Tandem — QA replay")
        layout = QHBoxLayout(window)
        player = ReplayPlayer()
        panel = ScorecardPanel()
        panel.set_criteria(CRITERIA)
        panel.set_reviews([{"reviewer_name": "Quinn (QA)", "percent": 86.0,
                            "comment": "Asked for consent before control. Good.",
                            "created_at": "2026-11-27T16:05:00+00:00"}])
        for key, value in (("greeting", 5), ("identity_check", 5), ("consent_asked", 5)):
            panel.set_score(key, value)
        panel.comment.setPlainText("Verified the customer number before taking control.")
        panel.setFixedWidth(300)
        layout.addWidget(player, 1)
        layout.addWidget(panel)
        window.resize(1440, 860)
        window.show()
        player.open(path)
        _wait(player.frame_shown)
        player.seek(at_ms)
        _wait(player.frame_shown)
        app.processEvents()
        out.parent.mkdir(parents=True, exist_ok=True)
        window.grab().save(str(out))
        player.shutdown()
        window.close()
    return out


if __name__ == "__main__":
    print(render(Path(sys.argv[1] if len(sys.argv) > 1 else "docs/screenshots/replay.png")))
