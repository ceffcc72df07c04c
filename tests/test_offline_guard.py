"""The default test run refuses non-loopback connections (pytest-socket, configured in pyproject)."""

import socket

import pytest


def test_non_loopback_connection_fails_the_test():
    with pytest.raises(Exception) as caught:
        socket.create_connection(("192.0.2.1", 443), timeout=1)  # TEST-NET-1: never routed
    assert "SocketConnectBlockedError" in type(caught.value).__name__ or "blocked" in str(caught.value).lower()


def test_loopback_is_allowed():
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=1)
    client.close()
    server.close()
