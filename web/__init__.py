"""The web console: the Secretariat's work list, mandates, imports, reports and audit, and the
answer page a consulted party opens from its personal link.

It is an interface like ``cli``: it calls the use cases (``usecases``) and nothing below them
(``tests/test_architecture.py``). It keeps no state of its own: sessions and forms are signed
with the console's secret, so several replicas behind a load balancer serve alike.
"""
