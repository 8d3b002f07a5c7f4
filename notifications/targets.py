"""Where webhooks may go: http(s) URLs on public addresses only (no SSRF into our network).

Checked twice: when an endpoint is created (resolve the host, refuse loopback, private,
link-local, reserved… addresses) and again on every delivery, on the socket itself after
it connected. The second check is what defeats DNS rebinding: a name that resolved to a
public address at creation and to 127.0.0.1 now is refused at the address actually
dialled, whatever the resolver said in between. ``ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS``
(tests, local development) turns both checks off.
"""

from __future__ import annotations

import ipaddress
import socket
from typing import Any
from urllib.parse import urlsplit

import requests
from django.conf import settings
from requests.adapters import HTTPAdapter
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

ALLOWED_SCHEMES = ("http", "https")


class TargetRefused(Exception):
    """The URL or the address it leads to is not a place webhooks may go."""


def _private_allowed() -> bool:
    return bool(getattr(settings, "ALLOT_WEBHOOK_ALLOW_PRIVATE_TARGETS", False))


def address_is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address.split("%", 1)[0])  # drop an IPv6 zone id
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    blocked = (
        ip.is_private
        or ip.is_loopback
        or ip.is_link_local
        or ip.is_reserved
        or ip.is_multicast
        or ip.is_unspecified
        or not ip.is_global  # also shared (CGNAT) space and the rest of IANA's special list
    )
    return not blocked


def validate_url(url: str) -> None:
    """Raise ``TargetRefused`` unless ``url`` is http(s) to a host that resolves only to public addresses."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError as exc:
        raise TargetRefused("The URL is not valid.") from exc
    if parts.scheme not in ALLOWED_SCHEMES:
        raise TargetRefused("Only http and https URLs are allowed.")
    if not parts.hostname:
        raise TargetRefused("The URL has no host.")
    if parts.username or parts.password:
        raise TargetRefused("Credentials in the URL are not allowed; authenticate with the signature.")
    if _private_allowed():
        return
    try:
        infos = socket.getaddrinfo(parts.hostname, port or 443, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise TargetRefused("The host name does not resolve.") from exc
    for info in infos:
        if not address_is_public(str(info[4][0])):
            raise TargetRefused("The host resolves to a private, loopback or reserved address.")


def _check_peer(sock: socket.socket) -> None:
    if _private_allowed():
        return
    address = str(sock.getpeername()[0])
    if not address_is_public(address):
        sock.close()
        raise TargetRefused(f"Refused to deliver to non-public address {address}.")


class _GuardedHTTPConnection(HTTPConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)
        return sock


class _GuardedHTTPSConnection(HTTPSConnection):
    def _new_conn(self) -> socket.socket:
        sock = super()._new_conn()
        _check_peer(sock)  # before the TLS handshake: nothing is sent to a refused address
        return sock


class _GuardedHTTPPool(HTTPConnectionPool):
    ConnectionCls = _GuardedHTTPConnection


class _GuardedHTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _GuardedHTTPSConnection


class _GuardedAdapter(HTTPAdapter):
    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        super().init_poolmanager(*args, **kwargs)
        self.poolmanager.pool_classes_by_scheme = {"http": _GuardedHTTPPool, "https": _GuardedHTTPSPool}


def guarded_session() -> requests.Session:
    """A session whose every connection is checked against the address rules; no env proxies."""
    session = requests.Session()
    session.trust_env = False  # an env proxy would hide the real peer from the check
    adapter = _GuardedAdapter(max_retries=0)
    session.mount("http://", adapter)
    session.mount("https://", adapter)
    return session
