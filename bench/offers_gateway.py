"""The real gateway (gateway.service.GatewayService) for the offers benchmark, plus
one extra route, GET /bench/echo, that makes the same kind of hop as a search
(HTTP -> gateway pipeline -> RPC to offers -> reply) without any work in the
service: the baseline of the benchmark. Tokens are checked with the JWKS given
in BENCH_JWKS (the benchmark signs pupils' tokens itself).

    AMQP_URI=... GATEWAY_ADDRESS=127.0.0.1:8765 BENCH_JWKS='{"keys": [...]}' python bench/offers_gateway.py
"""
import eventlet

eventlet.monkey_patch()

import json  # noqa: E402
import logging.config  # noqa: E402
import os  # noqa: E402
import sys  # noqa: E402
from pathlib import Path  # noqa: E402

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "gateway"))

from common.boot import prepare_process  # noqa: E402

prepare_process()
from nameko.runners import ServiceRunner  # noqa: E402

from gateway import service  # noqa: E402
from gateway.api import route  # noqa: E402


@route("GET", "/bench/echo", summary="Benchmark baseline: gateway -> offers.echo", tags=["operations"],
       auth="optional")
def bench_echo(req):
    return req.rpc("offers").echo(payload={"ok": True})


def _nodelay():
    """BENCH_NODELAY=1 (default): set TCP_NODELAY on the gateway's listening socket (inherited
    by accepted connections). Without it, eventlet.wsgi writes a large response's headers and
    body in two segments and a keep-alive client's delayed ACK stalls the second one ~40 ms.
    This is the fix proposed for the gateway core (see bench/README.md)."""
    import socket
    from nameko.web import server as web_server

    original = web_server.WebServer.get_wsgi_server

    def get_wsgi_server(self, sock, *args, **kwargs):
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        return original(self, sock, *args, **kwargs)
    web_server.WebServer.get_wsgi_server = get_wsgi_server


def main():
    if os.environ.get("BENCH_NODELAY", "1") == "1":
        _nodelay()
    service.verifier.load_jwks(json.loads(os.environ["BENCH_JWKS"]))
    service.verifier._last_refresh = 1e18  # identity is not running in the benchmark
    level = os.environ.get("LOG_LEVEL", "INFO")
    logging.config.dictConfig({
        "version": 1, "disable_existing_loggers": False,
        "formatters": {"json": {"()": "common.logs.JsonFormatter", "service": "gateway"}},
        "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "json"}},
        "root": {"level": level, "handlers": ["console"]},
        "loggers": {"amqp": {"level": "WARNING"}, "kombu": {"level": "WARNING"}},
    })
    config = {"AMQP_URI": os.environ["AMQP_URI"], "WEB_SERVER_ADDRESS": os.environ["GATEWAY_ADDRESS"],
              "serializer": "json", "max_workers": int(os.environ.get("MAX_WORKERS", 60))}
    runner = ServiceRunner(config)
    runner.add_service(service.GatewayService)
    runner.start()
    try:
        runner.wait()
    except KeyboardInterrupt:
        runner.stop()


if __name__ == "__main__":
    main()
