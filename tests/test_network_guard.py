"""The guard in conftest must make any connection beyond this machine fail, or the offline tests prove nothing."""

import socket
import urllib.request

import pytest
from conftest import NetworkBlocked


def test_a_connection_beyond_loopback_fails():
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("192.0.2.1", 9))
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("example.com", 80))
    with pytest.raises(NetworkBlocked):
        urllib.request.urlopen("http://example.com", timeout=1)


def test_loopback_still_works():
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        with socket.create_connection(server.getsockname(), timeout=5) as client:
            assert client.getpeername() == server.getsockname()
