"""Zones, places and posts: the API, the CLI imports, and the data the demo ships."""

from __future__ import annotations

from tests.factories import SQUARE


def test_zone_create_list_get(db, users, client) -> None:
    admin = users["admin"].headers
    body = {
        "code": "aghdam",
        "kind": "withdrawal_zone",
        "names": {"en": "Aghdam district", "az": "Ağdam rayonu", "hy": "Ակնայի շրջան"},
        "geometry": SQUARE,
    }
    made = client.post("/api/v1/zones", json=body, headers=admin)
    assert made.status_code == 201, made.text
    assert made.json()["bbox"] == [46.5, 39.5, 47.0, 40.0]
    again = client.post("/api/v1/zones", json=body, headers=admin)
    assert again.status_code == 409 and again.json()["code"] == "already_exists"
    analyst = users["analyst"].headers
    assert [z["code"] for z in client.get("/api/v1/zones", headers=analyst).json()] == ["aghdam"]
    got = client.get("/api/v1/zones/aghdam", headers=analyst).json()
    assert got["names"]["hy"] == "Ակնայի շրջան"
    assert client.get("/api/v1/zones/nowhere", headers=analyst).status_code == 404


def test_place_keeps_every_spelling(db, users, client) -> None:
    body = {
        "code": "khankendi",
        "names": {"az": "Xankəndi", "hy": "Ստեփանակերտ", "en": "Khankendi / Stepanakert"},
        "aliases": ["Stepanakert", "Khankendi"],
        "lat": 39.8153,
        "lon": 46.7519,
    }
    made = client.post("/api/v1/places", json=body, headers=users["admin"].headers)
    assert made.status_code == 201, made.text
    got = client.get("/api/v1/places/khankendi", headers=users["monitor"].headers).json()
    assert got["names"] == body["names"] and got["aliases"] == body["aliases"]


def test_post_create(db, users, client) -> None:
    body = {
        "code": "OP-01",
        "name": "Hill 512",
        "kind": "acoustic_sensor",
        "lat": 39.9,
        "lon": 46.8,
        "range_m": 20000,
    }
    made = client.post("/api/v1/posts", json=body, headers=users["admin"].headers)
    assert made.status_code == 201 and made.json()["active"] is True
    denied = client.post(
        "/api/v1/posts", json={**body, "code": "OP-02"}, headers=users["analyst"].headers
    )
    assert denied.status_code == 403
