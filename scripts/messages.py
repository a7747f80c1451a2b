#!/usr/bin/env python3
"""The English message catalogue of the web UI, without GNU gettext.

The UI is written Chinese-first: the Chinese text is the msgid, and
``src/dudao/web/locale/en/LC_MESSAGES/django.po`` holds the English.  Django's
``makemessages`` and ``compilemessages`` need GNU gettext, which is not installed
here, so this script does their work with Django's own template lexer, Python's
``ast`` module and ``polib``:

    python scripts/messages.py extract   # sources -> django.po (keeps translations)
    python scripts/messages.py compile   # django.po -> django.mo
    python scripts/messages.py check     # exit 1 if anything is missing or stale
    python scripts/messages.py merge F.json...  # fill untranslated msgids from {"中文": "English"} files

``extract`` builds msgids exactly as Django builds them at run time (and as
``makemessages`` would extract them): ``{% translate "x" %}`` doubles ``%``;
``{% blocktranslate %}`` turns ``{{ name }}`` into ``%(name)s``, doubles ``%`` in
text, applies ``trimmed`` and uses ``ngettext`` for ``{% plural %}``.  Messages that
are no longer in the sources are kept as obsolete (``#~``) entries, so their
translations come back if the text does; ``--no-obsolete`` drops them.  A changed
msgid gets the translation of the most similar obsolete one, marked fuzzy.
Fuzzy entries do not go into the .mo and ``check`` counts them as untranslated.
"""

from __future__ import annotations

import argparse
import ast
import difflib
import json
import re
import sys
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

import polib
from django.template.base import Lexer, TokenType
from django.utils.translation import trim_whitespace

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT / "src" / "dudao"
LOCALE = SOURCE / "web" / "locale"
LANGUAGE = "en"
PLURAL_FORMS = "nplurals=2; plural=(n != 1);"
SKIP_DIRS = {"migrations", "__pycache__", "static", "locale"}
TEMPLATE_SUFFIXES = {".html", ".txt", ".xml"}

# The patterns Django's makemessages uses to find translation tags (django.utils.translation.template).
INLINE_RE = re.compile(
    r"""^\s*trans(?:late)?\s+((?:"[^"]*?")|(?:'[^']*?'))"""
    r"""(?:\s*\|\s*[^\s:]+(?::(?:[^\s'":]+|(?:"[^"]*?")|(?:'[^']*?')))?)*"""
    r"""(\s+.*context\s+((?:"[^"]*?")|(?:'[^']*?')))?\s*"""
)
BLOCK_RE = re.compile(r"""^\s*blocktrans(?:late)?(\s+.*context\s+((?:"[^"]*?")|(?:'[^']*?')))?(?:\s+|$)""")
ENDBLOCK_RE = re.compile(r"""^\s*endblocktrans(?:late)?$""")
PLURAL_RE = re.compile(r"""^\s*plural$""")
CONSTANT_RE = re.compile(r"""_\(((?:".*?")|(?:'.*?'))\)""")
CONTEXT_RE = re.compile(r"""^\s+.*context\s+((?:"[^"]*?")|(?:'[^']*?'))\s*""")
TRANSLATORS = "Translators"

# Python keywords: function name -> (context argument, singular argument, plural argument), as
# xgettext's Python defaults plus the keywords makemessages adds.
KEYWORDS: dict[str, tuple[int | None, int, int | None]] = {
    "_": (None, 0, None), "gettext": (None, 0, None), "gettext_lazy": (None, 0, None),
    "gettext_noop": (None, 0, None), "ngettext": (None, 0, 1), "ngettext_lazy": (None, 0, 1),
    "pgettext": (0, 1, None), "pgettext_lazy": (0, 1, None),
    "npgettext": (0, 1, 2), "npgettext_lazy": (0, 1, 2),
}

