"""The read API end to end: Flask test client, read keys from create_api_key, sessions
through the real sign-in form, on tests/metrics_fixtures.py."""

from __future__ import annotations

import base64

import pytest
from flask import Flask
from flask.testing import FlaskClient

from app.auth.api_keys import create_api_key, revoke_api_key
from app.database import get_database
from tests.factories import ACCOUNTS, ADMIN_PASSWORD, WRITER_PASSWORD, add_accounts
from tests.integration.conftest import make_test_app
from tests.metrics_fixtures import STORY_10_ENGAGEMENT, build_metrics_platform

ALL = "start=2026-01-05&end=2026-03-05"


def _load_metrics_platform(session) -> None:
    build_metrics_platform(session)
    add_accounts(session)
    session.commit()


@pytest.fixture
def app(sqlite_url: str, tmp_path) -> Flask:
    flask_app = make_test_app(sqlite_url, tmp_path, _load_metrics_platform)
    yield flask_app
    get_database(flask_app).engine.dispose()


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture
def keys(app: Flask) -> dict[str, str]:
    """Plaintext keys: read keys for writer 1, writer 2 and the platform, a write key and
    a revoked read key."""
    with get_database(app).session() as session:
        made = {
            "ada": create_api_key(session, name="ada", kind="read", writer_id=1)[1],
            "bram": create_api_key(session, name="bram", kind="read", writer_id=2)[1],
            "platform": create_api_key(session, name="all", kind="read")[1],
            "write": create_api_key(session, name="w", kind="write", source="web")[1],
        }
        revoked, made["revoked"] = create_api_key(session, name="old", kind="read", writer_id=1)
        revoke_api_key(session, revoked.id)
        session.commit()
    return made


def get(client: FlaskClient, path: str, key: str | None = None):
    headers = {"Authorization": f"Bearer {key}"} if key else {}
    return client.get(path, headers=headers)


def test_story_performance_numbers(client, keys) -> None:
    response = get(client, f"/api/v1/stories/10/performance?{ALL}", keys["ada"])
    assert response.status_code == 200
    body = response.get_json()
    story = body["story"]
    assert (story["views"], story["unique_readers"], story["revenue"]) == (15, 6, 1799)
    assert story["engagement_score"] == pytest.approx(STORY_10_ENGAGEMENT)
    assert [c["views"] for c in body["chapters"]] == [5, 5, 3, 2]
    kinds = [a["kind"] for a in body["annotations"]]
    assert kinds.count("release") == 4
    assert "hiatus_start" in kinds  # nothing since d21 with a 7-day cadence


def test_story_insights_numbers(client, keys) -> None:
    body = get(client, f"/api/v1/stories/10/insights?{ALL}", keys["platform"]).get_json()
    assert [row["reached"] for row in body["retention"]] == [5, 4, 3, 2]
    assert body["retention"][0]["loss"] is None
    assert body["abnormal_chapters"] == []  # only three losses, none abnormal
    assert [(t["reader_type"], t["readers"]) for t in body["reader_types"]] == [
        ("release_day", 2), ("binge", 1), ("catch_up", 3),
    ]  # fmt: skip
    assert [h["next_24h"] for h in body["hook_rates"]] == [3, 3, 1]
    assert [p["conversion"] for p in body["paywall"]] == pytest.approx([2 / 3, 1 / 3])


