"""The contact directory (domain/contacts.py): parsing CSV and YAML, bad lines named by number,
what counts as an address."""

from __future__ import annotations

import pytest

from domain.contacts import ContactRole, ContactsInvalid, is_email, parse_contacts
from domain.default_plans import LEGAL_AFFAIRS, PARTNER_SECRETARIATS, SECTION_CHIEF, STATES_PARTIES
from tests.support import EXAMPLES

EXAMPLE = EXAMPLES / "contacts.csv"


def test_csv_with_comments_blank_lines_and_several_addresses_per_name() -> None:
    contacts = parse_contacts(
        "# focal points\n"
        "name,role,email,display_name\n"
        "\n"
        "Austria,party,focal.point@austria.example,Austrian focal point\n"
        '"Council of Europe (GRECO)",party,greco@coe.example,\n'
        "Austria,Party,deputy@austria.example\n",
        "contacts.csv",
    )
    assert [(c.name, c.role, c.email, c.display_name) for c in contacts] == [
        ("Austria", ContactRole.PARTY, "focal.point@austria.example", "Austrian focal point"),
        ("Council of Europe (GRECO)", ContactRole.PARTY, "greco@coe.example", ""),
        ("Austria", ContactRole.PARTY, "deputy@austria.example", ""),
    ]


def test_a_bad_address_is_one_line_naming_its_line() -> None:
    text = "name,role,email\nAustria,party,ok@austria.example\nMexico,party,mexico.example\n"
    with pytest.raises(ContactsInvalid) as caught:
        parse_contacts(text, "contacts.csv")
    assert str(caught.value) == "line 3: 'mexico.example' is not an e-mail address; nothing imported"
    assert caught.value.code == "contacts_invalid"


def test_every_bad_line_is_counted_and_the_first_named() -> None:
    text = (
        "name,role,email\n"
        "Austria,party,a@@austria.example\n"
        "Mexico,party,\n"
        ",party,x@y.example\n"
        "Peru,ambassador,p@peru.example\n"
    )
    with pytest.raises(ContactsInvalid, match=r"^line 2: .* \(and 3 more bad lines\); nothing imported$"):
        parse_contacts(text, "contacts.csv")


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("", "the file is empty"),
        ("name,email\nAustria,a@austria.example\n", "line 1: the header lacks the column 'role'"),
        ("name,role,email,phone\n", "line 1: unknown column 'phone'"),
        ("name,role,email\nA,party,a@a.example,extra\n", "line 2: 4 fields, the header has 3"),
        (
            "name,role,email\nA,party,a@a.example\nA,party,A@a.example\n",
            "line 3: 'A' <A@a.example> is listed already on line 2",
        ),
        (
            "name,role,email\nA,party,a@a.example\nA,approver,b@a.example\n",
            "line 3: 'A' has the role approver here but party on line 2",
        ),
        ("name,role,email\n", "the file lists no contacts"),
    ],
)
def test_malformed_csv(text: str, message: str) -> None:
    with pytest.raises(ContactsInvalid, match=rf"^{message}"):
        parse_contacts(text, "contacts.csv")


def test_yaml_as_a_list_or_under_contacts_with_line_numbers() -> None:
    listed = parse_contacts(
        "- name: Austria\n  role: party\n  email: focal.point@austria.example\n",
        "contacts.yaml",
    )
    nested = parse_contacts(
        "contacts:\n  - {name: chief.of.section, role: approver, email: chief@unodc.example}\n",
        "contacts.yml",
    )
    assert [(c.name, c.email) for c in listed] == [("Austria", "focal.point@austria.example")]
    assert [(c.name, c.role) for c in nested] == [("chief.of.section", ContactRole.APPROVER)]
    bad = "contacts:\n  - name: Austria\n    role: party\n    email: not-an-address\n"
    with pytest.raises(ContactsInvalid, match=r"^line 4: 'not-an-address' is not an e-mail address"):
        parse_contacts(bad, "contacts.yaml")
    with pytest.raises(ContactsInvalid, match=r"^line 2: unknown key 'phone'"):
        parse_contacts("- name: A\n  phone: 1\n", "contacts.yaml")
    with pytest.raises(ContactsInvalid, match=r"^line 2: not valid YAML: expected ',' or ']'"):
        parse_contacts("- [unclosed\n", "contacts.yaml")
    with pytest.raises(ContactsInvalid, match=r"\.csv, \.yaml or \.yml"):
        parse_contacts("", "contacts.txt")


@pytest.mark.parametrize(
    ("address", "valid"),
    [
        ("focal.point@austria.example", True),
        ("o'brien+mandates@un.org", True),
        ("a@b.co", True),
        ("no-at-sign.example", False),
        ("two@@ats.example", False),
        (".leading.dot@x.example", False),
        ("double..dot@x.example", False),
        ("user@localhost", False),
        ("user@-bad.example", False),
        ("Name <user@x.example>", False),
        ("spaced user@x.example", False),
    ],
)
def test_what_counts_as_an_address(address: str, valid: bool) -> None:
    assert is_email(address) is valid


def test_the_example_directory_covers_every_name_the_default_plans_use() -> None:
    contacts = parse_contacts(EXAMPLE.read_text(encoding="utf-8"), EXAMPLE.name)
    names = {c.name for c in contacts}
    used = {
        *STATES_PARTIES,
        *PARTNER_SECRETARIATS,
        SECTION_CHIEF,
        LEGAL_AFFAIRS,
        "coordinator",
        "secretariat",
    }
    assert used <= names
