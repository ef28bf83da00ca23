"""Text and key names -> X11 keysyms (what KeyEvent carries)."""

from __future__ import annotations

#: The named keys a script is likely to need; any other X keysym can be given as a number.
NAMED_KEYSYMS: dict[str, int] = {
    "BackSpace": 0xFF08, "Tab": 0xFF09, "Return": 0xFF0D, "Enter": 0xFF0D, "Escape": 0xFF1B,
    "Delete": 0xFFFF, "Home": 0xFF50, "Left": 0xFF51, "Up": 0xFF52, "Right": 0xFF53,
    "Down": 0xFF54, "Page_Up": 0xFF55, "Page_Down": 0xFF56, "End": 0xFF57, "Insert": 0xFF63,
    "Shift_L": 0xFFE1, "Shift_R": 0xFFE2, "Control_L": 0xFFE3, "Control_R": 0xFFE4,
    "Alt_L": 0xFFE9, "Alt_R": 0xFFEA, "Super_L": 0xFFEB, "space": 0x20,
    **{f"F{i}": 0xFFBD + i for i in range(1, 13)},
}

_TEXT_SPECIAL = {"\n": 0xFF0D, "\r": 0xFF0D, "\t": 0xFF09, "\b": 0xFF08}


def keysym_for_char(char: str) -> int:
    """The keysym that types ``char``: Latin-1 maps to itself, other Unicode to 0x01000000+cp."""
    if char in _TEXT_SPECIAL:
        return _TEXT_SPECIAL[char]
    code = ord(char)
    if 0x20 <= code <= 0x7E or 0xA0 <= code <= 0xFF:
        return code
    return 0x0100_0000 + code


def keysym(name: str | int) -> int:
    """A key name ("Return", "F5", "a"), a single character, or a number -> keysym."""
    if isinstance(name, int):
        return name
    if name in NAMED_KEYSYMS:
        return NAMED_KEYSYMS[name]
    if len(name) == 1:
        return keysym_for_char(name)
    if name.lower().startswith("0x"):
        return int(name, 16)
    raise ValueError(f"unknown key name {name!r}")
