"""Save the viewer's framebuffer as a PNG."""

from __future__ import annotations

from pathlib import Path

from PIL import Image

from remote.codec.decoder import Framebuffer


def framebuffer_image(framebuffer: Framebuffer) -> Image.Image:
    """An RGB Pillow image of the framebuffer (BGRX in memory)."""
    pixels = framebuffer.pixels
    height, width = pixels.shape[:2]
    return Image.frombuffer("RGB", (width, height), pixels.tobytes(), "raw", "BGRX", 0, 1)


def save_png(framebuffer: Framebuffer, path: str | Path) -> Path:
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    framebuffer_image(framebuffer).save(path, format="PNG")
    return path
