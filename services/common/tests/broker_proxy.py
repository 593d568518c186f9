"""A TCP proxy between services under test and the broker, that a test can cut and restore: a broker
outage for the processes behind it only (the shared broker keeps running for everyone else)."""
from __future__ import annotations

import socket
import urllib.parse

import eventlet
from eventlet.green import socket as green_socket


class BrokerProxy:
    def __init__(self, amqp_uri: str):
        parts = urllib.parse.urlsplit(amqp_uri)
        self._target = (parts.hostname or "127.0.0.1", parts.port or 5672)
        self._parts = parts
        probe = socket.socket()
        probe.bind(("127.0.0.1", 0))
        self.port = probe.getsockname()[1]
        probe.close()
        self._listener = None
        self._acceptor = None
        self._links: set = set()
        self.connections = 0          # connections accepted so far (a positive signal of reconnection)
        self.restore()

    @property
    def uri(self) -> str:
        """The AMQP URI of the same vhost and credentials, through the proxy."""
        netloc = self._parts.netloc.rsplit("@", 1)
        host = f"127.0.0.1:{self.port}"
        netloc = f"{netloc[0]}@{host}" if len(netloc) == 2 else host
        return urllib.parse.urlunsplit(self._parts._replace(netloc=netloc))

    def restore(self) -> None:
        """Accept connections again (on the same port)."""
        if self._listener is not None:
            return
        listener = green_socket.socket()
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", self.port))
        listener.listen(64)
        self._listener = listener
        self._acceptor = eventlet.spawn(self._accept, listener)

    def cut(self) -> None:
        """Refuse new connections and break every open one, as a broker that went away."""
        listener, self._listener = self._listener, None
        if self._acceptor is not None:
            self._acceptor.kill()
            self._acceptor = None
        if listener is not None:
            listener.close()
        for sock in list(self._links):
            try:
                sock.shutdown(socket.SHUT_RDWR)   # the pipes see the end and close their sockets
            except OSError:
                pass
        self._links.clear()

    def close(self) -> None:
        self.cut()

    def _accept(self, listener) -> None:
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                return
            try:
                upstream = green_socket.create_connection(self._target)
            except OSError:
                client.close()
                continue
            self.connections += 1
            self._links.update((client, upstream))
            eventlet.spawn(self._pipe, client, upstream)
            eventlet.spawn(self._pipe, upstream, client)

    def _pipe(self, source, sink) -> None:
        try:
            while True:
                data = source.recv(65536)
                if not data:
                    break
                sink.sendall(data)
        except (OSError, EOFError):
            pass
        finally:
            for sock in (source, sink):
                self._links.discard(sock)
                try:
                    sock.close()
                except OSError:
                    pass
