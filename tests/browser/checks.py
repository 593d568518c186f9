"""What every page of the journeys must pass (RGAA basics and axe-core)."""
from __future__ import annotations

AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21aa"]
_axe = None


def axe_violations(page) -> list[dict]:
    """Serious and critical axe-core violations of the page (WCAG 2.0 A/AA, 2.1 AA)."""
    global _axe
    from axe_playwright_python.sync_playwright import Axe
    if _axe is None:
        _axe = Axe()
    results = _axe.run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    return [v for v in results.response["violations"] if v.get("impact") in ("serious", "critical")]


def check_page(page, name: str, axe: bool = True) -> None:
    h1 = page.locator("h1")
    assert h1.count() == 1, f"{name}: {h1.count()} h1 on {page.url}"
    assert page.locator(".fr-skiplinks a[href='#content']").count() == 1, f"{name}: no skip link to the content"
    assert page.locator("html").get_attribute("lang") == "fr", f"{name}: the page is not in French"
    unlabelled = page.evaluate("""() => [...document.querySelectorAll(
        'input:not([type=hidden]):not([type=submit]), select, textarea')].filter(el => {
          if (el.getAttribute('aria-label') || el.getAttribute('aria-labelledby')) return false;
          return !(el.id && document.querySelector('label[for="' + el.id + '"]'));
        }).map(el => el.name || el.id)""")
    assert not unlabelled, f"{name}: fields without a label: {unlabelled}"
    if axe:
        bad = axe_violations(page)
        assert not bad, f"{name}: axe-core violations on {page.url}: " + "; ".join(
            f"{v['id']} ({v['impact']}): {v['help']} -> {[n['target'] for n in v['nodes']][:5]}" for v in bad)
