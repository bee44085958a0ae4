"""The ports a stack started for a test, a benchmark or a fault run listens on."""

from __future__ import annotations

import socket

from devstack import processes
from devstack.processes import free_port, port_is_free


def test_a_free_port_is_below_the_kernels_ephemeral_range_and_never_handed_out_twice() -> None:
    """A port from the ephemeral range can be taken, before the server binds it, as the local
    end of a client's connection: the stack's mail sink once found its port busy that way."""
    low = processes._ephemeral_low()
    ports = [free_port() for _ in range(50)]
    assert len(set(ports)) == len(ports)
    if low > 11024:  # (a kernel whose range starts low leaves no room below it)
        assert all(10000 <= port < low for port in ports), (low, ports)
    assert all(port_is_free(port) for port in ports)


def test_a_port_something_listens_on_is_not_free() -> None:
    with socket.socket() as server:
        server.bind(("127.0.0.1", free_port()))
        server.listen()
        assert not port_is_free(server.getsockname()[1])
