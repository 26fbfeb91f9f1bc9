"""Where the Kafka cluster is and how to connect to it: TLS and SASL for every client.

Each client Spillover makes (kafka-python's producers, admin and readers; Faust's aiokafka
clients in the worker) is built from one `Cluster`, so a worker cannot reach the cluster one
way and its watchdog another. A plain "host:port" string is a PLAINTEXT cluster: the embedded
broker, and tests.
"""
from __future__ import annotations

import ssl
from dataclasses import dataclass, field
from typing import Any, Union

from .settings import KafkaSettings

PROTOCOLS = ("PLAINTEXT", "SSL", "SASL_PLAINTEXT", "SASL_SSL")
MECHANISMS = ("SCRAM-SHA-512", "SCRAM-SHA-256", "PLAIN")


@dataclass(frozen=True)
class Cluster:
    servers: str  # bootstrap servers, comma separated
    protocol: str = "PLAINTEXT"
    ssl_context: ssl.SSLContext | None = field(default=None, compare=False)
    sasl_mechanism: str = ""
    username: str = ""
    password: str = field(default="", repr=False)

    @classmethod
    def from_settings(cls, kafka: KafkaSettings) -> "Cluster":
        """The cluster `kafka.broker` names, reached as the `kafka.*` security settings say;
        ValueError naming the setting that is missing, unknown or at odds with another."""
        protocol = _protocol(kafka)
        sasl = protocol.startswith("SASL_")
        return cls(servers=kafka.broker, protocol=protocol,
                   ssl_context=_ssl_context(kafka) if protocol.endswith("SSL") else None,
                   sasl_mechanism=_mechanism(kafka) if sasl else "",
                   username=kafka.sasl_username if sasl else "", password=kafka.sasl_password if sasl else "")

    def client_options(self) -> dict[str, Any]:
        """Keyword arguments for kafka-python's clients."""
        options: dict[str, Any] = {"bootstrap_servers": self.servers, "security_protocol": self.protocol}
        if self.ssl_context is not None:
            options["ssl_context"] = self.ssl_context
        if self.sasl_mechanism:
            options.update(sasl_mechanism=self.sasl_mechanism, sasl_plain_username=self.username,
                           sasl_plain_password=self.password)
        return options

    def faust_credentials(self):
        """Faust's `broker_credentials` for this cluster (None: PLAINTEXT)."""
        from faust.auth import SASLCredentials, SSLCredentials  # Faust only where a worker runs

        if self.sasl_mechanism:
            return SASLCredentials(username=self.username, password=self.password,
                                   ssl_context=self.ssl_context, mechanism=self.sasl_mechanism)
        if self.ssl_context is not None:
            return SSLCredentials(self.ssl_context)
        return None


Broker = Union[Cluster, str]


def cluster_of(broker: Broker) -> Cluster:
    return broker if isinstance(broker, Cluster) else Cluster(servers=broker)


def _protocol(kafka: KafkaSettings) -> str:
    protocol = kafka.security_protocol.upper()
    if protocol not in PROTOCOLS:
        raise ValueError(f"kafka.security_protocol: {kafka.security_protocol!r} is not one of {', '.join(PROTOCOLS)}")
    tls_files = [name for name in ("ssl_cafile", "ssl_certfile", "ssl_keyfile") if getattr(kafka, name)]
    if tls_files and not protocol.endswith("SSL"):
        raise ValueError(f"kafka.{tls_files[0]} is set, but kafka.security_protocol is {protocol}, which does "
                         "not use TLS: set it to SSL or SASL_SSL")
    if (kafka.sasl_username or kafka.sasl_password) and not protocol.startswith("SASL_"):
        raise ValueError(f"a SASL user or password is set, but kafka.security_protocol is {protocol}: "
                         "set it to SASL_SSL (or SASL_PLAINTEXT)")
    return protocol


def _mechanism(kafka: KafkaSettings) -> str:
    mechanism = kafka.sasl_mechanism.upper()
    if mechanism not in MECHANISMS:
        raise ValueError(f"kafka.sasl_mechanism: {kafka.sasl_mechanism!r} is not one of {', '.join(MECHANISMS)}")
    missing = [name for name in ("sasl_username", "sasl_password") if not getattr(kafka, name)]
    if missing:
        raise ValueError(f"kafka.security_protocol {kafka.security_protocol.upper()} needs kafka.{missing[0]} "
                         f"(the password best from SPILLOVER_KAFKA_SASL_PASSWORD)")
    return mechanism


def _ssl_context(kafka: KafkaSettings) -> ssl.SSLContext:
    """Verifies the brokers' certificates (against `ssl_cafile`, or the system's CAs) and, with
    `ssl_certfile`, presents the client's own."""
    if kafka.ssl_keyfile and not kafka.ssl_certfile:
        raise ValueError("kafka.ssl_keyfile is set without kafka.ssl_certfile, the certificate it belongs to")
    try:
        context = ssl.create_default_context(cafile=kafka.ssl_cafile or None)
    except (OSError, ssl.SSLError) as exc:
        raise ValueError(f"kafka.ssl_cafile: cannot use {kafka.ssl_cafile!r} as CA certificates: {exc}") from None
    context.check_hostname = kafka.ssl_check_hostname
    if kafka.ssl_certfile:
        try:
            context.load_cert_chain(kafka.ssl_certfile, kafka.ssl_keyfile or None)
        except (OSError, ssl.SSLError) as exc:
            raise ValueError(f"kafka.ssl_certfile: cannot load the client certificate {kafka.ssl_certfile!r}"
                             f"{' with ' + repr(kafka.ssl_keyfile) if kafka.ssl_keyfile else ''}: {exc}") from None
    return context
