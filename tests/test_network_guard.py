"""The guard in conftest must make any network attempt fail, or the offline tests prove nothing."""

import socket
import urllib.request

import pytest
from conftest import NetworkBlocked


def test_a_connection_attempt_fails():
    with pytest.raises(NetworkBlocked):
        socket.create_connection(("127.0.0.1", 9))
    with pytest.raises(NetworkBlocked):
        urllib.request.urlopen("http://example.com", timeout=1)