FORMAT_RE = re.compile(r"%(?:\((\w+)\))?[-#0 +]*(?:\d+|\*)?(?:\.\d+)?([diouxXeEfFgGcrsa%])")


@dataclass
class Message:
    msgid: str
    msgid_plural: str = ""
    msgctxt: str | None = None
    occurrences: list[tuple[str, str]] = field(default_factory=list)
    comments: list[str] = field(default_factory=list)

    @property
    def key(self) -> tuple[str | None, str]:
        return (self.msgctxt, self.msgid)


def _unquote(s: str) -> str:
    return s[1:-1] if s[:1] in "\"'" else s


def _rel(path: Path) -> str:
    try:
        return path.relative_to(ROOT).as_posix()
    except ValueError:
        return path.as_posix()


# ------------------------------------------------------------------------------------------ templates


def template_messages(src: str, origin: str = "<template>") -> list[Message]:
    """The messages of one Django template, built the way Django builds them at run time."""
    out: list[Message] = []
    intrans = inplural = trimmed = incomment = False
    context: str | None = None
    singular: list[str] = []
    plural: list[str] = []
    start = 0
    pending: list[str] = []  # translator comments waiting for the next message

    def add(msgid: str, line: int, msgid_plural: str = "", ctx: str | None = None) -> None:
        out.append(Message(msgid, msgid_plural, ctx, [(origin, str(line))], list(pending)))
        pending.clear()

    for t in Lexer(src).tokenize():
        if incomment:
            if t.token_type == TokenType.BLOCK and t.contents == "endcomment":
                incomment = False
            continue
        if intrans:
            if t.token_type == TokenType.BLOCK:
                if ENDBLOCK_RE.match(t.contents):
                    text = "".join(singular)
                    text_plural = "".join(plural) if inplural else ""
                    if trimmed:
                        text, text_plural = trim_whitespace(text), trim_whitespace(text_plural)
                    add(text, start, text_plural, context)
                    intrans = inplural = False
                    context = None
                    singular, plural = [], []
                elif PLURAL_RE.match(t.contents):
                    inplural = True
                else:
                    raise SyntaxError(f"{origin}:{t.lineno}: translation blocks must not include other "
                                      f"block tags: {t.contents}")
            elif t.token_type in (TokenType.VAR, TokenType.TEXT):
                part = f"%({t.contents})s" if t.token_type == TokenType.VAR else t.contents.replace("%", "%%")
                (plural if inplural else singular).append(part)
            continue
        if t.token_type == TokenType.BLOCK:
            inline = INLINE_RE.match(t.contents)
            block = BLOCK_RE.match(t.contents)
            if inline:
                ctx = None
                if inline[2]:
                    m = CONTEXT_RE.match(inline[2])
                    ctx = _unquote(m[1]) if m else None
                add(_unquote(inline[1]).replace("%", "%%"), t.lineno, ctx=ctx)
            elif block:
                for constant in CONSTANT_RE.findall(t.contents):
                    add(ast.literal_eval(constant).replace("%", "%%"), t.lineno)
                context = None
                if block[1]:
                    m = CONTEXT_RE.match(block[1])
                    context = _unquote(m[1]) if m else None
                intrans, inplural, start = True, False, t.lineno
                trimmed = "trimmed" in t.split_contents()
                singular, plural = [], []
            elif t.contents == "comment":
                incomment = True
            else:
                for constant in CONSTANT_RE.findall(t.contents):
                    add(ast.literal_eval(constant).replace("%", "%%"), t.lineno)
        elif t.token_type == TokenType.VAR:
            parts = t.contents.split("|")
            m = CONSTANT_RE.match(parts[0])
            if m:
                add(ast.literal_eval(m[1]).replace("%", "%%"), t.lineno)
            for p in parts[1:]:
                m = CONSTANT_RE.search(p.split(":", 1)[1]) if ":_(" in p else None
                if m:
                    add(ast.literal_eval(m[1]).replace("%", "%%"), t.lineno)
        elif t.token_type == TokenType.COMMENT and t.contents.lstrip().startswith(TRANSLATORS):
            pending.append(t.contents.strip())
    if intrans:
        raise SyntaxError(f"{origin}:{start}: unclosed blocktranslate")
    return out


