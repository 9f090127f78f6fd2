import re

from inspection.models import AccessLog
from tests.web.conftest import make_user, sign_in


async def test_only_admins_read_the_access_log(app_client):
    await make_user("insp@example.org", "inspector")
    await sign_in(app_client, "insp@example.org")
    assert (await app_client.get("/admin/access-log")).status_code == 404
    assert (await app_client.get("/admin/access-log.csv")).status_code == 404


async def test_admin_filters_and_exports_the_access_log(app_client):
    await make_user("admin@example.org", "admin")
    await make_user("insp@example.org", "inspector")
    await sign_in(app_client, "insp@example.org", "wrong password!")
    await AccessLog.create(
        user_email="insp@example.org",
        action="view-journey",
        inspection_id=7,
        object_type="child",
        object_id="12",
        detail='=HYPERLINK("http://x")',
    )
    await sign_in(app_client, "admin@example.org")
    page = await app_client.get("/admin/access-log", params={"action": "view-journey"})
    assert page.status_code == 200
    assert "1 entry." in page.text
    assert "child 12" in page.text
    csv_text = (await app_client.get("/admin/access-log.csv", params={"user": "insp"})).text
    lines = csv_text.splitlines()
    assert lines[0] == "at,user,action,inspection,object,detail,ip"
    assert len(lines) == 3  # the failed sign-in and the journey view
    # the CSV names each action as the page does
    assert lines[1].split(",")[1:5] == [
        "insp@example.org",
        "Viewed a child's journey",
        "7",
        "child 12",
    ]
    assert lines[2].split(",")[2] == "Sign-in failed"
    assert re.fullmatch(r"\d\d/\d\d/\d{4} \d\d:\d\d:\d\d", lines[1].split(",")[0])
    assert "'=HYPERLINK" in lines[1]
    assert await AccessLog.filter(action="export-access-log").count() == 1
