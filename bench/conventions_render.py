"""Benchmark: time to render and seal one convention (target: median <= 300 ms).

    .venv/bin/python bench/conventions_render.py [-n 30]

Renders a fully filled and signed convention (the largest document: every field, four signatures,
the school's signature image) with weasyprint, then seals it (PAdES, pyHanko, RSA-2048), in this
process, one at a time, after a warm-up. Prints (and writes to bench/results/conventions_render.json)
the median, p95, min and max in milliseconds, split into render and seal.
"""
from __future__ import annotations

import argparse
import datetime as dt
import io
import json
import os
import pathlib
import platform
import statistics
import time

from conventions.documents import Sealer, build_context, generate_self_signed, render_html, render_pdf
from conventions.domain import convention as C
from testkit.conventions import NOW, account, actors, sample_convention


def signed_convention():
    conv = sample_convention()
    a = actors(conv)
    C.update(conv, a["employer"], {"lunch_break": conv.employer["lunch_break"]}, NOW)
    C.complete(conv, a["employer"], NOW)
    C.validate(conv, a["head"], NOW)
    for role, who, method in ((C.EMPLOYER_ROLE, "employer", "code"), (C.HEAD_ROLE, "head", "image"),
                              (C.PUPIL_ROLE, "pupil", "session")):
        signer = C.signer_for_actor(conv, a[who], role, account=account(a[who]) if who == "head" else None)
        C.sign(conv, role=role, signer=signer, document_hash=conv.document_hash, now=NOW, method=method)
    C.sign(conv, role=C.LEGAL_REP_ROLE, signer={"key": "legal_representative:0", "name": "Nadia Haddad"},
           document_hash=conv.document_hash, now=NOW, method="link")
    return conv


def school_image() -> bytes:
    from PIL import Image, ImageDraw
    img = Image.new("RGB", (400, 120), "white")
    ImageDraw.Draw(img).line([(10, 100), (120, 20), (200, 90), (390, 30)], fill="navy", width=5)
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return buf.getvalue()


def pct(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(round(p / 100 * (len(values) - 1))))]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("-n", type=int, default=30)
    args = ap.parse_args()
    sealer = Sealer(*generate_self_signed())
    conv = signed_convention()
    sigs = [s.to_dict() for s in conv.signatures]
    image = (school_image(), "image/png")
    render_ms, seal_ms, total_ms, cpu_ms = [], [], [], []
    for i in range(args.n + 3):
        c0 = time.process_time()
        t0 = time.perf_counter()
        ctx = build_context(conv.frozen, signatures=sigs, document_hash=conv.document_hash, school_signature=image)
        pdf = render_pdf(render_html(ctx))
        t1 = time.perf_counter()
        sealed = sealer.seal(pdf)
        t2 = time.perf_counter()
        c2 = time.process_time()
        if i < 3:
            continue  # warm-up: templates, fonts, CSS
        render_ms.append((t1 - t0) * 1000)
        seal_ms.append((t2 - t1) * 1000)
        total_ms.append((t2 - t0) * 1000)
        cpu_ms.append((c2 - c0) * 1000)
    result = {
        "benchmark": "conventions_render", "at": dt.datetime.now(dt.timezone.utc).isoformat(timespec="seconds"),
        "runs": args.n, "pdf_bytes": len(sealed), "cpu": platform.processor() or platform.machine(),
        "total_ms": {"median": round(statistics.median(total_ms), 1), "p95": round(pct(total_ms, 95), 1),
                     "min": round(min(total_ms), 1), "max": round(max(total_ms), 1)},
        "cpu_ms": {"median": round(statistics.median(cpu_ms), 1), "min": round(min(cpu_ms), 1)},
        "render_ms_median": round(statistics.median(render_ms), 1),
        "seal_ms_median": round(statistics.median(seal_ms), 1),
        "target_median_ms": 300,
    }
    result["ok"] = result["total_ms"]["median"] <= 300
    result["load_average"] = [round(x, 2) for x in os.getloadavg()]
    out = pathlib.Path(__file__).parent / "results"
    out.mkdir(exist_ok=True)
    (out / "conventions_render.json").write_text(json.dumps(result, indent=2))
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
