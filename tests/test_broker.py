import socket

import pytest

from spillover.broker import BrokerError, EmbeddedBroker, kafka_api_versions_ok

pytestmark = pytest.mark.broker


def test_embedded_broker_answers_kafka_and_stops_cleanly():
    broker = EmbeddedBroker()
    broker.start()
    host, port = broker.bootstrap.split(":")
    assert kafka_api_versions_ok(host, int(port))
    broker.stop()
    assert not broker.alive()
    assert not kafka_api_versions_ok(host, int(port))


def test_a_busy_port_is_a_clear_error():
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        port = sock.getsockname()[1]
        with pytest.raises(BrokerError, match=f"port {port} .* already in use"):
            EmbeddedBroker(port=port).start()


def test_broker_command_prints_its_address(tmp_path):
    import subprocess
    import sys
    proc = subprocess.Popen([sys.executable, "-m", "spillover.cli.main", "broker", "--port", "0"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        address = proc.stdout.readline().strip()
        host, port = address.split(":")
        assert host == "127.0.0.1" and kafka_api_versions_ok(host, int(port))
    finally:
        proc.terminate()
        assert proc.wait(15) == 0
