from inspection.web.security import CONTENT_SECURITY_POLICY
from tests.web.conftest import make_user, sign_in


async def test_security_headers_on_every_response(app_client):
    response = await app_client.get("/login")
    assert response.headers["content-security-policy"] == CONTENT_SECURITY_POLICY
    assert "script-src 'self'" in CONTENT_SECURITY_POLICY
    assert "unsafe-inline" not in CONTENT_SECURITY_POLICY
    assert response.headers["x-frame-options"] == "DENY"
    assert response.headers["x-content-type-options"] == "nosniff"
    assert response.headers["referrer-policy"] == "no-referrer"
    assert response.headers["cache-control"] == "no-store"


async def test_cross_site_post_is_refused(app_client):
    await make_user("lead@example.org", "lead_inspector")
    refused = await app_client.post(
        "/login",
        data={"email": "lead@example.org", "password": "x"},
        headers={"sec-fetch-site": "cross-site"},
    )
    assert refused.status_code == 403
    assert refused.text == "Cross-origin request refused."
    foreign_origin = await app_client.post("/logout", headers={"origin": "https://evil.example"})
    assert foreign_origin.status_code == 403


async def test_same_origin_post_is_allowed(app_client):
    await make_user("lead@example.org", "lead_inspector")
    response = await app_client.post(
        "/login",
        data={"email": "lead@example.org", "password": "correct horse battery"},
        headers={"sec-fetch-site": "same-origin", "origin": "http://testserver"},
    )
    assert response.status_code == 303


async def test_secure_cookie_when_served_over_https(db):
    import dataclasses

    import httpx2

    from inspection.web.app import create_app

    app = create_app(dataclasses.replace(db, https=True), manage_database=False)
    async with httpx2.AsyncClient(
        transport=httpx2.ASGITransport(app=app), base_url="https://testserver"
    ) as client:
        await make_user("lead@example.org", "lead_inspector")
        response = await sign_in(client, "lead@example.org")
        assert "Secure" in response.headers["set-cookie"]
        assert response.headers["strict-transport-security"] == "max-age=31536000"
