"""The FastAPI example's integration page in a real headless Chromium (Playwright).

The browser talks to the app over loopback HTTP, and follows the OAuth
redirects to the fake QBO (another loopback port) and back, as a user's
browser would. The main test takes a screenshot; with
QBO_SYNC_UPDATE_SCREENSHOTS=1 it rewrites docs/img/integration-page.png, the
one docs/examples.md shows.
"""

from __future__ import annotations

import os
import re
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import attrs
import httpx
import pytest
from cryptography.fernet import Fernet
from playwright.sync_api import sync_playwright

from qbo_sync.auth import OAuthConfig
from qbo_sync.storage import MemoryStore
from qbo_sync.sync import PAYMENT_CONFIRMED
from qbo_sync.testing import FakeQBO, FakeQBOServer, LoopbackServer, sample_book

ROOT = Path(__file__).resolve().parents[2]
if str(ROOT) not in sys.path:  # the repository root holds the examples package
    sys.path.insert(0, str(ROOT))

from examples.fastapi_app import ProductDB, create_app  # noqa: E402

SCREENSHOT = ROOT / "docs" / "img" / "integration-page.png"
CLIENT_ID = "page-example-client"
CLIENT_SECRET = "page-example-secret-0123456789"
VERIFIER = "page-example-verifier-token"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
BOOK = sample_book()  # 25 customers, 5 items, 40 invoices, 10 payments, 3 credit memos


@attrs.frozen
class Site:
    """The app and the fake QBO it talks to, both on loopback."""

    url: str
    qbo: FakeQBOServer
    fake: FakeQBO
    store: MemoryStore
    app: Any

    @property
    def realm(self) -> str:
        return self.fake.realm_ids[0]


