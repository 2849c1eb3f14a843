"""A facility behind one NAT address: one user's wrong keys are refused (429 once over the
limit), and everyone else's valid keys from that address still get in, through the API's reads,
its writes (checked before the body) and the sign-in page."""

from __future__ import annotations

from pathlib import Path

import httpx

from mxlims_store.api.main import create_app
from tests.api.conftest import BASE_URL, make_settings, running

NAT = ("10.0.0.9", 5000)
WRONG = {"Authorization": "Bearer mxk.0123abcd.wrong"}


def _from_nat(app: object, base_url: str = BASE_URL) -> httpx.AsyncClient:
    return httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app, client=NAT),  # type: ignore[arg-type]
        base_url=base_url,
    )


async def test_valid_keys_get_in_from_an_address_over_its_failed_key_limit(
    tmp_path: Path,
) -> None:
    app = create_app(make_settings(tmp_path, failed_key_limit=3))
    async with running(app) as admin:
        made = await admin.post(
            "/keys", json={"name": "bo", "role": "member", "proposals": ["mx1"]}
        )
        valid = {"Authorization": f"Bearer {made.json()['key']}"}
        async with _from_nat(app) as typo, _from_nat(app, "http://testserver") as browser:
            codes = [(await typo.get("/stats", headers=WRONG)).status_code for _ in range(5)]
            assert codes == [401, 401, 401, 429, 429]
            # a colleague behind the same address, with a valid key: read and write
            assert (await typo.get("/stats", headers=valid)).status_code == 200
            wrote = await typo.post("/messages", content=b"{}", headers=valid)
            assert wrote.status_code not in (401, 429), wrote.text  # its body is judged
            # wrong keys from there are still refused, on a write before its body too
            assert (await typo.get("/stats", headers=WRONG)).status_code == 429
            refused = await typo.post("/messages", content=b"{}", headers=WRONG)
            assert refused.status_code == 429 and refused.headers["retry-after"] == "60"
            # and the sign-in page: a valid key signs in, a wrong one gets a page saying 429
            form = await browser.get("/pages/login")
            csrf = form.text.split('name="csrf" value="', 1)[1].split('"', 1)[0]
            wrong = await browser.post("/pages/login", data={"key": "mxk.ab12.no", "csrf": csrf})
            assert wrong.status_code == 429
            assert wrong.headers["content-type"].startswith("text/html")
            assert "MXLIMS_FAILED_KEY_LIMIT" in wrong.text and wrong.headers["retry-after"] == "60"
            key = valid["Authorization"].removeprefix("Bearer ")
            signed = await browser.post("/pages/login", data={"key": key, "csrf": csrf})
            assert signed.status_code == 303, signed.text
