"""``tandem-view --window``: the remote screen 1:1 in a plain Tk window, input forwarded.

Tk owns the main thread; the ``ViewerClient`` runs on an asyncio loop in a worker thread.
The window polls the client every 15 ms and repaints only when a new frame was applied;
input goes to the loop with ``run_coroutine_threadsafe``. For demos, Linux admins and
side-by-side comparison with VNC viewers; the console has its own Qt widget.
"""

from __future__ import annotations

import asyncio
import tkinter as tk
from collections.abc import Coroutine
from typing import Any

from PIL import ImageTk

from remote.protocol.messages import Buttons
from remote.viewer.client import ViewerClient
from remote.viewer.snapshot import framebuffer_image

POLL_MS = 15
_TK_BUTTONS = {1: Buttons.LEFT, 2: Buttons.MIDDLE, 3: Buttons.RIGHT}
_TK_WHEEL = {4: Buttons.WHEEL_UP, 5: Buttons.WHEEL_DOWN}


class ViewerWindow:
    """A Tk window showing ``client.framebuffer``; closes when the session does."""

    def __init__(self, client: ViewerClient, loop: asyncio.AbstractEventLoop,
                 title: str = "Tandem viewer", fullscreen: bool = False) -> None:
        self.client = client
        self.loop = loop
        self.root = tk.Tk()
        self.root.title(title)
        if fullscreen:
            self.root.attributes("-fullscreen", True)
        self.label = tk.Label(self.root, borderwidth=0, highlightthickness=0, cursor="dot")
        self.label.pack()
        self._photo: ImageTk.PhotoImage | None = None
        self._shown_seq = -1
        self._buttons = 0
        self._pressed: set[int] = set()
        self._bind()

    def _bind(self) -> None:
        label = self.label
        label.bind("<Motion>", self.on_motion)
        label.bind("<ButtonPress>", self.on_button_press)
        label.bind("<ButtonRelease>", self.on_button_release)
        label.bind("<MouseWheel>", self.on_wheel)
        self.root.bind("<KeyPress>", self.on_key_press)
        self.root.bind("<KeyRelease>", self.on_key_release)
        self.root.bind("<FocusOut>", self.on_focus_out)
        self.root.protocol("WM_DELETE_WINDOW", self.root.destroy)

    def run(self) -> None:
        self.root.after(POLL_MS, self.on_poll)
        self.root.mainloop()

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop)

    def on_poll(self) -> None:
        client = self.client
        if client.closed is not None:
            self.root.destroy()
            return
        fb = client.framebuffer
        if fb is not None and client.last_seq != self._shown_seq:
            self._shown_seq = client.last_seq
            self._photo = ImageTk.PhotoImage(framebuffer_image(fb))
            self.label.configure(image=self._photo)
        self.root.after(POLL_MS, self.on_poll)

    def on_motion(self, event: tk.Event) -> None:
        self._submit(self.client.send_pointer(max(event.x, 0), max(event.y, 0), self._buttons))

    def on_button_press(self, event: tk.Event) -> None:
        x, y = max(event.x, 0), max(event.y, 0)
        if event.num in _TK_WHEEL:  # X11 reports the wheel as buttons 4 and 5
            self._wheel(x, y, _TK_WHEEL[event.num])
            return
        self._buttons |= _TK_BUTTONS.get(event.num, 0)
        self._submit(self.client.send_pointer(x, y, self._buttons))

    def on_button_release(self, event: tk.Event) -> None:
        if event.num in _TK_WHEEL:
            return
        self._buttons &= ~_TK_BUTTONS.get(event.num, 0)
        self._submit(self.client.send_pointer(max(event.x, 0), max(event.y, 0), self._buttons))

    def on_wheel(self, event: tk.Event) -> None:
        self._wheel(max(event.x, 0), max(event.y, 0),
                    Buttons.WHEEL_UP if event.delta > 0 else Buttons.WHEEL_DOWN)

    def _wheel(self, x: int, y: int, bit: int) -> None:
        self._submit(self.client.send_pointer(x, y, self._buttons | bit))
        self._submit(self.client.send_pointer(x, y, self._buttons))

    def on_key_press(self, event: tk.Event) -> None:
        # On X11 Tk's keysym_num is the X keysym, which is what KeyEvent carries.
        self._pressed.add(event.keysym_num)
        self._submit(self.client.send_key(event.keysym_num, True))

    def on_key_release(self, event: tk.Event) -> None:
        self._pressed.discard(event.keysym_num)
        self._submit(self.client.send_key(event.keysym_num, False))

    def on_focus_out(self, event: tk.Event) -> None:
        # Release every held key so nothing stays stuck on the customer's machine.
        for sym in sorted(self._pressed):
            self._submit(self.client.send_key(sym, False))
        self._pressed.clear()
