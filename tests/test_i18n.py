"""Translations: the Chinese catalogue is complete and current, and the UI speaks Chinese by
default and English on request.

The catalogues live in locale/<lang>/LC_MESSAGES/django.po (msgids are English; the English
catalogue stays empty). Compiled .mo files are not in git: `make setup` builds them, and the
fixture below rebuilds them when a .po is newer, so these tests never read a stale catalogue.
"""

from __future__ import annotations

import ast
import re
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import call_command
from django.test import Client
from django.utils import translation
from django.utils.translation import trans_real

BASE_DIR = Path(settings.BASE_DIR)
LOCALE_DIR = BASE_DIR / "locale"
ZH_PO = LOCALE_DIR / "zh_Hans" / "LC_MESSAGES" / "django.po"
EN_PO = LOCALE_DIR / "en" / "LC_MESSAGES" / "django.po"

# Directories makemessages is told to skip (Makefile / README), plus migrations.
SKIPPED_DIRS = {".venv", "var", "tests", "bench", "migrations", "node_modules", ".git"}
GETTEXT_FUNCS = {"_", "gettext", "gettext_lazy", "gettext_noop", "ngettext", "ngettext_lazy"}

# %(name)s, %(x).6f, %s, %d, {name}, {0} — but not the escaped %% or {{ }}.
PLACEHOLDER = re.compile(
    r"%\([^)]+\)[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|%[-#0 +]*\d*(?:\.\d+)?[diouxXeEfFgGcrsa]"
    r"|(?<!\{)\{[A-Za-z0-9_.\[\]]*(?:![rsa])?(?::[^{}]*)?\}(?!\})"
)


# --- a tiny .po reader ------------------------------------------------------------------------


@dataclass
class Entry:
    msgid: str = ""
    msgid_plural: str | None = None
    msgctxt: str | None = None
    msgstrs: dict[int, str] = field(default_factory=dict)
    flags: set[str] = field(default_factory=set)
    obsolete: bool = False
    line: int = 0


_UNESCAPE = {"n": "\n", "t": "\t", "r": "\r", '"': '"', "\\": "\\"}
_KEYWORD = re.compile(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[(\d+)\])?)\s+"(.*)"\s*$')


def _unquote(text: str) -> str:
    return re.sub(r"\\(.)", lambda m: _UNESCAPE.get(m.group(1), m.group(1)), text)


def parse_po(path: Path) -> list[Entry]:
    """Entries of a .po file, header included (msgid ""). Enough of the format for our files."""
    entries: list[Entry] = []
    entry = Entry()
    key: tuple[str, int] | None = None
    seen_msgstr = False

    def flush() -> None:
        nonlocal entry, key, seen_msgstr
        if key is not None:
            entries.append(entry)
        entry, key, seen_msgstr = Entry(), None, False

    for number, raw in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        line = raw.strip()
        if not line:
            flush()
            continue
        if line.startswith("#~"):
            entry.obsolete = True
            line = line[2:].strip()
            if not line or line.startswith("#"):
                continue
        elif line.startswith("#"):
            if seen_msgstr:
                flush()
            if line.startswith("#,"):
                entry.flags.update(f.strip() for f in line[2:].split(",") if f.strip())
            continue
        match = _KEYWORD.match(line)
        if match:
            keyword, index, text = match.groups()
            if keyword in ("msgid", "msgctxt") and seen_msgstr:
                flush()  # a new entry without a blank line before it
            if not entry.line:
                entry.line = number
            if keyword.startswith("msgstr"):
                seen_msgstr = True
                key = ("msgstr", int(index or 0))
                entry.msgstrs[key[1]] = _unquote(text)
            else:
                key = (keyword, 0)
                setattr(entry, keyword, _unquote(text))
        elif line.startswith('"') and key is not None:
            text = _unquote(line[1:-1])
            if key[0] == "msgstr":
                entry.msgstrs[key[1]] += text
            else:
                setattr(entry, key[0], (getattr(entry, key[0]) or "") + text)
        else:
            raise AssertionError(f"{path}:{number}: cannot read {raw!r}")
    flush()
    return entries


def messages(path: Path) -> list[Entry]:
    return [e for e in parse_po(path) if e.msgid and not e.obsolete]


def placeholders(text: str) -> Counter[str]:
    return Counter(PLACEHOLDER.findall(text))


# --- msgids in the source -----------------------------------------------------------------------


