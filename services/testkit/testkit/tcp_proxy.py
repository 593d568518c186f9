"""A TCP proxy a test can cut and restore: from a client's point of view, the
server behind it goes down (every connection drops, new ones are refused) and
comes back, as a broker or SMTP server restart would look, without touching
the real server other tests share."""
from __future__ import annotations

import socket
import threading
import time


class TcpProxy:
    def __init__(self, target_host: str, target_port: int, listen_port: int | None = None):
        self.target = (target_host, target_port)
        self.port = listen_port or 0
        self._listener: socket.socket | None = None
        self._conns: list[socket.socket] = []
        self._lock = threading.Lock()

    def start(self) -> "TcpProxy":
        s = socket.socket()
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        for attempt in range(40):  # the previous listener may still be closing (restore right after cut)
            try:
                s.bind(("127.0.0.1", self.port))
                break
            except OSError:
                if attempt == 39:
                    raise
                time.sleep(0.05)
        self.port = s.getsockname()[1]
        s.listen(50)
        self._listener = s
        threading.Thread(target=self._accept, args=(s,), daemon=True).start()
        return self

    def _accept(self, listener):
        while True:
            try:
                client, _ = listener.accept()
            except OSError:
                listener.close()  # closed here, by the only thread that reads it (eventlet-safe)
                return
            try:
                upstream = socket.create_connection(self.target, timeout=5)
                upstream.settimeout(None)
            except OSError:
                client.close()
                continue
            with self._lock:
                self._conns += [client, upstream]
            pair = {"left": 2, "lock": threading.Lock()}
            for a, b in ((client, upstream), (upstream, client)):
                threading.Thread(target=self._pipe, args=(a, b, pair), daemon=True).start()

    @staticmethod
    def _pipe(src, dst, pair):
        try:
            while True:
                data = src.recv(65536)
                if not data:
                    break
                dst.sendall(data)
        except OSError:
            pass
        finally:
            for s in (src, dst):
                try:
                    s.shutdown(socket.SHUT_RDWR)
                except OSError:
                    pass
            # Close only once both directions stopped reading: closing a socket another
            # (green) thread still reads lets its descriptor be reused under that reader.
            with pair["lock"]:
                pair["left"] -= 1
                last = pair["left"] == 0
            if last:
                src.close()
                dst.close()

    def cut(self) -> None:
        """Drop every connection and refuse new ones (the server is 'down')."""
        if self._listener is not None:
            try:
                self._listener.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked in accept()
            except OSError:
                pass
            self._listener = None
        with self._lock:
            conns, self._conns = self._conns, []
        for c in conns:
            try:
                c.shutdown(socket.SHUT_RDWR)  # the pipe threads see EOF and close them
            except OSError:
                pass

    def restore(self) -> None:
        """Listen again on the same port (the server is 'back')."""
        self.start()

    def stop(self) -> None:
        self.cut()
