"""Rendering outside the service's event loop.

``RenderPool`` keeps ``CONVENTIONS_RENDER_PROCESSES`` worker processes (default: the container's CPU limit - 1,
at least 1) running ``conventions.documents.worker``; a green thread borrows one, sends the request and waits on the pipe
cooperatively (eventlet's green pipes), so the hub keeps answering (health, other RPCs) while documents render,
and rendering never competes for the service's GIL. With ``CONVENTIONS_RENDER_PROCESSES=0`` documents render
in ``eventlet.tpool`` threads of the service process instead (simpler, but 10 concurrent renders then slow the
event loop through the GIL: see bench/README.md).
"""
from __future__ import annotations

import base64
import json
import logging
import os
import struct
import sys
import threading

import eventlet
from eventlet import tpool
from eventlet.green import subprocess
from eventlet.queue import LightQueue
from nameko.extensions import DependencyProvider

from common.ops import RENDER_DURATION, cpu_count

from . import settings

log = logging.getLogger("conventions.rendering")


class RenderError(RuntimeError):
    pass


class _WorkerGone(RenderError):
    pass


def _render_in_thread(req: dict, sealer) -> bytes:
    from .documents import render_convention
    image = req.get("school_signature")
    return render_convention(req["content"], sealer=sealer, signatures=req.get("signatures"),
                             document_hash=req.get("document_hash"), draft=bool(req.get("draft")),
                             school_signature=(base64.b64decode(image[0]), image[1]) if image else None)


class _Worker:
    def __init__(self, env: dict):
        self.proc = subprocess.Popen([sys.executable, "-m", "conventions.documents.worker"], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, env=env)

    def alive(self) -> bool:
        return self.proc.poll() is None

    def _read(self, n: int) -> bytes:
        buf = b""
        while len(buf) < n:
            chunk = self.proc.stdout.read(n - len(buf))
            if not chunk:
                raise RenderError("the rendering worker stopped")
            buf += chunk
        return buf

    def render(self, payload: bytes) -> bytes:
        self.proc.stdin.write(struct.pack(">I", len(payload)) + payload)
        self.proc.stdin.flush()
        status = self._read(1)
        (size,) = struct.unpack(">I", self._read(4))
        body = self._read(size)
        if status != b"0":
            raise RenderError(body.decode("utf-8", "replace"))
        return body

    def close(self):
        try:
            self.proc.stdin.close()
            self.proc.wait(timeout=5)
        except Exception:
            self.proc.kill()


class RenderPool:
    def __init__(self, processes: int | None = None, env: dict | None = None, sealer_factory=None):
        if processes is None:
            # one CPU is left to the service's event loop, the database and the broker on a shared host
            # sized from the container's CPU limit (cgroup cpu.max), not the host's CPU count
            processes = int(os.environ.get("CONVENTIONS_RENDER_PROCESSES", max(1, cpu_count() - 1)))
        self.processes = max(0, processes)
        self.env = dict(env or os.environ)
        self.sealer_factory = sealer_factory
        self._idle: LightQueue = LightQueue()
        self._started = 0
        self._lock = eventlet.semaphore.Semaphore()

    def prestart(self) -> None:
        """Start every worker now (they warm up while the service starts) instead of on the first render."""
        with self._lock:
            while self._started < self.processes:
                self._started += 1
                self._idle.put(_Worker(self.env))

    def _borrow(self) -> _Worker:
        with self._lock:
            if self._idle.qsize() == 0 and self._started < self.processes:
                self._started += 1
                return _Worker(self.env)
        return self._idle.get()

    def render(self, req: dict) -> bytes:
        """The sealed PDF for a request {content, signatures, document_hash, draft, school_signature}."""
        with RENDER_DURATION.time():
            return self._render(req)

    def _render(self, req: dict) -> bytes:
        if self.processes == 0:
            return tpool.execute(_render_in_thread, req, self.sealer_factory())
        payload = json.dumps(req, ensure_ascii=False, default=str).encode("utf-8")
        try:
            return self._render_once(payload)
        except _WorkerGone:  # the worker died during the exchange: once more with a fresh one
            return self._render_once(payload)

    def _render_once(self, payload: bytes) -> bytes:
        worker = self._borrow()
        while not worker.alive():  # died while idle (killed, out of memory): replace it
            self._drop(worker)
            worker = self._borrow()
        try:
            pdf = worker.render(payload)
        except RenderError:
            if worker.alive():  # a document that could not be rendered: the worker is fine
                self._idle.put(worker)
                raise
            self._drop(worker)
            raise _WorkerGone("the rendering worker stopped")
        except OSError:  # broken pipe: the worker died mid-exchange
            self._drop(worker)
            raise _WorkerGone("the rendering worker stopped")
        except BaseException:  # this green thread was killed mid-exchange: the worker's stream is out of step
            self._drop(worker)
            raise
        self._idle.put(worker)
        return pdf

    def _drop(self, worker: _Worker) -> None:
        log.warning("discarding a rendering worker; another one will start on demand")
        self._started -= 1
        try:
            worker.proc.kill()
        except Exception:
            pass

    def close(self):
        while self._idle.qsize():
            self._idle.get().close()
        self._started = 0


_sealer = None
_sealer_lock = threading.Lock()
_pool = None


def get_sealer():
    """The platform's sealing certificate: CONVENTIONS_SEAL_CERT/KEY in production, a self-signed one
    (created once under var/conventions, or CONVENTIONS_SEAL_DEV_DIR) in development and tests."""
    global _sealer
    if _sealer is None:
        with _sealer_lock:
            if _sealer is None:
                from .documents import Sealer
                _sealer = Sealer.from_env(settings.seal_dev_dir())
    return _sealer


def get_render_pool() -> RenderPool:
    """The process's worker processes that render and seal."""
    global _pool
    if _pool is None:
        sealer = get_sealer()  # creates the development certificate once, before any worker reads it
        env = dict(os.environ)
        if not (env.get("CONVENTIONS_SEAL_CERT") and env.get("CONVENTIONS_SEAL_KEY")):
            env["CONVENTIONS_SEAL_DEV_DIR"] = settings.seal_dev_dir()
        _pool = RenderPool(env=env, sealer_factory=lambda: sealer)
    return _pool


class RenderWorkers(DependencyProvider):
    """Starts the rendering worker processes with the service (CONVENTIONS_RENDER_PRESTART=0: on first use)."""

    def start(self):
        if settings.render_prestart():
            get_render_pool().prestart()

    def get_dependency(self, worker_ctx):
        return get_render_pool()
