"""What text people send may hold: no control characters and no bidirectional overrides.

Every text a family or a member of staff sends (a message, a name, a reply, a note, a template) is one of the
two pydantic types below, so the rule is written once and refused the same way everywhere: 422 naming the
field, with the error type ``control_character`` that the pages turn into a sentence in their language.

Refused, because nobody types them and each has done harm:

* NUL (PostgreSQL cannot store it: the old answer was a 500) and every other C0 and C1 control character,
  DEL included. Multi-line text keeps tab, line feed and carriage return; a single line keeps none of them
  (a CR LF in a name ends up in a header or a CSV row).
* The bidirectional embeddings, overrides and isolates (U+202A–U+202E, U+2066–U+2069): invisible, they turn
  the text that follows around, so a note or a reply reads differently from what it holds ("Trojan Source").
* The direction marks (U+200E, U+200F, U+061C) in text without any right-to-left letter, where they do
  nothing but hide. Beside Arabic or Hebrew they are how a writer sets the direction of a number or a word,
  so there they stay.
* Lone surrogates (JSON can carry one, UTF-8 cannot).

Nothing is stripped silently: the writer sees what was refused and why.
"""

from __future__ import annotations

import unicodedata
from typing import Annotated

from pydantic import AfterValidator
from pydantic_core import PydanticCustomError

ERROR_TYPE = "control_character"
BIDI_CONTROLS = frozenset(chr(c) for c in (*range(0x202A, 0x202F), *range(0x2066, 0x206A)))
BIDI_MARKS = frozenset("\u200e\u200f\u061c")
LINE_BREAKS = frozenset("\t\n\r")


def _right_to_left(value: str) -> bool:
    # The marks themselves are right-to-left (U+200F is R, U+061C AL): only letters count.
    return any(unicodedata.bidirectional(ch) in ("R", "AL") for ch in value if ch not in BIDI_MARKS)


def forbidden_character(value: str, *, multiline: bool) -> tuple[int, str] | None:
    """The first character ``value`` may not hold, with its position; None when it holds none."""
    rtl: bool | None = None  # worked out only if a mark needs it
    for position, ch in enumerate(value):
        category = unicodedata.category(ch)
        if category == "Cc" and not (multiline and ch in LINE_BREAKS):
            return position, ch
        if category == "Cs" or ch in BIDI_CONTROLS:
            return position, ch
        if ch in BIDI_MARKS:
            rtl = _right_to_left(value) if rtl is None else rtl
            if not rtl:
                return position, ch
    return None


def _checked(value: str, multiline: bool) -> str:
    found = forbidden_character(value, multiline=multiline)
    if found is not None:
        position, ch = found
        # The code point, never the text around it: an error's words may end up in a log.
        raise PydanticCustomError(ERROR_TYPE, "contains a control or direction character (U+{code}) at "
                                  "position {position}; remove it", {"code": f"{ord(ch):04X}", "position": position})
    return value


def single_line(value: str) -> str:
    """``value`` if it holds nothing a single line of text may not (no line breaks or tabs either)."""
    return _checked(value, multiline=False)


def multi_line(value: str) -> str:
    """``value`` if it holds nothing a text may not; tab, line feed and carriage return are allowed."""
    return _checked(value, multiline=True)


# A name, a title, an id, a phone note: one line of what people type.
TextLine = Annotated[str, AfterValidator(single_line)]
# A message, a reply, a note, a template's text: lines of what people type.
Text = Annotated[str, AfterValidator(multi_line)]


def is_control_character_error(error: object) -> bool:
    """Whether a pydantic error (an item of ``ValidationError.errors()``) is this module's refusal."""
    return isinstance(error, dict) and error.get("type") == ERROR_TYPE
