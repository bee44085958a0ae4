"""The contact directory: the e-mail addresses of the parties, approvers, coordinators and the
secretariat, by the names the plans use ("States parties", "chief.of.section", "coordinator").

A directory file is CSV (a header ``name,role,email`` and optionally ``display_name``) or
YAML (a list of mappings with those keys, or a mapping with such a list under ``contacts``).
A name may have several addresses (one line each). Parsing is all or nothing: the first bad
line is reported as one line with its number, and how many more lines are bad.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import PurePath
from typing import Any

import yaml
from pydantic import BaseModel, ConfigDict

from domain.errors import DomainError
from domain.values import MAX_NAME, name_problem, not_one_line, unstorable

_ATOM = r"[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+"
_LABEL = r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?"
_EMAIL = re.compile(rf"^{_ATOM}(?:\.{_ATOM})*@(?:{_LABEL}\.)+[A-Za-z]{{2,63}}$")
COLUMNS = ("name", "role", "email", "display_name")
REQUIRED = ("name", "role", "email")


class ContactsInvalid(DomainError):
    """A contact directory file breaks a rule; the message names the line."""

    code = "contacts_invalid"


class ContactRole(StrEnum):
    PARTY = "party"  # a State party's focal point or a partner secretariat
    APPROVER = "approver"
    COORDINATOR = "coordinator"
    SECRETARIAT = "secretariat"  # who carries out tasks and reports


class Contact(BaseModel):
    """One address of one name in the directory."""

    model_config = ConfigDict(frozen=True)

    name: str
    role: ContactRole
    email: str
    display_name: str = ""


def is_email(address: str) -> bool:
    """Whether ``address`` is a plain ``local@domain.tld`` address (no display name)."""
    return len(address) <= 254 and _EMAIL.match(address) is not None and len(address.split("@")[0]) <= 64


class _Line(BaseModel):
    number: int
    fields: dict[str, str]


def parse_contacts(text: str, filename: str) -> list[Contact]:
    """The contacts of a directory file, chosen by its suffix (.csv, .yaml or .yml).

    Raises:
        ContactsInvalid: the file is malformed or a line is bad (which, and why).
    """
    suffix = PurePath(filename).suffix.lower()
    text = text.removeprefix("\ufeff")  # a byte order mark, as spreadsheets write
    if "\x00" in text:
        raise ContactsInvalid(
            f"{filename}: the file holds NUL characters; it is not a text contact directory"
        )
    try:
        if suffix == ".csv":
            return parse_contacts_csv(text)
        if suffix in (".yaml", ".yml"):
            return parse_contacts_yaml(text)
    except csv.Error as exc:
        raise ContactsInvalid(f"{filename}: not a usable CSV file: {exc}") from None
    except RecursionError:
        raise ContactsInvalid(f"{filename}: the file nests too deeply to be a contact directory") from None
    raise ContactsInvalid(f"{filename}: a contact directory is a .csv, .yaml or .yml file")


def parse_contacts_csv(text: str) -> list[Contact]:
    """Contacts from CSV text with a header line; blank lines and ``#`` lines are skipped."""
    reader = csv.reader(io.StringIO(text))
    header: list[str] | None = None
    lines: list[_Line] = []
    ended = 0  # the line the previous record ended on (a quoted field may hold line breaks)
    for row in reader:
        number, ended = ended + 1, reader.line_num
        if not any(cell.strip() for cell in row) or row[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [cell.strip().lower() for cell in row]
            _check_header(header, number)
            continue
        if len(row) > len(header):
            raise ContactsInvalid(f"line {number}: {len(row)} fields, the header has {len(header)}")
        fields = {name: cell.strip() for name, cell in zip(header, row, strict=False)}
        lines.append(_Line(number=number, fields=fields))
    if header is None:
        raise ContactsInvalid("the file is empty: it needs a header line name,role,email")
    return _validate(lines)


def _check_header(header: Sequence[str], line: int) -> None:
    unknown = [h for h in header if h not in COLUMNS]
    if unknown:
        raise ContactsInvalid(
            f"line {line}: unknown column {unknown[0]!r} (the columns are {', '.join(COLUMNS)})"
        )
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        raise ContactsInvalid(f"line {line}: the header lacks the column {missing[0]!r}")
    if len(set(header)) != len(header):
        raise ContactsInvalid(f"line {line}: a column is named twice")


def parse_contacts_yaml(text: str) -> list[Contact]:
    """Contacts from YAML: a list of mappings, or a mapping with the list under ``contacts``."""
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        where = f"line {mark.line + 1}: " if mark is not None else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise ContactsInvalid(f"{where}not valid YAML: {problem}") from None
    if root is None:
        raise ContactsInvalid("the file is empty: it needs a list of contacts")
    if isinstance(root, yaml.MappingNode):
        entries = [value for key, value in root.value if _scalar(key) == "contacts"]
        if not entries:
            raise ContactsInvalid(f"line {root.start_mark.line + 1}: expected a list under 'contacts'")
        root = entries[0]
    if not isinstance(root, yaml.SequenceNode):
        raise ContactsInvalid(f"line {root.start_mark.line + 1}: expected a list of contacts")
    lines: list[_Line] = []
    for item in root.value:
        number = item.start_mark.line + 1
        if not isinstance(item, yaml.MappingNode):
            raise ContactsInvalid(f"line {number}: a contact is a mapping of {', '.join(REQUIRED)}")
        fields: dict[str, str] = {}
        for key, value in item.value:
            name = _scalar(key).lower()
            if name not in COLUMNS:
                keys = ", ".join(COLUMNS)
                line = key.start_mark.line + 1
                raise ContactsInvalid(f"line {line}: unknown key {name!r} (the keys are {keys})")
            if not isinstance(value, yaml.ScalarNode):
                raise ContactsInvalid(f"line {value.start_mark.line + 1}: {name} must be a single value")
            fields[name] = _scalar(value).strip()
            if name == "email":  # report a bad address on its own line
                number = value.start_mark.line + 1
        lines.append(_Line(number=number, fields=fields))
    return _validate(lines)


def _scalar(node: Any) -> str:
    return str(node.value) if isinstance(node, yaml.ScalarNode) else ""


def _validate(lines: Iterable[_Line]) -> list[Contact]:
    contacts: list[Contact] = []
    errors: list[str] = []
    seen: dict[tuple[str, str], int] = {}
    roles: dict[str, tuple[ContactRole, int]] = {}
    for line in lines:
        problem = _problem(line.fields)
        if problem is None:
            name, email = line.fields["name"], line.fields["email"]
            role = ContactRole(line.fields["role"].lower())
            key = (name, email.lower())
            if key in seen:
                problem = f"{name!r} <{email}> is listed already on line {seen[key]}"
            elif name in roles and roles[name][0] is not role:
                first_role, first_line = roles[name]
                problem = (
                    f"{name!r} has the role {role.value} here but {first_role.value} on line {first_line}"
                )
            else:
                seen[key] = line.number
                roles.setdefault(name, (role, line.number))
                contacts.append(
                    Contact(
                        name=name, role=role, email=email, display_name=line.fields.get("display_name", "")
                    )
                )
        if problem is not None:
            errors.append(f"line {line.number}: {problem}")
    if errors:
        more = f" (and {len(errors) - 1} more bad lines)" if len(errors) > 2 else ""
        more = " (and 1 more bad line)" if len(errors) == 2 else more
        raise ContactsInvalid(f"{errors[0]}{more}; nothing imported")
    if not contacts:
        raise ContactsInvalid("the file lists no contacts")
    return contacts


def _problem(fields: dict[str, str]) -> str | None:
    for column in REQUIRED:
        if not fields.get(column):
            return f"{column} is missing"
    # A name and a display name go into mail headers: one line each, of a bounded length.
    for column in ("name", "display_name"):
        value = fields.get(column, "")
        if not value:
            continue
        issue = unstorable(value) or not_one_line(value)
        if issue is not None:
            return f"{column} holds {issue}"
        if len(value) > MAX_NAME:
            return f"{column} is longer than {MAX_NAME} characters"
    problem = name_problem(fields["name"])
    if problem is not None:
        return f"name {problem}"
    role = fields["role"].lower()
    if role not in {r.value for r in ContactRole}:
        return f"unknown role {fields['role']!r} (expected {', '.join(r.value for r in ContactRole)})"
    if not is_email(fields["email"]):
        return f"{fields['email']!r} is not an e-mail address"
    return None
