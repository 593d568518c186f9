"""The render pool: worker processes render and seal; a bad request does not kill the worker; the hub keeps
running while they work (the service's health stays responsive: see bench/conventions_health.py)."""
import base64
import io

import eventlet
import pypdf
import pytest

from conventions.documents import validate_seal
from conventions.rendering import RenderError, RenderPool
from testkit.conventions import sample_convention


@pytest.fixture(scope="module")
def seal_dir(tmp_path_factory):
    from conventions.documents import ensure_dev_certificate
    d = tmp_path_factory.mktemp("seal")
    ensure_dev_certificate(d)
    return d


def request(conv, **kw):
    return {"content": conv.content(), "signatures": [], "document_hash": conv.current_hash(), "draft": False,
            "school_signature": None, **kw}


def test_worker_processes_render_sealed_pdfs_concurrently(seal_dir):
    import os
    pool = RenderPool(processes=2, env={**os.environ, "CONVENTIONS_SEAL_DEV_DIR": str(seal_dir)})
    try:
        conv = sample_convention()
        ticks = []
        done = []

        def ticker():
            while not done:
                ticks.append(1)
                eventlet.sleep(0.01)

        t = eventlet.spawn(ticker)
        gp = eventlet.GreenPool(4)
        pdfs = list(gp.imap(lambda _: pool.render(request(conv)), range(4)))
        done.append(1)
        t.wait()
        assert pool._started == 2  # never more workers than configured
        assert len(ticks) >= 10  # the hub ran meanwhile
        text = pypdf.PdfReader(io.BytesIO(pdfs[0])).pages[-1].extract_text()
        assert conv.current_hash() in text
        cert = (seal_dir / "seal-cert.pem").read_bytes()
        from eventlet import tpool
        assert tpool.execute(validate_seal, pdfs[0], cert)["intact"]
        # a request that cannot be rendered: an error, and the worker keeps serving
        with pytest.raises(RenderError):
            pool.render({"content": None})
        assert pool.render(request(conv, draft=True)).startswith(b"%PDF")
        assert pool._started == 2
        # a worker that died while idle is replaced
        for w in list(pool._idle.queue):
            w.proc.kill()
            w.proc.wait()
        assert pool.render(request(conv)).startswith(b"%PDF")
    finally:
        pool.close()


def test_in_thread_fallback(seal_dir):
    from conventions.documents import Sealer
    sealer = Sealer.from_files(seal_dir / "seal-cert.pem", seal_dir / "seal-key.pem")
    pool = RenderPool(processes=0, sealer_factory=lambda: sealer)
    conv = sample_convention()
    png = io.BytesIO()
    from PIL import Image
    Image.new("RGB", (60, 20), "navy").save(png, "PNG")
    sig = {"role": "head_of_school", "signer_name": "Marie Lambert", "method": "image",
           "signed_at": "2026-11-23T10:00:00+00:00", "document_hash": conv.current_hash()}
    pdf = pool.render(request(conv, signatures=[sig],
                              school_signature=[base64.b64encode(png.getvalue()).decode(), "image/png"]))
    assert b"/ETSI.CAdES.detached" in pdf