def test_writer_sections(client, keys) -> None:
    overview = get(client, f"/api/v1/writers/1/overview?{ALL}", keys["ada"]).get_json()
    kpis = {k["key"]: k["value"] for k in overview["kpis"]}
    assert (kpis["views"], kpis["revenue"]) == (15, 1799)
    assert len(overview["daily"]) == 60
    revenue = get(client, f"/api/v1/writers/1/revenue?{ALL}", keys["ada"]).get_json()
    assert revenue["by_source"] == {"unlocks": 300, "tips": 500, "subscriptions": 999}
    audience = get(client, f"/api/v1/writers/1/audience?{ALL}", keys["ada"]).get_json()
    assert audience["breakdowns"]["country"][0] == {"value": "US", "readers": 3, "share": 0.5}
    growth = get(client, "/api/v1/writers/1/growth?as_of=2026-02-09", keys["ada"]).get_json()
    views = next(m for m in growth["metrics"] if m["metric"] == "views")
    assert (views["week"], views["previous_week"], views["wow"]) == (3, 3, 0.0)
    assert views["mom"] == pytest.approx(10 / 3 - 1)
    ranking = get(
        client, f"/api/v1/writers/1/rankings?{ALL}&metric=engagement_score", keys["ada"]
    ).get_json()
    assert [s["story_id"] for s in ranking["stories"]] == [10, 11]
    engagement = get(client, f"/api/v1/writers/1/engagement?{ALL}", keys["ada"]).get_json()
    assert [r["reader_id"] for r in engagement["most_engaged"]] == [5, 1, 3, 2, 4, 6]
    assert sum(s["readers"] for s in engagement["segments"]) == 6
    exported = get(client, f"/api/v1/writers/1/export?{ALL}&table=stories&format=csv", keys["ada"])
    assert exported.mimetype == "text/csv"
    assert exported.get_data(as_text=True).splitlines()[0].startswith("story_id,title")
    comparison = get(client, f"/api/v1/stories/10/comparison?{ALL}", keys["ada"]).get_json()
    revenue_row = next(m for m in comparison["metrics"] if m["metric"] == "revenue")
    assert revenue_row["writer_median"] == pytest.approx(1799 / 2)
    assert revenue_row["genre_percentile"] == pytest.approx(50.0)  # story 20 earned more


def test_platform_endpoints(client, keys) -> None:
    realtime = get(client, "/api/v1/stats/realtime", keys["platform"])
    assert realtime.status_code == 200
    assert set(realtime.get_json()) >= {"active_readers", "per_minute", "top_stories"}
    assert get(client, "/api/v1/stats/realtime", keys["ada"]).status_code == 403
    top = get(client, f"/api/v1/stats/top-content?{ALL}&metric=revenue", keys["platform"])
    assert [s["story_id"] for s in top.get_json()["stories"]] == [20, 10, 11]
    mine = get(client, f"/api/v1/stats/top-content?{ALL}&metric=revenue", keys["ada"])
    assert [s["story_id"] for s in mine.get_json()["stories"]] == [10, 11]
    engaged = get(client, f"/api/v1/stats/most-engaged?{ALL}&limit=2", keys["platform"])
    # r1 also read writer 2 on d5: 5 active days like r5, more reading time
    assert [r["reader_id"] for r in engaged.get_json()["most_engaged"]] == [1, 5]


def test_writer_key_cannot_widen_its_scope(client, keys) -> None:
    for path in (
        "/api/v1/stories/20/performance",
        "/api/v1/stories/20/insights",
        "/api/v1/stories/20/comparison",
        "/api/v1/stories/999/performance",
        "/api/v1/readers/5/engagement",  # reader 5 never read writer 2
    ):
        response = get(client, f"{path}?{ALL}", keys["bram"] if "readers" in path else keys["ada"])
        assert response.status_code == 404, path
        assert "error" in response.get_json()
    for section in (
        "overview",
        "revenue",
        "audience",
        "growth",
        "rankings",
        "engagement",
        "export",
    ):
        response = get(client, f"/api/v1/writers/2/{section}", keys["ada"])
        assert response.status_code == 403, section
    assert get(client, f"/api/v1/stories/20/performance?{ALL}", keys["bram"]).status_code == 200
    assert get(client, f"/api/v1/readers/1/engagement?{ALL}", keys["bram"]).status_code == 200
    assert get(client, "/api/v1/writers/77/overview", keys["platform"]).status_code == 404


def test_authentication(client, keys) -> None:
    assert get(client, "/api/v1/writers/1/overview").status_code == 401
    assert get(client, "/api/v1/writers/1/overview", "lgr_nope").status_code == 401
    assert get(client, "/api/v1/writers/1/overview", keys["revoked"]).status_code == 401
    assert get(client, "/api/v1/writers/1/overview", keys["write"]).status_code == 403
    basic = base64.b64encode(f"{keys['ada']}:".encode()).decode()
    response = client.get("/api/v1/writers/1/overview", headers={"Authorization": f"Basic {basic}"})
    assert response.status_code == 200
    garbage = client.get("/api/v1/writers/1/overview", headers={"Authorization": "Token x"})
    assert garbage.status_code == 401


