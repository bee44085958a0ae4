"""What the tests share: builders, stories, stack starters and runners.

Test modules and ``conftest.py`` files import from here; ``conftest.py`` files hold
fixtures only, and no module imports from a ``conftest.py``.
"""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
"""The repository's root folder."""
EXAMPLES = ROOT / "examples"
"""The example resolutions, plans and contact directory that ship with the project."""
