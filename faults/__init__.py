"""The fault harness: prove that nothing is lost, duplicated or silently altered.

``python -m faults [--mandates N]`` (``make faults``) brings up its own dev stack
(``devstack.DevStack`` on free ports, in a temporary data folder), starts N
mandates whose simulated parties, approvers and Secretariat staff answer on the
real clock, and meanwhile kills the worker with SIGKILL (also while audit
appends are in flight), restarts Postgres, and restarts the Temporal dev server
while deadline timers are pending (one of them falls due while it is down).
Then it checks that every mandate completed, that each audit stream holds
exactly the events ``domain.decide`` predicts for the commands sent (none
missing, none twice, each timer fired once), that the hash chain and the signed
checkpoints verify, and that the read models equal a rebuild; it prints the
counts and exits 1 on any difference.

- ``faults.stack``: the stack and the faults done to it.
- ``faults.parties``: the plan, the mandates, and the people who answer them.
- ``faults.expected``: what ``domain.decide`` predicts for each mandate.
- ``faults.checks``: the checks after the run, and the summary they fill.
- ``faults.run``: the timeline that ties them together.
"""
