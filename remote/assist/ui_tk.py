"""Tandem Assist's window (Tk, standard library).

The Tk main loop owns every widget; the session runs on a worker thread with its own
asyncio loop and reaches the widgets only through ``_post`` (a queue drained by a Tk timer),
because Tk must not be touched from another thread. Buttons call the session's
thread-safe commands. While the agent may see the screen a red "SESSION ON" bar with
"View only" and "Stop" stays visible.
"""

from __future__ import annotations

import queue
import threading
import tkinter as tk
from collections.abc import Callable
from dataclasses import replace
from tkinter import ttk
from typing import Any

from remote.protocol.messages import ConsentLevel, Role

POLL_MS = 40


CORNER_GEOMETRY = "-24-56"


class TkApp:
    """The window; also the session's ``AssistUI`` (every method marshals to Tk)."""

    def __init__(self, options: Any, report: Callable[[], Any], vendor: Any, *,
                 start_now: bool = False, root: tk.Tk | None = None) -> None:
        self.options = options
        self.report = report
        self.vendor = vendor
        self.session: Any = None
        self.worker: threading.Thread | None = None
        self.result: str | None = None
        self._queue: queue.Queue[Callable[[], None]] = queue.Queue()
        self.root = root or tk.Tk()
        title = "Tandem Assist" + (f" — {vendor.name}" if vendor.name else "")
        self.root.title(title)
        self.root.protocol("WM_DELETE_WINDOW", self.on_close)
        self.consent_dialog: tk.Toplevel | None = None
        self.consent_buttons: dict[str, ttk.Button] = {}
        self.rating_dialog: tk.Toplevel | None = None
        self.rating_buttons: dict[int, ttk.Button] = {}
        self._build()
        # Bottom-right, anchored to the corner as the window grows: out of the way of the
        # customer's own work (and of the console, in the demo), like a call's panel.
        self.root.geometry(CORNER_GEOMETRY)
        self.root.after(POLL_MS, self._drain)
        if start_now:
            self.start_session()

    # -- layout ------------------------------------------------------------------------

    def _build(self) -> None:
        pad = {"padx": 8, "pady": 4}
        self.request_frame = ttk.Frame(self.root)
        self.request_frame.pack(fill="x", **pad)
        ttk.Label(self.request_frame, text="Describe your problem (optional):").pack(anchor="w")
        self.problem = tk.Text(self.request_frame, height=4, width=50)
        self.problem.insert("1.0", self.options.problem)
        self.problem.pack(fill="x")
        self.request_button = ttk.Button(self.request_frame, text="Request help",
                                         command=self.start_session)
        self.request_button.pack(anchor="e", pady=4)
        code_row = ttk.Frame(self.request_frame)
        code_row.pack(fill="x")
        ttk.Label(code_row, text="Or enter the session code the agent gave you:").pack(
            side="left")
        self.code_entry = ttk.Entry(code_row, width=12)
        self.code_entry.pack(side="left", padx=4)
        self.join_button = ttk.Button(code_row, text="Join", command=self.join_with_code)
        self.join_button.pack(side="left")

        self.status_var = tk.StringVar(value="Ready.")
        ttk.Label(self.root, textvariable=self.status_var).pack(anchor="w", **pad)

        self.session_bar = tk.Frame(self.root, bg="#b00020")
        self.session_var = tk.StringVar(value="")
        tk.Label(self.session_bar, textvariable=self.session_var, bg="#b00020", fg="white",
                 font=("TkDefaultFont", 11, "bold")).pack(side="left", padx=8, pady=6)
        self.stop_button = ttk.Button(self.session_bar, text="Stop", command=self.on_stop)
        self.stop_button.pack(side="right", padx=4, pady=4)
        self.view_only_button = ttk.Button(self.session_bar, text="View only",
                                           command=self.on_view_only)
        self.view_only_button.pack(side="right", padx=4, pady=4)

        self.chat_frame = ttk.Frame(self.root)
        self.chat_log = tk.Text(self.chat_frame, height=8, width=50, state="disabled")
        self.chat_log.pack(fill="both", expand=True)
        row = ttk.Frame(self.chat_frame)
        row.pack(fill="x")
        self.chat_entry = ttk.Entry(row)
        self.chat_entry.pack(side="left", fill="x", expand=True)
        self.chat_entry.bind("<Return>", lambda e: self.on_send_chat())
        ttk.Button(row, text="Send", command=self.on_send_chat).pack(side="left")
        ttk.Button(row, text="Send my clipboard", command=self.on_send_clipboard).pack(
            side="left")
        self.end_button = ttk.Button(self.chat_frame, text="End session", command=self.on_stop)
        self.end_button.pack(anchor="e", pady=4)

    # -- actions (Tk thread) -------------------------------------------------------------

    def start_session(self, code: str | None = None) -> None:
        if self.worker is not None:
            return
        from remote.assist.main import run_session

        problem = self.problem.get("1.0", "end").strip()
        options = replace(self.options, problem=problem, code=code or self.options.code)
        self.request_frame.pack_forget()
        self.chat_frame.pack(fill="both", expand=True, padx=8, pady=4)

        def work() -> None:
            text = run_session(options, self)
            self.result = text

        self.worker = threading.Thread(target=work, name="tandem-session", daemon=True)
        self.worker.start()

    def join_with_code(self) -> None:
        code = self.code_entry.get().strip()
        if code:
            self.start_session(code)

    def attach(self, session: Any) -> None:  # called on the worker thread
        self.session = session

    def on_view_only(self) -> None:
        if self.session is not None:
            self.session.set_consent(ConsentLevel.VIEW)

    def on_stop(self) -> None:
        if self.session is not None:
            self.session.stop()

    def on_send_chat(self) -> None:
        text = self.chat_entry.get().strip()
        if text and self.session is not None:
            self.session.send_chat(text)
            self._append_chat("You", text)
            self.chat_entry.delete(0, "end")

    def on_send_clipboard(self) -> None:
        try:
            text = self.root.clipboard_get()
        except tk.TclError:
            return
        if self.session is not None:
            self.session.send_clipboard(text)

    def on_close(self) -> None:
        if self.session is not None:
            self.session.stop()
        if self.worker is not None:
            self.worker.join(timeout=5)
        self.root.destroy()

    def answer_consent(self, level: ConsentLevel) -> None:
        if self.consent_dialog is not None:
            self.consent_dialog.destroy()
            self.consent_dialog = None
            self.consent_buttons = {}
        if self.session is not None:
            self.session.set_consent(level)

    def answer_rating(self, score: int) -> None:
        comment = self.rating_comment.get().strip() if self.rating_dialog else ""
        if self.rating_dialog is not None:
            self.rating_dialog.destroy()
            self.rating_dialog = None
            self.rating_buttons = {}
        if self.session is not None:
            self.session.send_rating(score, comment)

    def run(self) -> int:
        self.root.mainloop()
        return 0

    # -- marshalling ---------------------------------------------------------------------

    def _post(self, fn: Callable[[], None]) -> None:
        self._queue.put(fn)

    def _drain(self) -> None:
        while True:
            try:
                fn = self._queue.get_nowait()
            except queue.Empty:
                break
            fn()
        try:
            self.root.after(POLL_MS, self._drain)
        except tk.TclError:  # window destroyed
            pass

    def _append_chat(self, sender: str | None, text: str) -> None:
        """A chat line; without a sender it is a notice from Tandem Assist itself."""
        self.chat_log.configure(state="normal")
        self.chat_log.insert("end", f"{sender}: {text}\n" if sender else f"· {text}\n")
        self.chat_log.see("end")
        self.chat_log.configure(state="disabled")

    def _show_consent(self, agent: str, level: ConsentLevel) -> None:
        if self.consent_dialog is not None:
            self.consent_dialog.destroy()
        dialog = tk.Toplevel(self.root)
        dialog.title("Allow access to your screen?")
        wants = "see and control" if level.allows_control else "see"
        ttk.Label(dialog, text=f"{agent or 'The agent'} would like to {wants} your screen.",
                  wraplength=360).pack(padx=12, pady=10)
        row = ttk.Frame(dialog)
        row.pack(padx=12, pady=8)
        choices = (("view", "View only", ConsentLevel.VIEW),
                   ("control", "View and control", ConsentLevel.CONTROL),
                   ("decline", "Decline", ConsentLevel.NONE))
        self.consent_buttons = {}
        for key, label, answer in choices:
            button = ttk.Button(row, text=label,
                                command=lambda a=answer: self.answer_consent(a))
            button.pack(side="left", padx=4)
            self.consent_buttons[key] = button
        dialog.protocol("WM_DELETE_WINDOW", lambda: self.answer_consent(ConsentLevel.NONE))
        self.consent_dialog = dialog

    def _show_consent_level(self, level: ConsentLevel) -> None:
        if level.allows_view:
            what = "see and control" if level.allows_control else "see"
            self.session_var.set(f"● SESSION ON — {self.session.agent or 'the agent'} can "
                                 f"{what} your screen")
            self.session_bar.pack(fill="x", padx=8, pady=4, before=self.chat_frame)
            self.view_only_button.state(["!disabled"] if level.allows_control else ["disabled"])
        else:
            self.session_bar.pack_forget()

    def _show_rating(self, prompt: str) -> None:
        dialog = tk.Toplevel(self.root)
        dialog.title("Rate this session")
        ttk.Label(dialog, text=prompt or "How did we do?").pack(padx=12, pady=8)
        row = ttk.Frame(dialog)
        row.pack(padx=12)
        self.rating_buttons = {}
        for score in range(1, 6):
            button = ttk.Button(row, text=str(score), width=3,
                                command=lambda s=score: self.answer_rating(s))
            button.pack(side="left", padx=2)
            self.rating_buttons[score] = button
        self.rating_comment = ttk.Entry(dialog, width=40)
        self.rating_comment.pack(padx=12, pady=8)
        self.rating_dialog = dialog

    # -- AssistUI (worker thread) -------------------------------------------------------

    def status(self, text: str) -> None:
        self._post(lambda: self.status_var.set(text))

    def queue_status(self, position: int, eta_s: int) -> None:
        minutes = max(eta_s, 0) // 60 + 1
        self.status(f"You are number {position} in the queue (about {minutes} min).")

    def agent_joined(self, name: str) -> None:
        self.status(f"{name} has joined.")
        self._post(lambda: self._append_chat(None, f"{name} has joined."))

    def consent_requested(self, agent: str, level: ConsentLevel) -> None:
        self._post(lambda: self._show_consent(agent, level))

    def consent_changed(self, level: ConsentLevel) -> None:
        self._post(lambda: self._show_consent_level(level))

    def peer_status(self, role: Role, connected: bool) -> None:
        if role is Role.VIEWER:
            self.status("The agent is connected." if connected
                        else "The agent's connection dropped; waiting…")

    def chat(self, sender: str, text: str) -> None:
        self._post(lambda: self._append_chat(sender, text))

    def clipboard(self, text: str) -> None:
        def put() -> None:
            self.root.clipboard_clear()
            self.root.clipboard_append(text)
        self._post(put)

    def rating_requested(self, prompt: str) -> None:
        self._post(lambda: self._show_rating(prompt))

    def ended(self, text: str) -> None:
        def show() -> None:
            self.status_var.set(f"Session ended: {text}")
            self.session_bar.pack_forget()
            if self.consent_dialog is not None:
                self.consent_dialog.destroy()
                self.consent_dialog = None
        self._post(show)