def _sign_in(client: FlaskClient, email: str, password: str) -> None:
    from tests.integration.conftest import csrf_token_from

    token = csrf_token_from(client.get("/login").get_data(as_text=True))
    response = client.post(
        "/login", data={"email": email, "password": password, "csrf_token": token}
    )
    assert response.status_code == 302


def test_dashboard_sessions(client) -> None:
    _sign_in(client, ACCOUNTS.writer_email, WRITER_PASSWORD)  # writer 1
    assert client.get(f"/api/v1/writers/1/overview?{ALL}").status_code == 200
    assert client.get("/api/v1/writers/2/overview").status_code == 403
    assert client.get(f"/api/v1/stories/20/insights?{ALL}").status_code == 404
    assert client.get("/api/v1/stats/realtime").status_code == 403
    client.get("/logout")
    _sign_in(client, ACCOUNTS.admin_email, ADMIN_PASSWORD)
    assert client.get(f"/api/v1/writers/2/overview?{ALL}").status_code == 200
    assert client.get("/api/v1/stats/realtime").status_code == 200


@pytest.mark.parametrize(
    ("query", "parameter"),
    [
        ("start=2026-13-01", "start"),
        ("start=2026-02-01&end=2026-01-01", "start"),
        ("end=2026-01-01", "start"),
        ("days=0", "days"),
        ("days=abc", "days"),
        ("days=7&start=2026-01-01", "days"),
        ("metric=title", "metric"),
        ("order=up", "order"),
        ("limit=0", "limit"),
    ],
)
def test_filters_are_validated(client, keys, query, parameter) -> None:
    response = get(client, f"/api/v1/writers/1/rankings?{query}", keys["ada"])
    assert response.status_code == 400
    assert response.get_json()["error"]["parameter"] == parameter


def test_other_filter_errors_and_empty_ranges(client, keys) -> None:
    bad = get(client, "/api/v1/writers/1/export?table=secrets", keys["ada"])
    assert (bad.status_code, bad.get_json()["error"]["parameter"]) == (400, "table")
    future = get(
        client, "/api/v1/writers/3/overview?start=2030-01-01&end=2030-01-31", keys["platform"]
    )
    assert future.status_code == 200
    assert all(k["value"] == 0 for k in future.get_json()["kpis"])
    assert get(client, "/api/v1/stories/11/insights", keys["ada"]).get_json()["hook_rates"] == []
    # No POST route: the deny-by-default guard answers before the 405 (no endpoint matched).
    assert client.post("/api/v1/writers/1/overview").status_code in (401, 405)


def test_openapi_fragment_lists_every_route(app) -> None:
    from app.read_api.openapi import read_api_openapi

    document = read_api_openapi()
    rules = {
        rule.rule.replace("<int:", "{").replace(">", "}")
        for rule in app.url_map.iter_rules()
        if rule.endpoint.startswith("read_api.")
    }
    assert rules == set(document["paths"])
    for operation in (path["get"] for path in document["paths"].values()):
        assert {"200", "400", "401"} <= set(operation["responses"])


