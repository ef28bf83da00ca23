"""Tandem Assist without a window: prompts on stdout, answers on stdin.

For machines without Tk (servers, minimal installs) and for scripted tests. Commands,
one per line: at a consent prompt ``1`` view only, ``2`` view and control, ``3`` decline;
any time ``v`` drop to view only, ``s`` stop the session, ``c TEXT`` chat; at a rating
prompt ``r SCORE [COMMENT]``.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Callable
from typing import Any, TextIO

from remote.protocol.messages import ConsentLevel, Role

CONSENT_ANSWERS = {"1": ConsentLevel.VIEW, "2": ConsentLevel.CONTROL, "3": ConsentLevel.NONE,
                   "d": ConsentLevel.NONE}


class TerminalUI:
    """``AssistUI`` on a terminal; ``run_commands`` reads stdin on a daemon thread."""

    def __init__(self, out: TextIO | None = None, inp: TextIO | None = None) -> None:
        self.out = out or sys.stdout
        self.inp = inp or sys.stdin
        self.session: Any = None
        self._lock = threading.Lock()
        self._commands: dict[str, Callable[[str], None]] = {
            "v": lambda rest: self.session.set_consent(ConsentLevel.VIEW),
            "s": lambda rest: self.session.stop(),
            "stop": lambda rest: self.session.stop(),
            "c": lambda rest: self.session.send_chat(rest),
            "r": self._rate,
        }

    def say(self, text: str) -> None:
        with self._lock:
            self.out.write(text + "\n")
            self.out.flush()

    def attach(self, session: Any) -> None:
        self.session = session
        threading.Thread(target=self._read, name="tandem-stdin", daemon=True).start()

    def _read(self) -> None:
        for line in self.inp:
            text = line.strip()
            if not text:
                continue
            word, _, rest = text.partition(" ")
            if word in CONSENT_ANSWERS and not rest:
                self.session.set_consent(CONSENT_ANSWERS[word])
                continue
            handler = self._commands.get(word.lower())
            if handler is None:
                self.say("Commands: 1 view only, 2 view and control, 3 decline, v view only, "
                         "s stop, c TEXT chat, r SCORE [COMMENT] rate")
            else:
                handler(rest)

    def _rate(self, rest: str) -> None:
        score, _, comment = rest.partition(" ")
        if score.isdigit() and 1 <= int(score) <= 5:
            self.session.send_rating(int(score), comment)
            self.say("Thank you for your rating.")
        else:
            self.say("Rate with r 1..5 [comment]")

    # -- AssistUI ------------------------------------------------------------------------

    def status(self, text: str) -> None:
        self.say(text)

    def queue_status(self, position: int, eta_s: int) -> None:
        self.say(f"You are number {position} in the queue (about {max(eta_s, 0) // 60 + 1} min).")

    def agent_joined(self, name: str) -> None:
        self.say(f"Agent {name} has joined.")

    def consent_requested(self, agent: str, level: ConsentLevel) -> None:
        self.say(f"Allow {agent or 'the agent'} to see your screen? "
                 "1 = view only, 2 = view and control, 3 = decline")

    def consent_changed(self, level: ConsentLevel) -> None:
        self.say({ConsentLevel.NONE: "Screen sharing is off.",
                  ConsentLevel.VIEW: "SESSION ON: the agent can see your screen (view only). "
                                     "v = view only, s = stop",
                  ConsentLevel.CONTROL: "SESSION ON: the agent can see and control your screen."
                                        " v = view only, s = stop"}[level])

    def peer_status(self, role: Role, connected: bool) -> None:
        if role is Role.VIEWER:
            self.say("The agent is connected again." if connected
                     else "The agent's connection dropped; waiting…")

    def chat(self, sender: str, text: str) -> None:
        self.say(f"{sender}: {text}")

    def clipboard(self, text: str) -> None:
        self.say(f"The agent sent clipboard text ({len(text)} characters).")

    def rating_requested(self, prompt: str) -> None:
        self.say((prompt or "How did we do?") + " Rate with r 1..5 [comment]")

    def ended(self, text: str) -> None:
        self.say(f"Session ended: {text}")
