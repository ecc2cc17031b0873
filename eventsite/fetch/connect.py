"""HTTP(S) connections that only connect to addresses the policy allows.

The host name is resolved once here, every address is checked, and the socket connects to
that checked address; the peer address of the connected socket is checked again. A DNS
answer that changes between check and use (DNS rebinding) therefore cannot reach a private
address, and neither can a redirect, since every hop makes a new connection through here.
Environment proxies are never used: a proxy would hide the address actually reached.
"""

from __future__ import annotations

import http.client
import socket
import ssl

from eventsite.fetch.policy import (
    FetchFailed,
    FetchPolicy,
    FetchRefused,
    Resolver,
    system_resolver,
)


def open_checked_socket(
    host: str, port: int, policy: FetchPolicy, resolver: Resolver = system_resolver
) -> socket.socket:
    """A socket connected to an allowed address of `host`; FetchRefused if there is none."""
    addresses = resolver(host, port)
    if not addresses:
        raise FetchFailed(f"host {host!r} has no address")
    refusals: list[str] = []
    last_error: OSError | None = None
    for address in addresses:
        reason = policy.address_refusal(address)
        if reason:
            refusals.append(reason)
            continue
        try:
            sock = socket.create_connection((address, port), timeout=policy.connect_timeout)
        except OSError as exc:
            last_error = exc
            continue
        _check_peer(sock, policy)
        sock.settimeout(policy.read_timeout)
        return sock
    if last_error is not None:
        raise FetchFailed(f"cannot connect to {host}:{port} ({_describe(last_error)})")
    raise FetchRefused(f"host {host!r} resolves to a {refusals[0]}; refused")


def _check_peer(sock: socket.socket, policy: FetchPolicy) -> None:
    peer = str(sock.getpeername()[0])
    reason = policy.address_refusal(peer)
    if reason:
        sock.close()
        raise FetchRefused(f"connected to a {reason}; refused")


def _describe(error: OSError) -> str:
    if isinstance(error, TimeoutError | socket.timeout):
        return "connect timed out"
    return error.strerror or type(error).__name__


class CheckedHTTPConnection(http.client.HTTPConnection):
    def __init__(
        self, host: str, port: int, policy: FetchPolicy, resolver: Resolver = system_resolver
    ) -> None:
        super().__init__(host, port, timeout=policy.read_timeout)
        self.policy = policy
        self.resolver = resolver

    def connect(self) -> None:
        self.sock = open_checked_socket(self.host, self.port, self.policy, self.resolver)


class CheckedHTTPSConnection(http.client.HTTPSConnection):
    def __init__(
        self, host: str, port: int, policy: FetchPolicy, resolver: Resolver = system_resolver
    ) -> None:
        context = ssl.create_default_context()
        super().__init__(host, port, timeout=policy.read_timeout, context=context)
        self.policy = policy
        self.resolver = resolver
        self.tls_context = context

    def connect(self) -> None:
        sock = open_checked_socket(self.host, self.port, self.policy, self.resolver)
        try:
            self.sock = self.tls_context.wrap_socket(sock, server_hostname=self.host)
        except (ssl.SSLError, OSError) as exc:
            sock.close()
            raise FetchFailed(f"TLS handshake with {self.host} failed ({exc})") from None


def open_connection(
    scheme: str, host: str, port: int, policy: FetchPolicy, resolver: Resolver = system_resolver
) -> http.client.HTTPConnection:
    if scheme == "https":
        return CheckedHTTPSConnection(host, port, policy, resolver)
    return CheckedHTTPConnection(host, port, policy, resolver)
