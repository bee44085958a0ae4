"""Benchmarks of the engine against bare Temporal workflows and plain Postgres (``make bench``).

Run with ``python -m bench`` (``bench/__main__.py``); what each benchmark measures,
the figures and where the time goes are in BENCHMARKS.md. Modules: ``stack`` (the
servers), ``worker`` (a worker process), ``baselines`` + ``bare_messages`` (the bare
workflows), ``mandates`` (1), ``audit_append`` (2, 3), ``event_log`` + ``log_reads``
(4, 5), ``open_mandates`` (6), ``harness`` (pairs, medians, results.json),
``profiling`` (py-spy, EXPLAIN), ``sizes`` (BENCH_SCALE).
"""
