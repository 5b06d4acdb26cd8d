"""The language of the feedback, and its catalogue: the one place that decides both.

The language is the notebook's, never the machine's: ``metadata.course.language``
of the notebook being graded or validated (``"en"`` unless it is one of
:data:`LANGUAGES`; anything else a student could write there, of any type,
means English). Who reads it:

* autograde (``preprocessors``): from the submitted notebook; the judge runs each
  test cell inside :func:`speaking`, in the grading process, so the student's
  kernel never touches it (and a message's language never changes a score:
  nbgrader scores a test cell by whether it has an error output);
* generate_feedback (``feedback``) and Validate's report (``validate``): from the
  notebook they read, with :func:`speaking`;
* the student's own kernel (Validate's run, Run All), where test cells run:
  :func:`kernel_language`: Validate's grading side sets :data:`ENV` for the kernel
  it starts (as nbgrader sets ``NBGRADER_EXECUTION``); in JupyterLab the kernel
  reads its own notebook, which the server names in ``JPY_SESSION_NAME`` (IPython's
  ``__session__`` holds the same path).

The catalogue ``translations/<language>/feedback.toml`` is keyed by the English
text. A key may be a template: ``{name}`` stands for a value (a field of
:func:`text`, or what a test cell's f-string put there); the translation uses
the same fields. :func:`text` renders a phrase of the course's code with its
fields; :func:`translated` turns a finished English text (a test cell's hint)
into the current language, or leaves it as it is. Neither raises, and both take
time in proportion to the text (no regular expression runs on a student's text).
"""

from __future__ import annotations

import contextlib
import contextvars
import functools
import json
import os
import pathlib
import re

try:
    import tomllib
except ImportError:  # Python 3.10
    import tomli as tomllib

ENGLISH = "en"
LANGUAGES = (ENGLISH, "ko")
"""The feedback's languages: English, and each with a catalogue under translations/."""

ENV = "COURSE_FEEDBACK_LANGUAGE"
"""Set by Validate for the kernel it starts: the language of the notebook it validates."""

MAX_TEXT = 3000
"""Longest text :func:`translated` looks up (longer ones stay as they are)."""

MIN_LITERAL = 6
"""A template needs this many characters besides its fields to match a finished text."""

_FIELD = re.compile(r"\{\{|\}\}|\{[^{}]*\}")
_language: contextvars.ContextVar[str | None] = contextvars.ContextVar("course_feedback_language", default=None)


def normal(value) -> str:
    """``value`` if it is one of :data:`LANGUAGES`, else English."""
    return value if isinstance(value, str) and value in LANGUAGES else ENGLISH


def language_of(nb) -> str:
    """The feedback language of a notebook (node or dict): its ``metadata.course.language``."""
    metadata = nb.get("metadata") if isinstance(nb, dict) else None
    course = metadata.get("course") if isinstance(metadata, dict) else None
    return normal(course.get("language") if isinstance(course, dict) else None)


def current() -> str:
    """The language of what is said now: the innermost :func:`speaking`, else the kernel's."""
    return _language.get() or kernel_language()


@contextlib.contextmanager
def speaking(language):
    """Within this block, feedback is in ``language`` (normalised: an unknown one is English)."""
    token = _language.set(normal(language))
    try:
        yield
    finally:
        _language.reset(token)


def kernel_language() -> str:
    """In a student's kernel: :data:`ENV` if set (Validate), else its notebook's (JupyterLab names it)."""
    if ENV in os.environ:
        return normal(os.environ[ENV])
    return notebook_language(os.environ.get("JPY_SESSION_NAME", ""))


@functools.lru_cache(maxsize=8)
def notebook_language(path: str) -> str:
    """The language of the notebook at ``path``: absolute (jupyter_server 2), else relative to the server's
    root, so looked for in the kernel's folder (the notebook's) by its name."""
    if not path.endswith(".ipynb"):
        return ENGLISH
    for candidate in dict.fromkeys((path, os.path.basename(path))):
        try:
            with open(candidate, encoding="utf-8") as file:
                return language_of(json.load(file))
        except (OSError, ValueError, RecursionError):
            continue
    return ENGLISH


# the catalogue --------------------------------------------------------------------------------------


def parse(template: str) -> list[tuple[str, str]]:
    """A template as ``(literal, field)`` pairs (``field`` "" after the last literal); ``{{`` is a brace.

    Fields with nothing between them (``{a}{b}``) are one field, named ``a}{b``."""
    pieces, literal, at = [], "", 0
    for match in _FIELD.finditer(template):
        literal += template[at : match.start()]
        token = match.group()
        if token in ("{{", "}}"):
            literal += token[0]
        elif pieces and not literal and at == match.start() and pieces[-1][1]:
            pieces[-1] = (pieces[-1][0], pieces[-1][1] + "}{" + token[1:-1])  # "{a}{b}": one field
        else:
            pieces.append((literal, token[1:-1]))
            literal = ""
        at = match.end()
    pieces.append((literal + template[at:], ""))
    return pieces


