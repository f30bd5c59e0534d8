"""Keep each service's gettext catalogs in step with its code: extract, update, compile (``make translations``).

``python -m shared.catalogs services.intake.i18n …`` extracts the keys each named module's service uses (from
its Python code and Jinja2 templates, as babel.cfg says, plus the keys its ``Catalog`` declares as built at run
time) into ``locale/<domain>.pot``, brings ``locale/<lang>/LC_MESSAGES/<domain>.po`` up to date for fi, sv and
en, and compiles each one to be sure it loads. ``--check`` writes nothing and exits 1 with what is wrong.

Message ids are the keys the code uses, not English sentences: code builds some keys from values
("state_" ~ status), one English word is several Finnish ones in different places ("Closed": "Päätetyt",
"päätetty"), and mending an English text must not make the Finnish and Swedish ones fuzzy. Finnish, the
service's first language and its fallback, is the base: Weblate takes ``fi/LC_MESSAGES/<domain>.po`` as the
monolingual base file, and in Poedit each Swedish and English entry shows the Finnish text as a note.
"""

from __future__ import annotations

import argparse
import importlib
import re
import sys
from collections.abc import Iterator
from io import BytesIO
from pathlib import Path

from babel.messages.catalog import Catalog as PoCatalog
from babel.messages.catalog import Message
from babel.messages.extract import extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po, write_po

from shared.i18n import BASE, LANGS, Catalog

ROOT = Path(__file__).resolve().parents[1]
MAPPING = ROOT / "babel.cfg"
PROJECT = "Pyydä apua!"
HEADER = ("# %s of one service of Pyydä apua!, keyed by the ids its code uses: t(\"key\", lang, **values).\n"
          "# Finnish is the base language, shown beside each Swedish and English text; {names} are filled in.\n"
          "# make translations adds new keys, drops unused ones and checks that every text is translated.\n#")
PLACEHOLDER = re.compile(r"{(\w+)}")


def _key(message: Message) -> str:
    return str(message.id[0] if isinstance(message.id, tuple) else message.id)


def _forms(message: Message) -> tuple[str, ...]:
    return tuple(str(s or "") for s in message.string) if isinstance(message.string, tuple) else (
        str(message.string or ""),)


def extract(catalog: Catalog) -> PoCatalog:
    """The template: every key the service's code and templates use, where, and which have plural forms."""
    source = catalog.directory.parent
    with MAPPING.open(encoding="utf-8") as fp:
        method_map, options = parse_mapping_cfg(fp, str(MAPPING))  # type: ignore[no-untyped-call]
    template = PoCatalog(domain=catalog.domain, project=PROJECT, version=catalog.domain, charset="utf-8",
                         fuzzy=False, msgid_bugs_address="", header_comment=HEADER % "The texts")
    prefixes: set[str] = set()

    def add(key: str, location: str, comments: list[str]) -> None:
        count = catalog.counts.get(key)
        if count is not None:
            comments = [*comments, f"Plural: the number {{{count}}} chooses the form."]
        if key in catalog.notes:
            comments = [*comments, catalog.notes[key]]
        template.add((key, key) if count else key, locations=[(location, 0)], auto_comments=comments)

    # A comment starting "i18n:" just before a t() call (# in Python, {# #} in a template) goes to translators.
    for filename, _, message, comments, _ in extract_from_dir(source, method_map, options, keywords={"t": None},
                                                              comment_tags=("i18n:",), strip_comment_tags=True):
        key = str(message)
        if key.endswith("_"):  # t("month_" + str(month)): only the start of a key, declared in full at run_time
            prefixes.add(key)
            continue
        add(key, filename, list(comments))
    for key in catalog.run_time:
        add(key, "i18n.py", ["Chosen by the code at run time: i18n.py says where."])
    undeclared = sorted(p for p in prefixes if not any(k.startswith(p) for k in catalog.run_time))
    if undeclared:
        raise ValueError(f"{catalog.domain}: keys built at run time from {undeclared} are not declared in run_time")
    if unused := sorted(set(catalog.notes) - {_key(m) for m in template if m.id}):
        raise ValueError(f"{catalog.domain}: notes for keys nothing uses: {unused}")
    return template


def _new(catalog: Catalog, lang: str) -> PoCatalog:
    return PoCatalog(locale=lang, domain=catalog.domain, project=PROJECT, version=catalog.domain, charset="utf-8",
                     fuzzy=False, msgid_bugs_address="", header_comment=HEADER % f"The {lang} texts")