@pytest.fixture
def browser(chromium_path: str) -> Iterator[Any]:
    """A real headless Chromium (Debian's), driven by Playwright."""
    with sync_playwright() as pw:
        chromium = pw.chromium.launch(executable_path=chromium_path, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    """A page at a desktop size."""
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    context.set_default_timeout(15_000)
    yield context.new_page()
    context.close()


@pytest.fixture
def site(browser: Any) -> Iterator[Site]:
    """The fake QBO and the app served over loopback, on the real clock."""
    fake = FakeQBO(limits=False, verifier_token=VERIFIER, webhook_delivery="manual")
    fake.add_company(company_name="Acme Plumbing")
    store = MemoryStore()
    with FakeQBOServer(fake) as qbo, LoopbackServer() as web:
        fake.register_app(client_id=CLIENT_ID, client_secret=CLIENT_SECRET,
                          redirect_uris=[f"{web.base_url}/qbo/callback"])
        fake.webhooks.add_url(f"{web.base_url}/qbo/webhook")
        config = OAuthConfig(
            client_id=CLIENT_ID, client_secret=CLIENT_SECRET, environment="sandbox",
            redirect_uri=f"{web.base_url}/qbo/callback",
            token_encryption_key=Fernet.generate_key().decode(), webhook_verifier_token=VERIFIER,
        )
        app = create_app(config=config, store=store, product=ProductDB(BOOK.records()),
                         oauth_base_url=qbo.base_url, api_base_url=qbo.base_url)
        web.serve(app)
        yield Site(url=web.base_url, qbo=qbo, fake=fake, store=store, app=app)
        fake.webhooks.close()


def connect_in_browser(page: Any, site: Site) -> None:
    """Press "Connect to QuickBooks": the browser goes to the fake's consent page and back."""
    page.goto(site.url + "/")
    page.click("#connect")
    page.wait_for_url(re.compile(r"/\?flash="))


def created_counts(page: Any) -> dict[str, int]:
    """The "Created" figure of every entity card, by entity."""
    return {
        card.get_attribute("data-entity"): int(card.locator('[data-count="created"]').inner_text())
        for card in page.locator("#entities .entity").all()
    }


def test_page_connects_syncs_and_shows_health(page: Any, site: Site, tmp_path: Path) -> None:
    """Connect, Sync All, sync one entity, a webhook payment; then the screenshot for the docs."""
    page.goto(site.url + "/")
    assert page.inner_text("#connection-badge") == "Not connected"
    assert page.get_attribute("#health", "data-tier") == "disconnected"
    assert page.is_disabled("#sync-all")

    connect_in_browser(page, site)
    assert "Connected to Acme Plumbing" in page.inner_text("#flash")
    assert page.inner_text("#connection-badge") == "Connected"
    assert page.inner_text("#company-name") == "Acme Plumbing"
    assert page.inner_text("#realm-id") == site.realm
    assert created_counts(page) == {"Customer": 0, "Invoice": 0, "Payment": 0, "Item": 0}
    assert page.locator("#history tbody tr[data-run]").count() == 0

    with page.expect_navigation():
        page.click("#sync-all")
    counts = created_counts(page)
    assert counts["Customer"] == len(BOOK.customers)
    assert counts["Invoice"] == len(BOOK.invoices)
    assert counts["Payment"] == len(BOOK.payments)
    assert counts["Item"] > len(BOOK.items)  # and the default service item, and QBO's own
    rows = page.locator("#history tbody tr[data-run]")
    assert rows.count() == 2
    assert "Pull" in rows.nth(0).inner_text()
    assert "Push" in rows.nth(1).inner_text()
    assert page.locator("#history .pill.success").count() == 2
    assert page.get_attribute("#health", "data-tier") == "excellent"
    assert page.locator("#health .health-main .dot.on").count() == 5
    assert page.inner_text("#health-tier") == "Excellent"
    tiers = page.locator("#health .tiers li")
    assert [tiers.nth(i).get_attribute("data-tier") for i in range(tiers.count())] == [
        "excellent", "good", "warning", "critical", "disconnected"]
    assert page.locator("#health .tiers li.current").get_attribute("data-tier") == "excellent"

    with page.expect_navigation():
        page.click('[data-entity="Invoice"] [data-sync]')
    assert page.locator("#history tbody tr[data-run]").count() == 4

    # An accountant records a payment in QuickBooks; the signed webhook marks it paid.
    unpaid = BOOK.invoices[-1]
    link = site.store.get_links(site.realm, "Invoice", [unpaid.id])[unpaid.id]
    invoice = site.fake.read(site.realm, "Invoice", link.qbo_id)
    assert invoice is not None
    site.fake.seed(site.realm, "Payment", {
        "CustomerRef": invoice["CustomerRef"], "TotalAmt": invoice["Balance"],
        "Line": [{"Amount": invoice["Balance"],
                  "LinkedTxn": [{"TxnId": link.qbo_id, "TxnType": "Invoice"}]}],
    })
    assert site.fake.flush_webhooks() > 0
    site.app.state.integration.worker.join()
    page.reload()
    activity = page.inner_text("#activity")
    assert PAYMENT_CONFIRMED in activity
    assert unpaid.number in activity
    assert "Webhook" in page.locator("#history tbody tr[data-run]").nth(0).inner_text()

    # The committed docs image is rewritten only when asked, so a test run
    # leaves the working tree clean: QBO_SYNC_UPDATE_SCREENSHOTS=1 pytest ...
    shot = SCREENSHOT if os.environ.get("QBO_SYNC_UPDATE_SCREENSHOTS") == "1" else (
        tmp_path / SCREENSHOT.name)
    shot.parent.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(shot), full_page=True)
    data = shot.read_bytes()
    assert data.startswith(b"\x89PNG\r\n\x1a\n")
    assert len(data) < 400_000


def test_sync_refused_by_intuit_shows_reconnect(page: Any, site: Site) -> None:
    """After Intuit revokes access, Sync All shows the error and "Needs reauthorization"."""
    connect_in_browser(page, site)
    with page.expect_navigation():
        page.click("#sync-all")
    tokens = site.store.get_tokens(site.realm)
    assert tokens is not None
    revoked = httpx.post(f"{site.qbo.base_url}/v2/oauth2/tokens/revoke",
                         auth=(CLIENT_ID, CLIENT_SECRET), json={"token": tokens.refresh_token})
    assert revoked.status_code == 200

    with page.expect_navigation():
        page.click("#sync-all")
    assert page.inner_text("#connection-badge") == "Needs reauthorization"
    assert page.is_visible("#sync-error")
    assert "reconnect" in page.inner_text("#sync-error").lower()
    assert page.inner_text("#connect") == "Reconnect to QuickBooks"
    assert page.get_attribute("#health", "data-tier") == "critical"
    assert page.locator("#health .health-main .dot.on").count() == 2
    assert page.locator("#history tbody tr[data-run]").nth(0).locator(".pill.failed").count() == 1
