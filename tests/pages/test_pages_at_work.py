"""The pages as a facility uses them, in Debian's Chromium (one server and one browser for the
module): a shipment laid out from its links, a 1,600-pin shipment that stays small until a puck
is opened, a provenance tree nested as stored, batch receiving, editing in the browser, and on
every page axe-core's accessibility rules (0 violations) and no sideways scrolling at 375 px.
Screenshots go to the test's temporary output (``$MXLIMS_ARTEFACTS`` to keep them)."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from mxlims_store.store.bootstrap import FIRST_KEY_FILE
from tests.api.test_serve import serving
from tests.conftest import FIXTURES
from tests.factories import shipment_message
from tests.pages.chromium import CHROMIUM, DRIVER, MISSING, headless_chromium
from tests.pages.test_browser import artefacts, go, sign_in
from tests.store.test_pages_layout import two_dewars_each_with_puck_a

ROOT = Path(__file__).resolve().parents[2]
AXE = Path(os.environ.get("MXLIMS_AXE", ROOT / ".node/node_modules/axe-core/axe.min.js"))
pytestmark = [
    pytest.mark.skipif(CHROMIUM is None or DRIVER is None, reason=MISSING),
    pytest.mark.skipif(
        not AXE.is_file(),
        reason=f"needs axe-core at {AXE} (.ci/run: npm install --prefix .node axe-core)",
    ),
]
BIG = 1600


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, Any]]:
    """A running server with a member's key and, stored for that member: the ESRF fixture
    shipment (2 dewars, 4 pucks, 14 pins), two dewars with a puck "A" each, a 1,600-pin
    shipment with 100 failed pins, and ten dewars to receive."""
    home = tmp_path_factory.mktemp("pages-at-work")
    with serving(home) as base:
        admin = (home / "data" / FIRST_KEY_FILE).read_text().strip()
        api = httpx.Client(
            base_url=f"{base}/api/v1", headers={"Authorization": f"Bearer {admin}"}, timeout=120
        )
        ada = api.post("/keys", json={"name": "Ada", "role": "member", "proposals": ["mx1234"]})
        fixture = json.loads((FIXTURES / "messages" / "shipment.json").read_text())
        twins = two_dewars_each_with_puck_a()
        big = shipment_message(BIG, experiments=True)
        for n in range(1, BIG + 1, 16):  # the first pin of every puck failed
            big["MxExperiment"][f"MxExperiment{n}"]["jobStatus"] = "Failed"
        receiving = shipment_message(10 * 16, pucks_per_dewar=1)
        for dewar in receiving["Dewar"].values():
            dewar["barcode"] = "RCV-" + dewar["barcode"]
        for puck in receiving["Puck"].values():
            puck["barcode"] = "RCV-" + puck["barcode"]
        for message in (fixture, twins, big, receiving):
            stored = api.post("/messages", json=message)
            assert stored.status_code == 201, stored.text[:500]
        yield {
            "base": base,
            "api": api,
            "key": ada.json()["key"],
            "fixture": fixture,
            "twins": twins,
            "big": big,
            "receiving": receiving,
        }
        api.close()


@pytest.fixture(scope="module")
def browser(site: dict[str, Any], tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    driver = headless_chromium(tmp_path_factory.mktemp("profile"), timeout=60)
    sign_in(driver, site["base"], site["key"])
    try:
        yield driver
    finally:
        driver.quit()


def uuid_of(message: dict[str, Any], type_name: str, key: str) -> str:
    return str(message[type_name][key]["uuid"])


def accessible_and_narrow(driver: Any, url: str) -> None:
    """At 375 px wide the page does not scroll sideways, and axe-core finds no violation."""
    driver.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 375, "height": 800, "deviceScaleFactor": 1, "mobile": True},
    )
    try:
        driver.get(url)
        wide = driver.execute_script(
            "return [document.documentElement.scrollWidth, window.innerWidth]"
        )
        assert wide[0] <= wide[1], f"{url} scrolls sideways at 375 px: {wide[0]} px wide"
        no_axe_violations(driver)
    finally:
        driver.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})


def no_axe_violations(driver: Any) -> None:
    """axe-core, injected into the page as it is now, finds no violation."""
    driver.execute_script(AXE.read_text())
    violations = driver.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {resultTypes: ['violations']})"
        ".then(r => done(r.violations.map(v => [v.id, v.help, v.nodes.length,"
        " v.nodes.slice(0, 2).map(n => n.html)])));"
    )
    assert violations == [], f"{driver.current_url}: {violations}"


def test_two_dewars_with_a_puck_named_a_are_two_sections(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    twins = site["twins"]
    browser.get(f"{site['base']}/pages/shipments/{uuid_of(twins, 'Shipment', 'Shipment1')}")
    sections = browser.find_elements(By.CSS_SELECTOR, "section.dewar")
    assert [s.find_element(By.TAG_NAME, "h2").text for s in sections] == ["Dewar D1", "Dewar D2"]
    for n, section in enumerate(sections, start=1):
        [card] = section.find_elements(By.CSS_SELECTOR, ".container-card")
        assert card.find_element(By.TAG_NAME, "h3").text == "Puck A"
        spots = card.find_elements(By.CSS_SELECTOR, "svg.layout circle:not(.rim)")
        states = [s.get_attribute("class") for s in spots]
        assert states == ["planned", "planned"] + ["empty"] * 14
        titles = [s.find_element(By.TAG_NAME, "title").get_attribute("textContent") for s in spots]
        assert titles[:2] == [f"1 D{n}-A-1 planned", f"2 D{n}-A-2 planned"]
    browser.save_screenshot(str(artefacts(tmp_path) / "twins.png"))


def test_the_provenance_tree_nests_every_node_under_its_true_parent(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    shipment = uuid_of(site["fixture"], "Shipment", "Shipment1")
    browser.get(f"{site['base']}/pages/objects/{shipment}/provenance")
    pairs = browser.execute_script(
        "return [...document.querySelectorAll('.tree li[data-uuid]')].map(li => "
        "[li.dataset.uuid, li.parentElement.closest('li[data-uuid]')?.dataset.uuid ?? null])"
    )
    kinds: dict[str, int] = {}
    for child, parent in pairs:
        if parent is None:
            assert child == shipment
            continue
        links = site["api"].get(f"/objects/{child}/links").json()
        kinds[links["mxlimsType"]] = kinds.get(links["mxlimsType"], 0) + 1
        # drawn under the object it points at (its container, sample, source ...)
        assert parent in {link["uuid"] for link in links["forward"]}, (child, parent)
    assert kinds.get("Dewar") == 2 and kinds.get("Puck") == 4 and kinds.get("Pin") == 14
    sentence = browser.find_element(By.CSS_SELECTOR, "p.sentence").text
    assert sentence.startswith("Shipment ")
    browser.save_screenshot(str(artefacts(tmp_path) / "provenance-tree.png"))


def test_a_1600_pin_shipment_is_small_until_a_puck_is_opened(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import WebDriverWait

    big, base = site["big"], site["base"]
    page = f"{base}/pages/shipments/{uuid_of(big, 'Shipment', 'Shipment1')}"
    browser.get(page)
    sent = browser.execute_script(  # as sent, and unpacked (whether compressed or not)
        "return ['transferSize', 'decodedBodySize'].map(k =>"
        " performance.getEntries().reduce((n, e) => n + (e[k] || 0), 0))"
    )
    assert 0 < max(sent) < 300_000, f"{sent} bytes before a puck is opened"
    assert browser.find_elements(By.CSS_SELECTOR, "table.rows") == []
    names = [h.text for h in browser.find_elements(By.CSS_SELECTOR, ".container-card h3")]
    expected = [f"Puck PK-{n}" for n in range(1, BIG // 16 + 1)]
    assert names == expected  # PK-2 before PK-10 before PK-100
    first = browser.find_element(By.CSS_SELECTOR, ".container-card")
    spots = first.find_elements(By.CSS_SELECTOR, "svg.layout circle:not(.rim)")
    assert [s.get_attribute("class") for s in spots] == ["failed"] + ["planned"] * 15
    browser.save_screenshot(str(artefacts(tmp_path) / "big-shipment.png"))

    first.find_element(By.TAG_NAME, "summary").click()  # the rows of PK-1 arrive
    WebDriverWait(browser, 20).until(
        lambda d: len(first.find_elements(By.CSS_SELECTOR, "table.rows tbody tr")) == 16
    )
    row = first.find_element(By.CSS_SELECTOR, "table.rows tbody tr").text
    assert "PIN-1" in row and "P1" in row and "OSC 1.8 Å" in row and "failed" in row

    browser.get(f"{page}?status=failed")
    found = [
        r.find_element(By.CSS_SELECTOR, "td:nth-child(3)").text
        for r in browser.find_elements(By.CSS_SELECTOR, "table.rows tbody tr")
    ]
    assert found == [f"PIN-{n}" for n in range(1, BIG + 1, 16)]
    browser.get(f"{page}?q=PIN-1599")
    assert len(browser.find_elements(By.CSS_SELECTOR, "table.rows tbody tr")) == 1

    sheet = f"{page}/sheet?site=esrf"
    browser.get(sheet)
    size = browser.execute_script("return performance.getEntries()[0].decodedBodySize")
    assert 0 < size < 100_000, f"the sheet preview is {size:,} bytes"
    assert browser.find_elements(By.CSS_SELECTOR, "table.losses tbody tr")
    browser.save_screenshot(str(artefacts(tmp_path) / "big-sheet.png"))


def test_batch_receiving_of_ten_dewars(site: dict[str, Any], browser: Any, tmp_path: Path) -> None:
    from selenium.webdriver.common.by import By
    from selenium.webdriver.support.ui import Select

    base, receiving = site["base"], site["receiving"]
    browser.get(f"{base}/pages/scan")
    Select(browser.find_element(By.ID, "state")).select_by_visible_text("received")
    browser.find_element(By.ID, "location").send_keys("goods in")
    browser.find_element(By.ID, "facility").send_keys("ESRF")
    for n in range(1, 11):
        browser.find_element(By.ID, "ref").send_keys(f"RCV-DW-{n}")
        go(browser, browser.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]"))
        said = browser.find_element(By.CSS_SELECTOR, "p.ok[role=status]").text
        assert f"Dewar RCV-DW-{n}" in said and "received" in said and "Shipment" in said
        state = Select(browser.find_element(By.ID, "state")).first_selected_option.text
        assert state == "received"
        assert browser.find_element(By.ID, "location").get_attribute("value") == "goods in"
        assert browser.find_element(By.ID, "facility").get_attribute("value") == "ESRF"
        assert browser.find_element(By.ID, "ref").get_attribute("value") == ""
    assert len(browser.find_elements(By.CSS_SELECTOR, "ol.batch li")) == 10
    browser.find_element(By.ID, "ref").send_keys("NO-SUCH-DEWAR")
    go(browser, browser.find_element(By.CSS_SELECTOR, "form.stacked button[type=submit]"))
    assert "Not recorded" in browser.find_element(By.CSS_SELECTOR, "[role=alert]").text
    assert browser.find_element(By.ID, "location").get_attribute("value") == "goods in"
    no_axe_violations(browser)  # the batch list, the error and the form
    browser.save_screenshot(str(artefacts(tmp_path) / "batch-receiving.png"))
    for n in range(1, 11):
        dewar = uuid_of(receiving, "Dewar", f"Dewar{n}")
        events = site["api"].get(f"/objects/{dewar}/events").json()["events"]
        assert [(e["state"], e["location"], e["facility"]) for e in events] == [
            ("received", "goods in", "ESRF")
        ]

    puck = uuid_of(receiving, "Puck", "Puck1")
    pin = uuid_of(receiving, "Pin", "Pin1")
    for uuid in (puck, pin):
        browser.get(f"{base}/pages/objects/{uuid}")
        where = browser.find_element(By.XPATH, "//h2[text()='Where it is']/following-sibling::p")
        assert "received" in where.text and "RCV-DW-1" in where.text and "goods in" in where.text

    api = site["api"]
    dewar = uuid_of(receiving, "Dewar", "Dewar1")
    at = {"state": "at_beamline", "facility": "ESRF", "beamline": "ID30A-1"}
    assert api.post(f"/objects/{dewar}/events", json=at).status_code == 201
    assert api.post(f"/objects/{dewar}/events", json={"state": "returned"}).status_code == 201
    browser.get(f"{base}/pages/objects/{dewar}")
    where = browser.find_element(By.XPATH, "//h2[text()='Where it is']/following-sibling::p")
    assert "returned" in where.text and "ID30A-1" not in where.text


def test_editing_a_sample_records_who_and_refuses_a_stale_edit(
    site: dict[str, Any], browser: Any, tmp_path: Path
) -> None:
    from selenium.webdriver.common.by import By

    sample = uuid_of(site["fixture"], "MacromoleculeSample", "MacromoleculeSample1")
    page = f"{site['base']}/pages/objects/{sample}"
    browser.get(f"{page}#edit")  # as a sample's link in the shipment's rows opens it
    assert browser.find_element(By.ID, "edit").get_attribute("open") is not None
    name = browser.find_element(By.ID, "edit-name")
    name.clear()
    name.send_keys("hewl renamed")
    go(browser, browser.find_element(By.XPATH, "//button[text()='Save']"))
    assert "Saved." in browser.page_source
    assert browser.find_element(By.TAG_NAME, "h1").text == "MacromoleculeSample hewl renamed"
    last = browser.find_elements(By.CSS_SELECTOR, "table.history tbody tr")[-1].text
    assert "Ada" in last and "update" in last and "Name" in last
    assert site["api"].get(f"/objects/{sample}/history").json()[-1]["actor"] == "Ada"

    browser.get(page)  # this tab shows revision 2 ...
    browser.find_element(By.CSS_SELECTOR, "#edit summary").click()
    meanwhile = site["api"].patch(  # ... while another tab changes it
        f"/objects/{sample}",
        json={"name": "changed elsewhere"},
        headers={"If-Match": '"2"', "Content-Type": "application/merge-patch+json"},
    )
    assert meanwhile.status_code == 200, meanwhile.text
    name = browser.find_element(By.ID, "edit-name")
    name.clear()
    name.send_keys("my stale edit")
    go(browser, browser.find_element(By.XPATH, "//button[text()='Save']"))
    alert = browser.find_element(By.CSS_SELECTOR, "div.error[role=alert]").text
    assert "Not saved" in alert and "Someone changed it" in alert and "my stale edit" in alert
    assert site["api"].get(f"/objects/{sample}").json()["name"] == "changed elsewhere"
    no_axe_violations(browser)  # the refusal, and the form open
    browser.save_screenshot(str(artefacts(tmp_path) / "stale-edit.png"))


def test_every_page_is_accessible_and_fits_a_phone(site: dict[str, Any], browser: Any) -> None:
    base, fixture = site["base"], site["fixture"]
    shipment = uuid_of(fixture, "Shipment", "Shipment1")
    pages = [
        "/",
        "/pages/shipments",
        f"/pages/shipments/{shipment}",
        f"/pages/shipments/{shipment}?status=planned",
        f"/pages/containers/{uuid_of(fixture, 'Puck', 'Puck1')}",
        f"/pages/objects/{shipment}",
        f"/pages/objects/{uuid_of(fixture, 'Pin', 'Pin1')}",
        f"/pages/objects/{uuid_of(fixture, 'MacromoleculeSample', 'MacromoleculeSample1')}",
        f"/pages/objects/{uuid_of(fixture, 'Pin', 'Pin1')}/provenance",
        f"/pages/shipments/{shipment}/sheet?site=esrf&loss=1",
        f"/pages/shipments/{shipment}/sheet?site=dls",
        "/pages/scan",
        "/pages/upload",
    ]
    for path in pages:
        accessible_and_narrow(browser, base + path)
