"""A rendering worker process: reads render requests on stdin, writes sealed PDFs on stdout.

Frame: 4-byte big-endian length + JSON request
    {"content", "signatures", "document_hash", "draft", "school_signature": [base64, mime] | null}
Answer: 1 status byte (b"0" ok, b"1" error) + 4-byte length + PDF bytes (or a UTF-8 error message).

Started by ``conventions.rendering.RenderPool`` (one per CPU): rendering is CPU-bound Python (weasyprint);
in separate processes it neither holds the service's GIL nor blocks its event loop.
"""
from __future__ import annotations

import base64
import json
import os
import struct
import sys


def _read_exact(stream, n: int) -> bytes | None:
    buf = b""
    while len(buf) < n:
        chunk = stream.read(n - len(buf))
        if not chunk:
            return None
        buf += chunk
    return buf


def main() -> int:
    try:
        os.nice(int(os.environ.get("CONVENTIONS_RENDER_NICE", "5")))
    except OSError:
        pass
    from . import Sealer, render_convention

    sealer = Sealer.from_env()
    try:  # warm up (fonts, templates, CSS) before the first real request
        from ..testing import sample_convention
        render_convention(sample_convention().content(), sealer=sealer, draft=True)
    except Exception:
        pass
    stdin, stdout = sys.stdin.buffer, sys.stdout.buffer
    sys.stdout = sys.stderr  # nothing else may write on the protocol stream
    while True:
        header = _read_exact(stdin, 4)
        if header is None:
            return 0
        (size,) = struct.unpack(">I", header)
        body = _read_exact(stdin, size)
        if body is None:
            return 0
        try:
            req = json.loads(body)
            image = req.get("school_signature")
            pdf = render_convention(req["content"], sealer=sealer, signatures=req.get("signatures"),
                                    document_hash=req.get("document_hash"), draft=bool(req.get("draft")),
                                    school_signature=(base64.b64decode(image[0]), image[1]) if image else None)
            stdout.write(b"0" + struct.pack(">I", len(pdf)) + pdf)
        except Exception as exc:  # report, keep serving
            msg = f"{type(exc).__name__}: {exc}".encode("utf-8", "replace")
            stdout.write(b"1" + struct.pack(">I", len(msg)) + msg)
        stdout.flush()


if __name__ == "__main__":
    sys.exit(main())
