"""Why Kafka clients' connections fail, read from what they log.

kafka-python and aiokafka only log a refused connection and try again: a client times out with
"Unable to bootstrap", a producer's sends wait and then expire, a Faust worker retries many
times a second for ever. None of that tells an operator what to fix, and when Kafka refuses the
credentials themselves (a rotated SASL password, a broker certificate a renewed cluster CA
signed), no retry can help: they are read once, at start, so the process has to end for its
supervisor (Kubernetes) to start it again with the current ones.
"""
from __future__ import annotations

import logging
import time

import aiokafka.errors
import kafka.errors

# A refusal this long after the last one starts a new run of them: one old refusal followed by
# a good connection must not add up with a new one hours later.
QUIET_S = 60.0
# What each library logs: kafka-python's connection manager, connections and transports;
# aiokafka's client ("Unable connect to node ...").
LOGGERS = ("kafka.net", "aiokafka")
_REFUSALS = (kafka.errors.SaslAuthenticationFailedError, aiokafka.errors.SaslAuthenticationFailed,
             aiokafka.errors.AuthenticationFailedError)
EXIT_REFUSED = 77  # EX_NOPERM
# How kafka-python words an attempt that ended without saying why.
_VAGUE = ("socket disconnected", "RequestTimedOutError", "KafkaTimeoutError")


class CredentialsRefused(ConnectionError):
    """Kafka has turned our credentials away, for `kafka.refused_timeout_s` or at every attempt
    to connect at start: retrying with the same ones cannot help. Commands end on it with
    EXIT_REFUSED."""


class Refusals(logging.Handler):
    """A log handler, used as a context manager, that keeps why connections fail.

    `reason`: kafka-python's latest failed attempt (a wrong password, a certificate not trusted,
    a refused connection). `credentials`: the latest refusal of our credentials, from any
    connection of any client in the process (they all have the same ones); `refused_for` says
    for how long they have been refused without a pause."""

    def __init__(self, clock=time.monotonic) -> None:
        super().__init__(logging.WARNING)
        self.reason = ""
        self.credentials = ""
        self._clock = clock
        self._since = self._last = 0.0

    def emit(self, record: logging.LogRecord) -> None:
        refused = _refused_credentials(record)
        if refused:
            now = self._clock()
            if not self.credentials or now - self._last > QUIET_S:
                self._since = now
            self._last, self.credentials = now, refused
        message = record.getMessage()
        if message.startswith(("Bootstrap connection to", "Connection failed:")):
            reason = message.split("failed: ", 1)[-1].split(" (backoff ")[0]
            # A refusal is often followed by attempts cut short with no reason given (the peer
            # gone, the caller's deadline reached): keep the refusal.
            if not (self.reason and any(vague in reason for vague in _VAGUE)):
                self.reason = reason

    def refused_for(self) -> float:
        """Seconds the credentials have been refused, one refusal after another; 0 when none
        was refused in the last QUIET_S seconds."""
        now = self._clock()
        if not self.credentials or now - self._last > QUIET_S:
            return 0.0
        return now - self._since

    def refused(self, timeout_s: float) -> bool:
        """Whether the credentials have been refused for `timeout_s` (never, for 0 or less)."""
        return 0 < timeout_s <= self.refused_for()

    def error(self, servers: str, then: str = "") -> CredentialsRefused:
        """The error to end on, saying for how long Kafka has refused what, and `then` what."""
        return CredentialsRefused(f"Kafka at {servers} has refused our credentials for {self.refused_for():.0f} s "
                                  f"({self.credentials}){'; ' + then if then else ''}")

    def __enter__(self) -> "Refusals":
        for name in LOGGERS:
            logging.getLogger(name).addHandler(self)
        return self

    def __exit__(self, *exc) -> None:
        for name in LOGGERS:
            logging.getLogger(name).removeHandler(self)


def _refused_credentials(record: logging.LogRecord) -> str:
    """The error a record logs, if it is a refusal of our credentials. Both libraries log the
    exception itself as an argument; a failed TLS handshake comes as a connection error (or an
    ssl error) that names OpenSSL's reason."""
    for arg in record.args if isinstance(record.args, tuple) else ():
        if isinstance(arg, _REFUSALS) or (isinstance(arg, Exception) and "CERTIFICATE_VERIFY_FAILED" in str(arg)):
            return str(arg)
    return ""
