"""Benchmarks of the engine against bare Temporal, raw Postgres and the event store a
Python team would pick instead (``make bench``).

Run with ``python -m bench`` (``bench/__main__.py``); what each benchmark measures,
the figures and where the time goes are in BENCHMARKS.md. Modules: ``registry`` (how a
benchmark registers: one module each), ``harness`` (pairs, medians, targets,
results.json, the trend against ``last-full-run.json``), ``stack`` (the servers, the
engine's codec key and identities), ``worker`` (a worker process), ``baselines`` +
``bare_messages`` (the bare workflows), ``mandates`` (1), ``audit_append`` (2, 3),
``event_log`` + ``log_reads`` (4, 5), ``open_mandates`` (6), ``peer_store`` (7, the
eventsourcing library), ``profiling`` (py-spy, EXPLAIN), ``sizes`` (BENCH_SCALE).
"""
