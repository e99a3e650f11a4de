"""Where a webhook may be sent: the URL's rules, and the one address a delivery connects to.

A subscriber's URL is someone else's input that the server will call, so it is
confined (server-side request forgery): http or https only, no user name or
password, no fragment, nothing but printable ASCII after the host is
IDNA-encoded; the address it resolves to must be a public unicast one unless
private targets are allowed (a local setup, the tests). Names are resolved
once per delivery and the connection goes to the address that was checked, so
a name that answers a public address to the check and a private one to the
connection (DNS rebinding) gains nothing. Standard library only.
"""

from __future__ import annotations

import ipaddress
import re
import socket
from dataclasses import dataclass
from urllib.parse import SplitResult, urlsplit

from techgate.errors import InvalidInputError, TechgateError, single_problem

MAX_URL = 2048
"""Longer URLs are refused: no receiver needs more, and they end up in every listing."""
_SCHEMES = {"http": 80, "https": 443}
# Printable ASCII without space: what may stand in a URL sent on a request line.
_URL_CHARACTERS = re.compile(r"^[\x21-\x7e]+$")
_LABEL = re.compile(r"^(?!-)[a-z0-9-]{1,63}(?<!-)$")

Address = ipaddress.IPv4Address | ipaddress.IPv6Address


@dataclass(frozen=True)
class Target:
    """A checked URL, split the way a delivery needs it."""

    scheme: str
    host: str
    """The host as sent in the Host header and checked against a certificate: a lower-case
    ASCII name or an address (IPv6 without brackets)."""
    port: int
    request_target: str
    """The path and query, as sent on the request line."""

    @property
    def host_header(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return host if self.port == _SCHEMES[self.scheme] else f"{host}:{self.port}"


class TargetRefused(TechgateError):
    """A delivery's target resolved to an address it may not be sent to, or to none."""


def check_url(url: str, *, allow_private: bool = False) -> Target:
    """The URL's target, or InvalidInputError saying what is wrong with it."""
    try:
        return _checked(url, allow_private)
    except _Refused as refused:
        raise _problem(str(refused)) from None


def _problem(message: str, hint: str = "") -> InvalidInputError:
    return single_problem("<webhook>", message, hint, field="url")


class _Refused(Exception):
    pass


def _checked(url: str, allow_private: bool) -> Target:
    if len(url) > MAX_URL:
        raise _Refused(f"is longer than {MAX_URL} characters")
    if not _URL_CHARACTERS.match(url):
        try:
            url.encode("utf-8")
        except UnicodeEncodeError:
            raise _Refused(
                "is not UTF-8 text (a lone surrogate, or a byte the terminal did not encode)"
            ) from None
        if not url.isascii() and url.isprintable() and " " not in url:
            return _checked(_idna_url(url), allow_private)
        raise _Refused("holds a space, a control character or other unprintable text")
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    if scheme not in _SCHEMES:
        raise _Refused(f"has the scheme {parts.scheme or '(none)'!r}; only http and https are sent")
    if "@" in parts.netloc:
        raise _Refused("holds a user name or password; the signature authenticates instead")
    if parts.fragment or url.endswith("#"):
        raise _Refused("has a fragment (#...), which is never sent to a server")
    host = _host(parts)
    try:
        given = parts.port  # 0 is a port given (and refused), not one left out
        port = _SCHEMES[scheme] if given is None else given
    except ValueError:
        raise _Refused("has a port that is not a number from 1 to 65535") from None
    if not 1 <= port <= 65_535:
        raise _Refused("has a port that is not a number from 1 to 65535")
    literal = _literal_address(host)
    if literal is not None:
        why = address_problem(literal, allow_private)
        if why:
            raise _Refused(why)
    elif not allow_private and (host == "localhost" or host.endswith(".localhost")):
        raise _Refused("names this machine (localhost); private targets are not allowed")
    target = parts.path or "/"
    if parts.query:
        target += f"?{parts.query}"
    return Target(scheme=scheme, host=host, port=port, request_target=target)


def _host(parts: SplitResult) -> str:
    host = (parts.hostname or "").rstrip(".")
    if not host:
        raise _Refused("names no host")
    if parts.netloc.startswith("["):
        if "%" in host:
            raise _Refused("has an IPv6 zone (%...), which only this machine's links have")
        try:
            return str(ipaddress.IPv6Address(host))
        except ValueError:
            raise _Refused("has a bracketed host that is not a plain IPv6 address") from None
    labels = host.split(".")
    if len(host) > 253 or not all(_LABEL.match(label) for label in labels):
        raise _Refused(f"has a host name that is not a valid DNS name: {host[:80]!r}")
    return host


def _idna_url(url: str) -> str:
    """A URL whose host is written in another script, with the host IDNA-encoded."""
    parts = urlsplit(url)
    if "@" in parts.netloc:
        raise _Refused("holds a user name or password; the signature authenticates instead")
    name, colon, port = parts.netloc.rpartition(":")
    if not colon or not port.isdigit():
        name, colon, port = parts.netloc, "", ""
    try:
        ascii_name = name.encode("idna").decode("ascii") if name else ""
    except UnicodeError:
        raise _Refused("has a host name that cannot be IDNA-encoded") from None
    rebuilt = parts._replace(netloc=ascii_name + colon + port).geturl()
    if not _URL_CHARACTERS.match(rebuilt):
        # Checked here, so the caller's second look cannot come back: it gets ASCII.
        raise _Refused("holds non-ASCII characters outside its host name; percent-encode them")
    return rebuilt


def _literal_address(host: str) -> Address | None:
    """The address a host stands for without DNS: dotted, bracketed, or a legacy numeric form.

    inet_aton reads '2130706433', '127.1' and '0x7f.0.0.1' as 127.0.0.1, as the
    resolver does; they are addresses too, not names.
    """
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    if re.fullmatch(r"[0-9a-fx.]+", host) and not re.search(r"[g-wyz]", host):
        try:
            return ipaddress.IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def address_problem(address: Address, allow_private: bool) -> str | None:
    """Why a delivery may not connect to this address, or None when it may."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    if address.is_unspecified or address.is_multicast:
        return f"is the address {address}, which names no single receiver"
    if address.is_global:
        return None
    if allow_private:
        return None
    kind = (
        "loopback"
        if address.is_loopback
        else "link-local"
        if address.is_link_local
        else "private or reserved"
    )
    return f"is the {kind} address {address}; private targets are not allowed"


def resolve(target: Target, *, allow_private: bool) -> str:
    """The one address to connect to: every address the host resolves to must be allowed.

    Refusing when any answer is private (rather than picking a public one)
    keeps a name that mixes them from reaching inside now or on a retry.
    """
    try:
        answers = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as error:
        raise TargetRefused(f"{target.host} does not resolve: {error}") from None
    addresses: list[str] = []
    for _family, _type, _proto, _name, sockaddr in answers:
        text = str(sockaddr[0]).split("%")[0]
        why = address_problem(ipaddress.ip_address(text), allow_private)
        if why:
            raise TargetRefused(f"{target.host} {why}")
        addresses.append(text)
    if not addresses:
        raise TargetRefused(f"{target.host} resolves to no address")
    return addresses[0]
