"""Where benchmarks register, so that ``python -m bench`` and the smoke test find them.

Adding a benchmark is one module in ``bench/``: a class with ``number``, ``title``,
``metrics``, ``target`` and async ``engine()``/``baseline()`` (``bench.harness.Benchmark``),
or just two functions given to ``FunctionBenchmark``, and a factory registered with
``@register``::

    # bench/overlap_query.py
    from bench.harness import FunctionBenchmark, Metric, ratio_target
    from bench.registry import Context, register

    P95 = Metric("p95", "ms", lower_is_better=True, target=0.2)

    @register("10", order=75)
    def overlap_query(ctx: Context) -> FunctionBenchmark:
        stages = ctx.size("overlap_stages", tiny=500, small=10_000, full=100_000)

        async def engine() -> dict[str, float]: ...    # one run: its metrics by name
        async def baseline() -> dict[str, float]: ...

        return FunctionBenchmark("10", "review overlap, 100,000 stages", (P95,), ratio_target(P95),
                                 engine, baseline)

(``bench/review_overlaps.py``, benchmark 9, is a real one of this shape.)

``load()`` imports every module of the ``bench`` package, so nothing else needs editing:
``python -m bench --list`` shows it, ``--only 10`` runs it, ``make bench`` runs it in
``order`` (lower first; 6 stays last, it leaves workflows open on the dev server),
its entry joins ``bench/results.json`` and the trend column, and the smoke test
(``tests/bench/test_smoke.py``) runs every registered benchmark once at the tiny scale.
Sizes a benchmark needs beyond ``bench.sizes.Sizes`` come from ``Context.size``
(overridable as ``BENCH_<NAME>=n``). A benchmark that needs a package of an optional
extra names its import in ``requires`` and imports it inside its functions: without
it, ``--only`` refuses to run it and the smoke test skips it, saying which extra to install.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import pkgutil
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from bench.harness import Benchmark
    from bench.log_reads import SharedLog
    from bench.profiling import Profiler
    from bench.sizes import Sizes
    from bench.stack import BenchStack


@dataclass
class Context:
    """What a benchmark's factory is given: the servers, the sizes and the session's options."""

    stack: BenchStack
    sizes: Sizes
    scale: str
    shared_log: SharedLog  # the generated log of 4, 5 and 7 (made on first use)
    worker_options: dict[str, str] = field(default_factory=dict)
    profiler: Profiler | None = None
    codec: bool = True  # the engine side encrypts payloads and signs updates (BENCH_CODEC=off: not)

    def size(self, name: str, *, tiny: int, small: int, full: int) -> int:
        """A size of this benchmark at the session's scale; ``BENCH_<NAME>=n`` overrides it."""
        raw = os.environ.get(f"BENCH_{name.upper()}")
        if raw:
            try:
                return int(raw)
            except ValueError:
                raise SystemExit(f"error: BENCH_{name.upper()} must be an integer, not {raw!r}") from None
        return {"tiny": tiny, "small": small, "full": full}[self.scale]


@dataclass(frozen=True)
class Registration:
    number: str
    make: Callable[[Context], Benchmark]
    order: int
    requires: tuple[str, ...] = ()
    extra: str = "bench"
    module: str = ""

    def missing(self) -> list[str]:
        """The modules of ``requires`` that cannot be imported here."""
        return [name for name in self.requires if importlib.util.find_spec(name) is None]

    def why_unavailable(self) -> str | None:
        missing = self.missing()
        if not missing:
            return None
        return (
            f"benchmark {self.number} needs {', '.join(missing)} "
            f"(pip install -c constraints.txt -e '.[{self.extra}]')"
        )


REGISTRY: dict[str, Registration] = {}


def register(
    number: str, *, order: int, requires: tuple[str, ...] = (), extra: str = "bench"
) -> Callable[[Callable[[Context], Any]], Callable[[Context], Any]]:
    """Register ``make(ctx)`` as the factory of benchmark ``number`` (a decorator)."""
    if not number.isdigit():
        raise ValueError(f"a benchmark number is digits, not {number!r}")

    def decorate(make: Callable[[Context], Any]) -> Callable[[Context], Any]:
        known = REGISTRY.get(number)
        if known is not None and known.module != make.__module__:
            raise ValueError(f"benchmark {number} is registered twice ({known.module}, {make.__module__})")
        REGISTRY[number] = Registration(number, make, order, tuple(requires), extra, make.__module__)
        return make

    return decorate


_SKIP = {"__main__", "registry", "worker"}


def load() -> dict[str, Registration]:
    """Import every module of the ``bench`` package (they register), and return the
    registrations in run order."""
    import bench

    for info in pkgutil.iter_modules(bench.__path__):
        if info.name not in _SKIP and not info.name.startswith("_"):
            importlib.import_module(f"bench.{info.name}")
    return dict(sorted(REGISTRY.items(), key=lambda item: (item[1].order, int(item[0]))))