@dataclass(frozen=True)
class SourceMsgid:
    msgid: str
    where: str
    in_fstring: bool


def _func_name(call: ast.Call) -> str:
    func = call.func
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute):
        return func.attr
    return ""


def source_files() -> list[Path]:
    return [
        path
        for path in sorted(BASE_DIR.rglob("*.py"))
        if not SKIPPED_DIRS.intersection(path.relative_to(BASE_DIR).parts[:-1])
    ]


def source_msgids() -> list[SourceMsgid]:
    """Every _("…") / gettext("…") / gettext_lazy("…") call whose first argument is a plain
    string literal (implicit concatenation of literals counts as one, as xgettext reads it)."""
    found: list[SourceMsgid] = []
    for path in source_files():
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
        inside_fstring: set[int] = set()
        for node in ast.walk(tree):
            if isinstance(node, ast.JoinedStr):
                inside_fstring.update(id(child) for child in ast.walk(node) if child is not node)
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and _func_name(node) in GETTEXT_FUNCS):
                continue
            if not node.args:
                continue
            first = node.args[0]
            if isinstance(first, ast.Constant) and isinstance(first.value, str) and first.value:
                where = f"{path.relative_to(BASE_DIR)}:{node.lineno}"
                found.append(SourceMsgid(first.value, where, id(node) in inside_fstring))
    return found


# --- fixtures -----------------------------------------------------------------------------------


def _reset_translation_cache() -> None:
    # What Django itself does when LOCALE_PATHS changes: forget the loaded catalogues.
    trans_real._translations = {}
    trans_real._default = None
    trans_real.translation_catalog_exists.cache_clear()


@pytest.fixture(scope="session", autouse=True)
def compiled_messages() -> None:
    """Build the .mo files when missing or older than their .po (they are git-ignored)."""
    stale = False
    for po in (ZH_PO, EN_PO):
        mo = po.with_suffix(".mo")
        if not mo.exists() or mo.stat().st_mtime < po.stat().st_mtime:
            stale = True
    if stale:
        call_command("compilemessages", ignore_patterns=[".venv"], verbosity=0)
        _reset_translation_cache()


@pytest.fixture(autouse=True)
def _restore_language():
    """LocaleMiddleware activates the request's language and leaves it active: put it back."""
    with translation.override(translation.get_language()):
        yield


# --- (a) the Chinese catalogue is complete ------------------------------------------------------


def test_zh_hans_header_has_chinese_plural_forms():
    header = next(e for e in parse_po(ZH_PO) if e.msgid == "")
    assert "fuzzy" not in header.flags
    assert "Plural-Forms: nplurals=1; plural=0;" in header.msgstrs[0]
    assert "Content-Type: text/plain; charset=UTF-8" in header.msgstrs[0]


def test_every_zh_hans_message_is_translated_with_the_same_placeholders():
    entries = messages(ZH_PO)
    assert len(entries) > 100, "the Chinese catalogue looks empty: run makemessages"
    problems = []
    for entry in entries:
        label = f"{ZH_PO.relative_to(BASE_DIR)}:{entry.line} {entry.msgid!r}"
        if "fuzzy" in entry.flags:
            problems.append(f"{label}: fuzzy")
        if not entry.msgstrs or not all(s.strip() for s in entry.msgstrs.values()):
            problems.append(f"{label}: not translated")
            continue
        wanted = placeholders(entry.msgid)
        for index, msgstr in entry.msgstrs.items():
            if entry.msgid_plural is not None and index > 0:
                wanted = placeholders(entry.msgid_plural)
            if placeholders(msgstr) != wanted:
                problems.append(
                    f"{label}: placeholders {sorted(placeholders(msgstr).elements())} in "
                    f"{msgstr!r}, expected {sorted(wanted.elements())}"
                )
    assert not problems, "\n".join(problems)


def test_the_english_catalogue_has_the_same_messages():
    zh = {(e.msgctxt, e.msgid) for e in messages(ZH_PO)}
    en = {(e.msgctxt, e.msgid) for e in messages(EN_PO)}
    assert zh == en, f"only in zh_Hans: {sorted(zh - en)}; only in en: {sorted(en - zh)}"


# --- (b) model labels follow the active language ------------------------------------------------