# -------------------------------------------------------------------------------------------- python


def python_messages(src: str, origin: str = "<python>") -> tuple[list[Message], list[str]]:
    """The gettext calls of one Python file, and warnings for calls whose text is not a literal."""
    out: list[Message] = []
    warnings: list[str] = []
    for node in ast.walk(ast.parse(src, origin)):
        if not isinstance(node, ast.Call):
            continue
        name = node.func.id if isinstance(node.func, ast.Name) else (
            node.func.attr if isinstance(node.func, ast.Attribute) else "")
        if name not in KEYWORDS:
            continue
        ctx_i, one_i, many_i = KEYWORDS[name]
        wanted = [i for i in (ctx_i, one_i, many_i) if i is not None]
        if len(node.args) <= max(wanted):
            continue
        args = [a.value if isinstance(a, ast.Constant) and isinstance(a.value, str) else None for a in node.args]
        if any(args[i] is None for i in wanted):
            warnings.append(f"{origin}:{node.lineno}: {name}() of a value that is not a string literal "
                            "cannot be extracted")
            continue

        def text(i: int | None, args: list[str | None] = args) -> str:
            return (args[i] or "") if i is not None else ""

        out.append(Message(text(one_i), text(many_i), text(ctx_i) if ctx_i is not None else None,
                           [(origin, str(node.lineno))]))
    out.sort(key=lambda m: int(m.occurrences[0][1]))
    return out, warnings


# ------------------------------------------------------------------------------------------- sources


def source_files(root: Path = SOURCE) -> Iterator[Path]:
    for path in sorted(root.rglob("*")):
        if not path.is_file() or SKIP_DIRS & set(path.relative_to(root).parts[:-1]):
            continue
        if path.suffix == ".py" or ("templates" in path.parts and path.suffix in TEMPLATE_SUFFIXES):
            yield path


def collect(root: Path = SOURCE) -> tuple[list[Message], list[str]]:
    """Every message of the sources, merged by (context, msgid), in order of first appearance."""
    merged: dict[tuple[str | None, str], Message] = {}
    warnings: list[str] = []
    for path in source_files(root):
        src = path.read_text(encoding="utf-8")
        if path.suffix == ".py":
            found, warned = python_messages(src, _rel(path))
            warnings += warned
        else:
            found = template_messages(src, _rel(path))
        for m in found:
            if not m.msgid:
                continue
            have = merged.get(m.key)
            if have is None:
                merged[m.key] = m
                continue
            have.occurrences += m.occurrences
            have.comments += [c for c in m.comments if c not in have.comments]
            if m.msgid_plural and not have.msgid_plural:
                have.msgid_plural = m.msgid_plural
            elif m.msgid_plural and m.msgid_plural != have.msgid_plural:
                warnings.append(f"{m.occurrences[0][0]}:{m.occurrences[0][1]}: two plural forms for one "
                                f"msgid: {have.msgid_plural!r} and {m.msgid_plural!r}")
    return list(merged.values()), warnings


# ----------------------------------------------------------------------------------------- catalogue


def po_path(language: str = LANGUAGE) -> Path:
    return LOCALE / language / "LC_MESSAGES" / "django.po"


def mo_path(language: str = LANGUAGE) -> Path:
    return po_path(language).with_suffix(".mo")


def placeholders(s: str) -> set[str]:
    return {m[0] or f"%{m[1]}" for m in FORMAT_RE.findall(s) if m[1] != "%"}


def is_format(s: str) -> bool:
    return FORMAT_RE.search(s) is not None