def updated(catalog: Catalog, template: PoCatalog) -> dict[str, PoCatalog]:
    """Each language's catalog with the template's keys: new ones empty, unused ones gone, texts kept."""
    found: dict[str, PoCatalog] = {}
    for lang in LANGS:
        po = catalog.read(lang) if catalog.po_path(lang).exists() else _new(catalog, lang)
        # Keys are not prose: a near-match between "col_met" and "col_met_pct" is no translation.
        po.update(template, no_fuzzy_matching=True, update_creation_date=False)
        po.obsolete.clear()
        found[lang] = po
    base = {_key(m): " | ".join(_forms(m)) for m in found[BASE] if m.id}
    for lang in LANGS:
        if lang == BASE:
            continue
        for message in found[lang]:
            # Poedit shows the key as the source text; the Finnish beside it is what translators work from.
            if message.id and base.get(_key(message)):
                message.auto_comments = [*message.auto_comments, f"{BASE}: {base[_key(message)]}"]
    return found


def render(po: PoCatalog) -> bytes:
    """The catalog as its file holds it."""
    buffer = BytesIO()
    # Without line numbers, so that moving code does not touch every catalog.
    write_po(buffer, po, width=116, sort_output=True, ignore_obsolete=True, include_lineno=False)
    return buffer.getvalue()


def _without_dates(text: bytes) -> bytes:
    return re.sub(rb'"(POT-Creation|PO-Revision)-Date: [^"]*"\n', b"", text)


def _write(path: Path, content: bytes) -> bool:
    if path.exists() and _without_dates(path.read_bytes()) == _without_dates(content):
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(content)
    return True


def problems(catalog: Catalog) -> Iterator[str]:
    """What is wrong with the catalogs as they are: stale against the code, untranslated, mismatched, unloadable."""
    used = {_key(m): isinstance(m.id, tuple) for m in extract(catalog) if m.id}
    pot = catalog.directory / f"{catalog.domain}.pot"
    with pot.open("rb") as fp:
        if {_key(m): isinstance(m.id, tuple) for m in read_po(fp) if m.id} != used:
            yield f"{pot}: not the keys the code uses (run make translations)"
    for lang in LANGS:
        path = catalog.po_path(lang)
        if not path.exists():
            yield f"{path}: missing"
            continue
        po = catalog.read(lang)
        have = {_key(m): isinstance(m.id, tuple) for m in po if m.id}
        for key in sorted(used.keys() - have.keys()):
            yield f"{catalog.domain}/{lang}: {key!r} is used but not in the catalog (run make translations)"
        for key in sorted(have.keys() - used.keys()):
            yield f"{catalog.domain}/{lang}: {key!r} is no longer used (run make translations)"
        for key in sorted(k for k in used.keys() & have.keys() if used[k] != have[k]):
            yield f"{catalog.domain}/{lang}: {key!r} should {'' if used[key] else 'not '}have plural forms"
        for message in po:
            if message.id and (message.fuzzy or not all(_forms(message))):
                yield f"{catalog.domain}/{lang}: {_key(message)!r} has no {lang} translation"
        try:
            write_mo(BytesIO(), po)
        except Exception as exc:  # what gettext would meet at start-up
            yield f"{path}: does not compile: {exc}"
    yield from _placeholder_problems(catalog)


def _placeholder_problems(catalog: Catalog) -> Iterator[str]:
    for key, by_lang in catalog.entries().items():
        shapes = {frozenset(PLACEHOLDER.findall(form)) for forms in by_lang.values() for form in forms if form}
        if len(shapes) > 1:
            yield f"{catalog.domain}: {key!r} has different {{placeholders}} in different languages or forms"


def main(argv: list[str] | None = None) -> int:
    """Extract, update and compile the named modules' catalogs, or with --check only say what is stale."""
    parser = argparse.ArgumentParser(prog="python -m shared.catalogs", description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+", help="modules with a CATALOG, e.g. services.intake.i18n")
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 if a catalog is stale")
    args = parser.parse_args(argv)
    catalogs: list[Catalog] = [importlib.import_module(name).CATALOG for name in args.modules]
    if not args.check:
        for catalog in catalogs:
            template = extract(catalog)
            changed = [path for path, po in [(catalog.directory / f"{catalog.domain}.pot", template),
                                             *((catalog.po_path(lang), po)
                                               for lang, po in updated(catalog, template).items())]
                       if _write(path, render(po))]
            sys.stdout.write("".join(f"updated {p.relative_to(ROOT)}\n" for p in changed))
    found = [problem for catalog in catalogs for problem in problems(catalog)]
    sys.stdout.write("".join(f"{problem}\n" for problem in found))
    return 1 if found else 0


if __name__ == "__main__":
    raise SystemExit(main())