def test_export_formats(client, keys) -> None:
    import io

    from openpyxl import load_workbook

    workbook_response = get(client, f"/api/v1/writers/1/export?{ALL}&format=xlsx", keys["ada"])
    assert workbook_response.status_code == 200
    assert workbook_response.mimetype == (
        "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    )
    assert workbook_response.headers["Content-Disposition"] == (
        'attachment; filename="legato-writer-1-2026-01-05_2026-03-05.xlsx"'
    )
    workbook = load_workbook(io.BytesIO(workbook_response.get_data()))
    assert workbook.sheetnames == ["daily", "stories", "revenue"]
    stories = list(workbook["stories"].iter_rows(values_only=True))
    rows = get(client, f"/api/v1/writers/1/export?{ALL}&table=stories", keys["ada"]).get_json()
    assert set(stories[0]) == set(rows["rows"][0])  # JSON objects come back key-sorted
    assert [r[0] for r in stories[1:]] == [r["story_id"] for r in rows["rows"]] == [10, 11]
    one = get(client, f"/api/v1/writers/1/export?{ALL}&format=xlsx&table=revenue", keys["ada"])
    assert load_workbook(io.BytesIO(one.get_data())).sheetnames == ["revenue"]
    csv_default = get(client, f"/api/v1/writers/1/export?{ALL}&format=csv", keys["ada"])
    assert csv_default.headers["Content-Disposition"].endswith(
        'filename="legato-writer-1-stories-2026-01-05_2026-03-05.csv"'
    )
    lines = csv_default.get_data(as_text=True).splitlines()
    assert lines[1].startswith("10,Glass Orchard,fantasy,ongoing,1,4,15,")
    bad = get(client, f"/api/v1/writers/1/export?{ALL}&format=pdf", keys["ada"])
    assert bad.status_code == 400
    assert bad.get_json()["error"] == {
        "status": 400,
        "message": "'format' must be one of: json, csv, xlsx.",
        "parameter": "format",
    }
    assert get(client, "/api/v1/writers/2/export?format=xlsx", keys["ada"]).status_code == 403


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/writers/1/overview?start=1999-12-31&end=2000-01-05",
        "/api/v1/writers/1/overview?start=2026-01-01&end=3000-01-01",
        "/api/v1/writers/1/growth?as_of=0001-01-01",
        "/api/v1/stats/top-content?start=9999-12-30",
    ],
)
def test_dates_outside_the_supported_range_are_400(client, keys, path) -> None:
    response = get(client, path, keys["platform"])
    assert response.status_code == 400
    assert "between 2000-01-01 and 2999-12-31" in response.get_json()["error"]["message"]


def test_ids_beyond_64_bits_are_404(client, keys) -> None:
    for path in (
        f"/api/v1/writers/{2**63}/overview",
        f"/api/v1/stories/{2**70}/performance",
        f"/api/v1/readers/{2**64}/engagement",
    ):
        assert get(client, path, keys["platform"]).status_code == 404, path
    largest = get(client, f"/api/v1/stories/{2**63 - 1}/performance", keys["platform"])
    assert largest.status_code == 404


def test_segment_filter(client, keys) -> None:
    audience = get(client, f"/api/v1/writers/1/audience?{ALL}&device=ios", keys["ada"]).get_json()
    assert audience["segment_filter"] == {"device": ["ios"]}
    assert [(c["value"], c["readers"]) for c in audience["breakdowns"]["country"]] == [
        ("US", 2), ("GB", 1),
    ]  # fmt: skip
    assert audience["new_vs_returning"]["total"] == 3
    assert {row["readers"] for row in audience["weekly_cohorts"]} == {2, 1}
    engaged = get(
        client, f"/api/v1/writers/1/engagement?{ALL}&country=us,unknown", keys["ada"]
    ).get_json()
    assert engaged["segment_filter"] == {"country": ["US", "unknown"]}
    assert [r["reader_id"] for r in engaged["most_engaged"]] == [5, 1, 2, 6]
    assert sum(s["readers"] for s in engaged["segments"]) == 4
    repeated = get(
        client, f"/api/v1/writers/1/engagement?{ALL}&country=US&country=GB", keys["ada"]
    ).get_json()
    assert [r["reader_id"] for r in repeated["most_engaged"]] == [5, 1, 3, 2]
    platform = get(
        client, f"/api/v1/stats/most-engaged?{ALL}&age_band=18-24", keys["platform"]
    ).get_json()
    assert [r["reader_id"] for r in platform["most_engaged"]] == [1, 5]
    unfiltered = get(client, f"/api/v1/writers/1/audience?{ALL}&country=", keys["ada"]).get_json()
    assert unfiltered["segment_filter"] == {}
    assert unfiltered["new_vs_returning"]["total"] == 6


@pytest.mark.parametrize(
    ("path", "parameter", "message"),
    [
        ("/api/v1/writers/1/audience?device=tablet", "device", "device must be one of"),
        ("/api/v1/writers/1/engagement?country=USA", "country", "two-letter ISO 3166"),
        ("/api/v1/stats/most-engaged?age_band=18-25", "age_band", "age_band must be one of"),
        ("/api/v1/writers/1/overview?country=US", "country", "audience and engagement"),
        ("/api/v1/stories/10/insights?acquisition_source=ads", "acquisition_source", "only"),
    ],
)
def test_segment_filter_errors(client, keys, path, parameter, message) -> None:
    response = get(client, path, keys["ada"])
    assert response.status_code == 400
    error = response.get_json()["error"]
    assert error["parameter"] == parameter
    assert message in error["message"]