def new_catalogue(language: str = LANGUAGE) -> polib.POFile:
    po = polib.POFile(wrapwidth=0)
    po.metadata = {
        "Project-Id-Version": "dudao",
        "Language": language,
        "MIME-Version": "1.0",
        "Content-Type": "text/plain; charset=UTF-8",
        "Content-Transfer-Encoding": "8bit",
        "Plural-Forms": PLURAL_FORMS,
    }
    po.header = "English catalogue of the dudao web UI. The msgids are the Chinese source text.\n" \
                "Update with: python scripts/messages.py extract && python scripts/messages.py compile"
    return po


def load(language: str = LANGUAGE) -> polib.POFile:
    path = po_path(language)
    if not path.exists():
        return new_catalogue(language)
    po = polib.pofile(str(path), wrapwidth=0)
    po.wrapwidth = 0
    return po


def _entry(m: Message) -> polib.POEntry:
    e = polib.POEntry(msgid=m.msgid, msgctxt=m.msgctxt, occurrences=m.occurrences,
                      comment="\n".join(m.comments))
    if m.msgid_plural:
        e.msgid_plural = m.msgid_plural
        e.msgstr_plural = {0: "", 1: ""}
    else:
        e.msgstr = ""
    if is_format(m.msgid) or is_format(m.msgid_plural):
        e.flags = ["python-format"]
    return e


def _copy_translation(src: polib.POEntry, dst: polib.POEntry) -> None:
    if dst.msgid_plural:
        if src.msgid_plural:
            dst.msgstr_plural = dict(src.msgstr_plural)
        else:
            dst.msgstr_plural = {0: src.msgstr, 1: src.msgstr}
    else:
        dst.msgstr = src.msgstr if not src.msgid_plural else src.msgstr_plural.get(0, "")


def _translated(e: polib.POEntry) -> bool:
    if e.msgid_plural:
        return bool(e.msgstr_plural) and all(v for v in e.msgstr_plural.values())
    return bool(e.msgstr)


@dataclass
class MergeResult:
    po: polib.POFile
    new: list[str]
    fuzzy: list[str]
    obsolete: list[str]


def merge(old: polib.POFile, messages: Iterable[Message], keep_obsolete: bool = True) -> MergeResult:
    """A catalogue with the given messages, keeping the translations ``old`` has for them."""
    po = new_catalogue(old.metadata.get("Language", LANGUAGE))
    po.metadata.update({k: v for k, v in old.metadata.items() if k not in po.metadata})
    if old.header:
        po.header = old.header
    by_key = {(e.msgctxt, e.msgid): e for e in old}
    used: set[tuple[str | None, str]] = set()
    new: list[str] = []
    fuzzy: list[str] = []
    messages = list(messages)
    wanted = {m.key for m in messages}
    spare = [e for e in old if (e.msgctxt, e.msgid) not in wanted and _translated(e)]
    for m in messages:
        e = _entry(m)
        before = by_key.get(m.key)
        if before is not None:
            used.add(m.key)
            _copy_translation(before, e)
            if "fuzzy" in before.flags or bool(before.msgid_plural) != bool(m.msgid_plural) \
                    or (before.msgid_plural and before.msgid_plural != m.msgid_plural):
                e.flags.append("fuzzy")
            if before.tcomment:
                e.tcomment = before.tcomment
        else:
            close = difflib.get_close_matches(m.msgid, [s.msgid for s in spare], n=1, cutoff=0.75)
            if close:
                hint = next(s for s in spare if s.msgid == close[0])
                _copy_translation(hint, e)
                e.flags.append("fuzzy")
                e.previous_msgid = hint.msgid
                fuzzy.append(m.msgid)
            else:
                new.append(m.msgid)
        po.append(e)
    obsolete = []
    for e in old:
        key = (e.msgctxt, e.msgid)
        if key in used or key in wanted:
            continue
        obsolete.append(e.msgid)
        if keep_obsolete and _translated(e):
            e.obsolete = True
            e.occurrences = []
            po.append(e)
    return MergeResult(po, new, fuzzy, obsolete)