def fields_of(template: str) -> list[str]:
    return [field for _, field in parse(template) if field]


def catalogue_path(language: str) -> pathlib.Path | None:
    """``translations/<language>/feedback.toml`` of the course this package belongs to."""
    for folder in pathlib.Path(__file__).resolve().parents:
        if (folder / "translations").is_dir():
            return folder / "translations" / language / "feedback.toml"
    return None


def read_catalogue(language: str) -> dict[str, str]:
    """``{English: translation}`` of every section of the language's catalogue ({} for English or none)."""
    path = catalogue_path(language) if language != ENGLISH else None
    if path is None or not path.is_file():
        return {}
    data = tomllib.loads(path.read_text(encoding="utf-8"))
    return {key: value for section in data.values() if isinstance(section, dict)
            for key, value in section.items() if isinstance(value, str)}


class Catalogue:
    """One language's entries: exact texts, and templates matched against finished texts."""

    def __init__(self, entries: dict[str, str]):
        self.entries = entries
        self.exact = {key: value for key, value in entries.items() if not fields_of(key)}
        matchable = []
        for key, value in entries.items():
            pieces = parse(key)
            literals = [literal for literal, _ in pieces]
            if len(pieces) > 1 and sum(map(len, literals)) >= MIN_LITERAL and all(literals[1:-1]):
                matchable.append((pieces, value))
        # the most specific first: the most text besides fields
        self.templates = sorted(matchable, key=lambda t: -sum(len(literal) for literal, _ in t[0]))

    def render(self, english: str, fields: dict) -> str:
        """The phrase ``english`` in this language, its ``fields`` filled in (English if the entry is unusable)."""
        values = {name: str(value) for name, value in fields.items()}
        return _fill(self.entries.get(english, english), values) or _fill(english, values) or english

    def translate(self, text: str) -> str:
        """``text`` translated by its exact entry or the first template it fills; else as it is."""
        found = self.exact.get(text)
        if found is not None:
            return found
        fields = self._fields(text)
        if fields is None:
            return text
        pieces, found = fields
        # a value that is itself a sentence ("NameError: name 'f' is not defined ...") is translated too, once
        found = {name: self._translate_value(value) for name, value in found.items()}
        return _fill(pieces, found) or text

    def _fields(self, text: str):
        """(the translation, the fields' values) of the first template ``text`` fills, or None."""
        for pieces, value in self.templates:
            found = _match(pieces, text)
            if found is not None:
                return value, found
        return None

    def _translate_value(self, value: str) -> str:
        """A field's value translated by an entry, keeping an exception's name in front; else as it is."""
        if " " not in value:
            return value
        head, separator, rest = value.partition(": ")
        prefix, body = (head + separator, rest) if separator and head.isidentifier() else ("", value)
        found = self.exact.get(body)
        if found is None:
            fields = self._fields(body)
            found = _fill(*fields) if fields is not None else None
        return prefix + found if found is not None else value


def _fill(template: str, values: dict[str, str]) -> str | None:
    """``template`` with each field replaced by its value (never formatted again); None if one is missing."""
    pieces = parse(template)
    if any(field and field not in values for _, field in pieces):
        return None
    return "".join(literal + (values[field] if field else "") for literal, field in pieces)


def _match(pieces: list[tuple[str, str]], text: str) -> dict | None:
    """The fields' values if ``text`` is the template ``pieces`` filled in (leftmost fit), else None."""
    first, last = pieces[0][0], pieces[-1][0]
    if len(text) < len(first) + len(last) or not text.startswith(first) or not text.endswith(last):
        return None
    fields, at, end = {}, len(first), len(text) - len(last)
    for (_, field), (literal, _) in zip(pieces[:-2], pieces[1:-1]):
        found = text.find(literal, at, end)
        if found < 0:
            return None
        fields[field] = text[at:found]
        at = found + len(literal)
    fields[pieces[-2][1]] = text[at:end]
    return fields


@functools.lru_cache(maxsize=None)
def catalogue(language: str) -> Catalogue:
    return Catalogue(read_catalogue(normal(language)))


def say(language: str, english: str, /, **fields) -> str:
    """The phrase ``english`` (a template of the course's code) in ``language``, its fields filled in."""
    return catalogue(normal(language)).render(english, fields)


def text(english: str, /, **fields) -> str:
    """The phrase ``english`` in the current language (:func:`current`), its fields filled in."""
    return say(current(), english, **fields)


def translated(english: str, language: str | None = None) -> str:
    """A finished English text (a test's hint) in ``language`` (default: the current one), if the catalogue
    has it or a template of it; else as it is."""
    language = normal(language) if language is not None else current()
    if language == ENGLISH or not isinstance(english, str) or len(english) > MAX_TEXT:
        return english
    return catalogue(language).translate(english)
