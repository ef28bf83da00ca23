"""Input injection on the customer's machine: one interface, a backend per platform.

Only the assist calls an injector, and only while the customer's consent allows control
(``remote.assist.consent.ConsentGate``); the injector itself does not know about consent.
"""

from remote.inject.base import BUTTON_BITS, InjectError, InputInjector

__all__ = ["BUTTON_BITS", "InjectError", "InputInjector"]