def compiled(po: polib.POFile) -> bytes:
    """The .mo that ``po`` compiles to (translated, non-fuzzy entries only)."""
    return bytes(po.to_binary())


@dataclass
class Problem:
    kind: str
    msgid: str
    detail: str = ""

    def __str__(self) -> str:
        text = self.msgid.replace("\n", "\\n")
        return f"{self.kind}: {text!r}" + (f" ({self.detail})" if self.detail else "")


def _format_problem(msgid: str, msgstr: str, plural_index: int | None = None) -> str:
    if not is_format(msgid):
        return ""
    names = {p for p in placeholders(msgid) if not p.startswith("%")}
    have = placeholders(msgstr)
    unknown = {p for p in have if p not in names and not p.startswith("%")}
    if unknown:
        return f"unknown placeholder(s) {', '.join(sorted(unknown))}"
    # A singular English form may leave out the count ("one school"); every other msgstr keeps all.
    missing = names - have
    if missing and plural_index != 0:
        return f"missing placeholder(s) {', '.join(sorted(missing))}"
    if names:
        try:
            msgstr % dict.fromkeys(names, 1)
        except (ValueError, TypeError, KeyError) as exc:
            return f"bad % format: {exc}"
    elif "%%" in msgid and re.search(r"(?<!%)%(?!%)", msgstr.replace("%%", "")):
        return "a lone % where the msgid has %%"
    return ""


def problems(language: str = LANGUAGE, messages: list[Message] | None = None) -> list[Problem]:
    """Everything that keeps the catalogue from being complete and current."""
    if messages is None:
        messages, _ = collect()
    found: list[Problem] = []
    path, mo = po_path(language), mo_path(language)
    if not path.exists():
        return [Problem("missing file", _rel(path), "run: python scripts/messages.py extract")]
    po = load(language)
    entries = {(e.msgctxt, e.msgid): e for e in po if not e.obsolete}
    keys = {m.key for m in messages}
    for m in messages:
        e = entries.get(m.key)
        where = ":".join(m.occurrences[0])
        if e is None:
            found.append(Problem("not in catalogue", m.msgid, f"{where}; run extract"))
            continue
        if (e.msgid_plural or "") != m.msgid_plural:
            found.append(Problem("plural form differs from the source", m.msgid, f"{where}; run extract"))
    for e in po:
        if e.obsolete:
            continue
        if "fuzzy" in e.flags:
            found.append(Problem("fuzzy (needs checking)", e.msgid))
        elif not _translated(e):
            found.append(Problem("untranslated", e.msgid))
        else:
            strs = sorted(e.msgstr_plural.items()) if e.msgid_plural else [(None, e.msgstr)]
            for index, s in strs:
                source = e.msgid if index in (None, 0) else e.msgid_plural
                bad = _format_problem(source, s, index if e.msgid_plural else None)
                if bad:
                    found.append(Problem("bad translation", e.msgid, bad))
        if (e.msgctxt, e.msgid) not in keys:
            found.append(Problem("not in the sources", e.msgid, "run extract"))
    if po.metadata.get("Plural-Forms") != PLURAL_FORMS:
        found.append(Problem("header", "Plural-Forms", f"expected {PLURAL_FORMS!r}"))
    if not mo.exists():
        found.append(Problem("missing file", _rel(mo), "run: python scripts/messages.py compile"))
    elif mo.read_bytes() != compiled(po):
        found.append(Problem("stale .mo", _rel(mo), "differs from what the .po compiles to; run compile"))
    return found


# ----------------------------------------------------------------------------------------------- cli


def say(text: object, error: bool = False) -> None:
    (sys.stderr if error else sys.stdout).write(f"{text}\n")


