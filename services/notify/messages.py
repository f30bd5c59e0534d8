"""Messages from Jinja2 templates in Finnish, Swedish and English: a subject, plain text and HTML.

What a family receives never carries their own words or a staff reply: only the reference, the
promised date and where to read the answer. A phone can be seen by others.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape

from shared.notifications import MESSAGE_NAMES, NOT_OF_A_CASE

TEMPLATES = Path(__file__).resolve().parent / "templates"
NAMES = MESSAGE_NAMES + NOT_OF_A_CASE
_TEXT = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=False, undefined=StrictUndefined,
                    keep_trailing_newline=True)
_HTML = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                    undefined=StrictUndefined)


@dataclass(frozen=True)
class Message:
    subject: str
    text: str
    html: str


def render(template: str, lang: str, **values: str) -> Message:
    """The message ``template`` in ``lang``; a missing value is an error, never a blank."""
    if template not in NAMES:
        raise ValueError(f"no message template '{template}'")
    lang = lang if lang in ("fi", "sv", "en") else "fi"
    subject, _, body = _TEXT.get_template(f"{template}.{lang}.txt").render(**values).partition("\n\n")
    body = body.strip()
    html = _HTML.get_template("message.html").render(lang=lang, subject=subject, paragraphs=body.split("\n\n"))
    return Message(subject=subject.strip(), text=body + "\n", html=html)
