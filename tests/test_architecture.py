"""The layers of ARCHITECTURE.md, read from the code's own imports.

Each top-level package (and ``worker.py``) may import the project's packages its layer
allows, and nothing above it. Run alone: ``.venv/bin/pytest tests/test_architecture.py``.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

ALLOWED: dict[str, set[str]] = {
    "domain": set(),
    "store": {"domain"},
    "config": {"domain", "store"},
    "reports": {"domain"},
    "activities": {"domain", "store"},
    "projections": {"domain", "store", "config"},
    "delivery": {"domain", "store", "config"},
    "workflows": {"domain", "activities", "config"},
    "devstack": {"domain", "store", "config", "workflows"},
    "documents": {"domain"},
    "usecases": {"domain", "store", "config", "reports", "projections", "delivery", "workflows", "documents"},
    "cli": {"domain", "config", "usecases", "devstack", "web"},
    "web": {"domain", "config", "usecases"},
    "worker": {"domain", "store", "config", "activities", "projections", "workflows"},
}
"""What each part may import of the others (ARCHITECTURE.md draws the same)."""

INTERFACE_NEVER = ("asyncpg", "store", "projections", "temporalio.client", "workflows", "activities")
"""What the interfaces (cli/, web/) never import: they go through the use cases."""

DEV_COMMANDS = {"cli/dev.py", "cli/codec_server.py", "cli/web.py"}
"""The only interface modules that start processes or servers (the dev stack, the codec
server, the console)."""


def _sources(part: str) -> list[Path]:
    if part == "worker":
        return [ROOT / "worker.py"]
    return sorted((ROOT / part).rglob("*.py")) if (ROOT / part).is_dir() else []


def _imports(path: Path) -> list[str]:
    names = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names += [a.name for a in node.names]
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.append(node.module)
    return names


@pytest.mark.parametrize("part", sorted(ALLOWED))
def test_each_part_imports_only_the_layers_below_it(part: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(part)
        for name in _imports(path)
        if name.split(".")[0] in ALLOWED and name.split(".")[0] not in ALLOWED[part] | {part}
    ]
    assert wrong == []


@pytest.mark.parametrize("part", ["cli", "web"])
def test_the_interfaces_go_through_the_use_cases(part: str) -> None:
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources(part)
        if str(path.relative_to(ROOT)) not in DEV_COMMANDS
        for name in _imports(path)
        if any(name == never or name.startswith(f"{never}.") for never in INTERFACE_NEVER)
    ]
    assert wrong == []


def test_no_module_imports_one_that_imports_it_back() -> None:
    modules = {
        ".".join(path.relative_to(ROOT).with_suffix("").parts).removesuffix(".__init__"): path
        for part in ALLOWED
        for path in _sources(part)
    }
    graph = {
        name: {i for i in _imports(path) if i in modules and i != name} for name, path in modules.items()
    }
    circles = sorted(
        " <-> ".join(sorted((a, b)))
        for a, targets in graph.items()
        for b in targets
        if a in graph.get(b, set())
    )
    assert circles == []


def test_domain_reads_no_clock_and_does_no_io() -> None:
    banned = ("asyncpg", "temporalio", "os", "socket", "subprocess", "shutil", "tempfile", "urllib")
    wrong = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in _sources("domain")
        for name in _imports(path)
        if name.split(".")[0] in banned
    ]
    text = "\n".join(p.read_text(encoding="utf-8") for p in _sources("domain"))
    assert wrong == []
    assert ".now(" not in text and "time.time(" not in text and "open(" not in text
    assert "from pathlib import Path" not in text  # PurePath only: names, never files