def cmd_extract(args: argparse.Namespace) -> int:
    messages, warnings = collect()
    for w in warnings:
        say(f"warning: {w}", error=True)
    result = merge(load(args.language), messages, keep_obsolete=not args.no_obsolete)
    path = po_path(args.language)
    path.parent.mkdir(parents=True, exist_ok=True)
    result.po.save(str(path))
    todo = sum(1 for e in result.po if not e.obsolete and (not _translated(e) or "fuzzy" in e.flags))
    say(f"{_rel(path)}: {len(messages)} messages, {len(result.new)} new, {len(result.fuzzy)} fuzzy, "
          f"{len(result.obsolete)} obsolete{' (dropped)' if args.no_obsolete else ''}, {todo} to translate")
    return 0


def cmd_compile(args: argparse.Namespace) -> int:
    po = load(args.language)
    data = compiled(po)
    mo = mo_path(args.language)
    if mo.exists() and mo.read_bytes() == data:
        say(f"{_rel(mo)}: up to date ({len(po.translated_entries())} translated)")
        return 0
    mo.write_bytes(data)
    say(f"{_rel(mo)}: written ({len(po.translated_entries())} translated, "
          f"{len(po.untranslated_entries()) + len(po.fuzzy_entries())} left out)")
    return 0


def cmd_merge(args: argparse.Namespace) -> int:
    """Fills untranslated (or fuzzy) entries from JSON files of {msgid: English}; existing translations win."""
    po = load(args.language)
    given: dict[str, str | list[str]] = {}
    for name in args.files:
        given.update(json.loads(Path(name).read_text(encoding="utf-8")))
    filled = 0
    used: set[str] = set()
    for entry in po:
        # a msgid from {% blocktranslate %} has its % doubled; translators write them single
        key = entry.msgid if entry.msgid in given else entry.msgid.replace("%%", "%")
        if entry.obsolete or key not in given:
            continue
        used.add(key)
        done = all(entry.msgstr_plural.values()) if entry.msgid_plural else bool(entry.msgstr)
        if done and "fuzzy" not in entry.flags:
            continue
        value = given[key]  # a string, or [singular, plural] for a message with a plural
        forms = [value, value] if isinstance(value, str) else list(value)
        if key != entry.msgid:
            forms = [f.replace("%", "%%").replace("%%(", "%(") for f in forms]
        if entry.msgid_plural:
            entry.msgstr_plural = {0: forms[0], 1: forms[-1]}
        else:
            entry.msgstr = forms[0]
        if "fuzzy" in entry.flags:
            entry.flags.remove("fuzzy")
        filled += 1
    po.save(str(po_path(args.language)))
    unknown = sorted(set(given) - used)
    say(f"{filled} translations merged; {len(unknown)} given msgids are not in the sources")
    for msgid in unknown[:20]:
        say(f"  not in the sources: {msgid!r}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    messages, warnings = collect()
    for w in warnings:
        say(f"warning: {w}", error=True)
    found = problems(args.language, messages)
    for p in found:
        say(p)
    if found:
        say(f"{len(found)} problem(s) in the {args.language} catalogue", error=True)
        return 1
    say(f"{_rel(po_path(args.language))}: {len(messages)} messages, all translated; .mo up to date")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--language", default=LANGUAGE)
    sub = parser.add_subparsers(dest="command", required=True)
    p = sub.add_parser("extract", help="collect the messages of the sources into the .po")
    p.add_argument("--no-obsolete", action="store_true", help="drop messages no longer in the sources")
    p.set_defaults(func=cmd_extract)
    sub.add_parser("compile", help="write the .mo from the .po").set_defaults(func=cmd_compile)
    p = sub.add_parser("merge", help="fill untranslated messages from JSON files of {msgid: English}")
    p.add_argument("files", nargs="+")
    p.set_defaults(func=cmd_merge)
    sub.add_parser("check", help="fail on untranslated messages or a stale .po/.mo").set_defaults(func=cmd_check)
    args = parser.parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
