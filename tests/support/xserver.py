"""A real X server (Xvfb) for tests and benchmarks: started on a free display, stopped after."""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass


class XvfbUnavailable(RuntimeError):
    pass


@dataclass
class Xvfb:
    """An Xvfb process; ``display`` is like ``:42``. Use as a context manager."""

    width: int = 1280
    height: int = 800
    depth: int = 24
    process: subprocess.Popen[bytes] | None = None
    display: str = ""

    def start(self) -> Xvfb:
        exe = shutil.which("Xvfb")
        if exe is None:
            raise XvfbUnavailable("Xvfb is not installed (apt-get install xvfb)")
        read_fd, write_fd = os.pipe()
        self.process = subprocess.Popen(
            [exe, "-displayfd", str(write_fd), "-screen", "0",
             f"{self.width}x{self.height}x{self.depth}", "-nolisten", "tcp", "-noreset",
             "+extension", "XTEST", "+extension", "RANDR"],
            pass_fds=(write_fd,), stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        os.close(write_fd)
        with os.fdopen(read_fd) as pipe:
            number = pipe.readline().strip()
        if not number:
            self.stop()
            raise XvfbUnavailable("Xvfb did not report a display number")
        self.display = f":{number}"
        return self

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.process = None

    def env(self) -> dict[str, str]:
        """The current environment pointed at this display."""
        env = dict(os.environ)
        env["DISPLAY"] = self.display
        env.pop("WAYLAND_DISPLAY", None)
        return env

    def __enter__(self) -> Xvfb:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