def test_labels_are_chinese_under_zh_hans_and_english_under_en():
    from cases.models import ClosureKind, HandlingLevel, PendingRequest, Status
    from grids.models import GridKind, Role, UnitKind

    expected = {
        Role.INSPECTOR: ("网格员", "Inspector"),
        Role.INTAKE_OPERATOR: ("受理员", "Intake operator"),
        Role.SHIFT_SUPERVISOR: ("值班长", "Shift supervisor"),
        Role.DISPATCHER: ("派遣员", "Dispatcher"),
        GridKind.UNIT: ("单元网格", "Unit grid"),
        GridKind.EXTENDED: ("拓展网格", "Extended grid"),
        UnitKind.DEPARTMENT: ("专业部门", "Department"),
        Status.FILED: ("已立案", "Filed"),
        Status.DISPATCHED: ("已派遣", "Dispatched"),
        Status.SUSPENDED: ("已挂账", "Suspended"),
        Status.CLOSED: ("已结案", "Closed"),
        Status.VOIDED: ("已作废", "Voided"),
        PendingRequest.RETURN: ("回退", "Return"),
        PendingRequest.EXTENSION: ("延期", "Extension"),
        HandlingLevel.COMMUNITY: ("社区", "Community"),
        HandlingLevel.STREET: ("街道", "Street"),
        ClosureKind.OVERDUE: ("超期", "Overdue"),
    }
    for choice, (zh, en) in expected.items():
        with translation.override("zh-hans"):
            assert str(choice.label) == zh
        with translation.override("en"):
            assert str(choice.label) == en


def test_workflow_actions_use_the_domain_terms():
    from cases.workflow import TRANSITIONS, Action

    with translation.override("zh-hans"):
        assert str(TRANSITIONS[Action.FILE].label) == "立案"
        assert str(TRANSITIONS[Action.SIGN_FOR].label) == "签收"
        assert str(TRANSITIONS[Action.FEEDBACK].label) == "处置反馈"
        assert str(TRANSITIONS[Action.SELF_HANDLE].label) == "自处置"
        assert str(TRANSITIONS[Action.CHECK_FAIL].label) == "核查不通过（返工）"


def test_the_default_language_is_chinese():
    from grids.models import Role

    assert settings.LANGUAGE_CODE == "zh-hans"
    translation.deactivate()  # nothing active: the default language applies
    assert str(Role.INSPECTOR.label) == "网格员"


def test_interpolated_messages_are_translated():
    from django.utils.translation import gettext

    with translation.override("zh-hans"):
        text = gettext("No case %(id)s in your jurisdiction.") % {"id": 42}
    assert text == "您的管辖范围内没有案件 42。"


# --- (c) Django's own strings, through LocaleMiddleware -----------------------------------------


@pytest.mark.django_db  # the page's CSP names the registered external origins (a query)
def test_admin_login_is_chinese_without_accept_language():
    response = Client().get("/admin/login/")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'lang="zh-hans"' in content
    assert "登录" in content
    assert "Log in" not in content


@pytest.mark.django_db  # the page's CSP names the registered external origins (a query)
def test_admin_login_is_english_when_asked():
    response = Client().get("/admin/login/", HTTP_ACCEPT_LANGUAGE="en")
    assert response.status_code == 200
    content = response.content.decode()
    assert 'lang="en"' in content
    assert "Log in" in content
    assert "登录" not in content


# --- (d) the catalogue is current ---------------------------------------------------------------


def test_every_msgid_in_the_source_is_in_the_catalogue():
    """A string wrapped for translation but missing here means makemessages was not rerun."""
    catalogue = {e.msgid for e in messages(ZH_PO)}
    found = [m for m in source_msgids() if not m.in_fstring]
    assert len(found) > 100, "the source scan found almost nothing: is BASE_DIR right?"
    missing = sorted({f"{m.where}: {m.msgid!r}" for m in found if m.msgid not in catalogue})
    assert not missing, (
        "Not in locale/zh_Hans/LC_MESSAGES/django.po — run `manage.py makemessages -l zh_Hans "
        "-l en --ignore=.venv --ignore=var --ignore=tests --ignore=bench --no-location` and "
        "translate:\n" + "\n".join(missing)
    )


def test_no_gettext_call_inside_an_f_string():
    """xgettext cannot read f-strings, so _("…") inside one never reaches the catalogue."""
    hidden = sorted({f"{m.where}: {m.msgid!r}" for m in source_msgids() if m.in_fstring})
    assert not hidden, (
        "Move these out of the f-string (e.g. _('contact #%(id)s') % {...}):\n" + "\n".join(hidden)
    )
