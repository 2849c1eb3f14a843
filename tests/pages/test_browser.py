"""The pages in a real browser: Debian's Chromium, headless, driven through chromedriver.

One person's session from sign-in to sign-out (a bad sheet shows its error table, the fixed
sheet is stored, the shipment, a pin and its provenance open, an event is recorded, the results
file downloads), the API docs rendering from the package's own assets, and a second key that
sees none of it. Screenshots go to ``$MXLIMS_ARTEFACTS`` (default: the test's temporary folder).
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mxlims_store.store.bootstrap import FIRST_KEY_FILE
from tests.api.test_serve import serving
from tests.conftest import FIXTURES
from tests.pages.chromium import CHROMIUM, DRIVER, MISSING, headless_chromium

pytestmark = pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason=MISSING)


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    home = tmp_path_factory.mktemp("pages")
    with serving(home) as base:
        admin = (home / "data" / FIRST_KEY_FILE).read_text().strip()
        keys = {}
        for name, proposal in (("ada", "mx1234"), ("bob", "mx9999")):
            created = httpx.post(
                f"{base}/api/v1/keys",
                json={"name": name, "role": "member", "proposals": [proposal]},
                headers={"Authorization": f"Bearer {admin}"},
                timeout=10,
            )
            keys[name] = created.json()["key"]
        yield {"base": base, "keys": keys, "home": home}


@pytest.fixture
def browser(tmp_path: Path) -> Iterator[Any]:
    driver = headless_chromium(tmp_path / "profile", timeout=30)
    try:
        yield driver
    finally:
        driver.quit()


def artefacts(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("MXLIMS_ARTEFACTS", tmp_path / "artefacts"))
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def go(driver: Any, element: Any) -> None:
    """Click something that loads a new page, and wait until the new page is there (a mark
    left on the old page's window is gone once the new one has loaded)."""
    from selenium.webdriver.support.ui import WebDriverWait

    driver.execute_script("window.__before_click = true;")
    element.click()
    WebDriverWait(driver, 20).until(
        lambda d: d.execute_script(
            "return window.__before_click === undefined && document.readyState === 'complete'"
        )
    )


def sign_in(driver: Any, base: str, key: str) -> None:
    from selenium.webdriver.common.by import By

    driver.get(f"{base}/pages/login")
    driver.find_element(By.ID, "key").send_keys(key)
    go(driver, driver.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]"))


def upload_sheet(driver: Any, base: str, sheet: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    driver.get(f"{base}/pages/upload")
    driver.find_element(By.CSS_SELECTOR, "input[name=kind][value=sheet]").click()
    Select(driver.find_element(By.ID, "site")).select_by_value("esrf")
    driver.find_element(By.ID, "proposal").send_keys("mx1234")
    driver.find_element(By.ID, "file").send_keys(str(sheet))
    go(driver, driver.find_element(By.CSS_SELECTOR, "form[enctype] button[type=submit]"))


def test_a_members_session_from_sign_in_to_sign_out(
    server: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    base, shots = server["base"], artefacts(tmp_path)
    sign_in(browser, base, server["keys"]["ada"])
    assert browser.current_url.endswith("/pages/shipments")
    assert "No shipment" in browser.page_source

    upload_sheet(browser, base, FIXTURES / "sheets" / "esrf_shipment_bad.csv")
    rows = browser.find_elements(By.CSS_SELECTOR, "table.problems tbody tr")
    assert rows and "Nothing was stored" in browser.page_source
    headers = [th.text for th in browser.find_elements(By.CSS_SELECTOR, "table.problems th")]
    assert headers[:2] == ["Row", "Column"]
    browser.save_screenshot(str(shots / "upload-problems.png"))

    upload_sheet(browser, base, FIXTURES / "sheets" / "esrf_shipment.csv")
    assert "The file is valid" in browser.page_source
    go(browser, browser.find_element(By.XPATH, "//button[text()='Store it']"))
    assert "Stored." in browser.page_source
    go(browser, browser.find_element(By.LINK_TEXT, "Open the shipment"))
    shipment = browser.current_url.rsplit("/", 1)[1]
    spots = browser.find_elements(By.CSS_SELECTOR, "svg.layout circle:not(.rim):not(.empty)")
    assert len(spots) == 14  # every pin drawn in its puck
    browser.save_screenshot(str(shots / "shipment.png"))

    browser.find_element(By.ID, "location").send_keys("bench 3, lab 2.17")
    go(browser, browser.find_element(By.XPATH, "//form[@action='/pages/scan']//button"))
    assert (
        "bench 3, lab 2.17"
        in browser.find_element(
            By.XPATH, "//h2[text()='Journey']/following-sibling::div[1]//table"
        ).text
    )

    go(browser, browser.find_element(By.CSS_SELECTOR, ".container-card h3 a"))
    go(browser, browser.find_element(By.CSS_SELECTOR, "table.rows tbody tr td:nth-child(3) a"))
    assert "Pin" in browser.find_element(By.TAG_NAME, "h1").text
    go(browser, browser.find_element(By.LINK_TEXT, "provenance"))
    chain = browser.find_elements(By.CSS_SELECTOR, "ol.chain li a")
    assert any("Shipment" in link.text for link in chain)
    browser.save_screenshot(str(shots / "provenance.png"))

    cookies = {c["name"]: c["value"] for c in browser.get_cookies()}
    download = httpx.get(f"{base}/pages/shipments/{shipment}/results.json", cookies=cookies)
    assert download.status_code == 200 and "attachment" in download.headers["content-disposition"]
    assert shipment in {s["uuid"] for s in download.json()["Shipment"].values()}

    go(browser, browser.find_element(By.XPATH, "//nav//button[text()='Sign out']"))
    assert browser.current_url.endswith("/pages/login")
    browser.get(f"{base}/pages/shipments/{shipment}")
    assert browser.current_url.endswith("/pages/login")  # the session is gone

    # another proposal's key sees none of it (signing in leads back to the page asked for)
    sign_in(browser, base, server["keys"]["bob"])
    assert browser.current_url.endswith(f"/pages/shipments/{shipment}")
    assert "Not found" in browser.page_source and "esrf" not in browser.page_source.lower()
    browser.get(f"{base}/pages/shipments")
    assert "No shipment" in browser.page_source
    browser.get(f"{base}/pages/shipments?q=ESRF-PIN-300")
    assert "No shipment" in browser.page_source


def test_the_api_docs_render_from_the_package(
    server: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support import expected_conditions
    from selenium.webdriver.support.ui import WebDriverWait

    browser.get(f"{server['base']}/docs")
    WebDriverWait(browser, 20).until(
        expected_conditions.presence_of_element_located((By.CSS_SELECTOR, ".opblock"))
    )
    operations = browser.find_elements(By.CSS_SELECTOR, ".opblock-summary-path")
    assert len(operations) > 20
    scripts = [s.get_attribute("src") for s in browser.find_elements(By.TAG_NAME, "script")]
    assert all(src.startswith(server["base"]) for src in scripts if src)  # nothing from a CDN
    browser.save_screenshot(str(artefacts(tmp_path) / "docs.png"))
    browser.get(f"{server['base']}/")
    assert "Sign in with an API key" in browser.page_source


def test_a_form_from_another_site_cannot_write(server: dict[str, Any]) -> None:
    """Without the session's token a write is refused, even with the session cookie."""
    with httpx.Client(base_url=server["base"], follow_redirects=False) as client:
        page = client.get("/pages/login")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        signed = client.post("/pages/login", data={"key": server["keys"]["ada"], "csrf": token})
        assert signed.status_code == 303
        forged = client.post("/pages/scan", data={"ref": "ESRF-PIN-300", "state": "shipped"})
        assert forged.status_code == 403
        assert client.get("/pages/shipments").status_code == 200  # reading still works


def test_sign_out_ends_the_session_on_the_server_and_pages_are_not_cached(
    server: dict[str, Any],
) -> None:
    with httpx.Client(base_url=server["base"], follow_redirects=False) as client:
        page = client.get("/pages/login")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post("/pages/login", data={"key": server["keys"]["ada"], "csrf": token})
        copied = dict(client.cookies)
        assert server["keys"]["ada"].split(".")[-1] not in str(copied)  # no key in the cookie
        listed = client.get("/pages/shipments")
        assert listed.headers["cache-control"] == "no-store"
        assert listed.headers["x-frame-options"] == "DENY"
        token = listed.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        assert client.post("/pages/logout", data={"csrf": token}).status_code == 303
    with httpx.Client(base_url=server["base"], cookies=copied, follow_redirects=False) as replay:
        assert replay.get("/pages/shipments").status_code == 303  # to the sign-in page


def test_a_large_upload_is_checked_then_stored(server: dict[str, Any], tmp_path: Path) -> None:
    """Bigger than a form field may carry: the checked file waits on the server."""
    import json

    from tests.factories import shipment_message

    message = shipment_message(1600, experiments=True, proposal="mx1234")
    body = json.dumps(message).encode()
    assert len(body) > 1_100_000
    with httpx.Client(base_url=server["base"], follow_redirects=False, timeout=60) as client:
        page = client.get("/pages/login")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post("/pages/login", data={"key": server["keys"]["ada"], "csrf": token})
        token = client.get("/pages/upload").text.split('name="csrf" value="', 1)[1].split('"')[0]
        checked = client.post(
            "/pages/upload",
            data={"csrf": token, "kind": "message", "policy": "reject_new"},
            files={"file": ("big.json", body, "application/json")},
        )
        assert checked.status_code == 200 and "The file is valid" in checked.text
        staged = checked.text.split('name="staged" value="', 1)[1].split('"', 1)[0]
        stored = client.post(
            "/pages/upload",
            data={"csrf": token, "kind": "message", "policy": "reject_new", "staged": staged},
        )
        assert stored.status_code == 200 and "Stored." in stored.text, stored.text[:500]
        again = client.post(
            "/pages/upload",
            data={"csrf": token, "kind": "message", "policy": "reject_new", "staged": staged},
        )
        assert "no longer waiting" in again.text  # stored once, not twice


def test_bad_page_input_is_a_page_saying_why(server: dict[str, Any]) -> None:
    from tests.conftest import FIXTURES

    with httpx.Client(base_url=server["base"], follow_redirects=False, timeout=60) as client:
        page = client.get("/pages/login")
        token = page.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
        client.post("/pages/login", data={"key": server["keys"]["ada"], "csrf": token})
        token = client.get("/pages/upload").text.split('name="csrf" value="', 1)[1].split('"')[0]

        def upload(kind: str, policy: str, name: str, body: bytes) -> httpx.Response:
            return client.post(
                "/pages/upload",
                data={"csrf": token, "kind": kind, "policy": policy},
                files={"file": (name, body, "application/json")},
            )

        deep = upload("message", "reject_new", "deep.json", b"[" * 100_000)
        assert deep.status_code == 422 and "nested too deeply" in deep.text
        bogus = upload("bogus", "reject_new", "x.json", b"{}")
        assert bogus.status_code == 422 and "choose what the file is" in bogus.text
        shipment = (FIXTURES / "messages" / "shipment.json").read_bytes()
        results = (FIXTURES / "messages" / "results.json").read_bytes()
        checked = upload("message", "reject_new", "s.json", shipment)
        staged = checked.text.split('name="staged" value="', 1)[1].split('"', 1)[0]
        client.post(
            "/pages/upload",
            data={"csrf": token, "kind": "message", "policy": "reject_new", "staged": staged},
        )
        kept = upload("message", "reject_new", "r.json", results)
        assert "differ from what is stored" in kept.text and "jobStatus" in kept.text
        assert 'value="merge"' in kept.text
        fixture = "aaa868d5-89c2-5c0c-a92c-0ee70829d82c"
        sheet = client.get(f"/pages/shipments/{fixture}/sheet?site=dls&fmt=bogus")
        assert sheet.status_code == 422 and "use csv, tsv or xlsx" in sheet.text
