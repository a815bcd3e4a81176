from tests.conftest import OPERATOR
from tests.factories import add_post, observation
import json

def test_probe(db, users, client):
    with db.writing() as s:
        add_post(s, OPERATOR)
    h = users["monitor"].headers
    def show(label, r):
        print(label, r.status_code, r.headers.get("content-type"), r.text[:300])
    show("malformed", client.post("/api/v1/observations", content=b'{"client_id": ', headers={**h, "content-type": "application/json"}))
    show("wrongtype", client.post("/api/v1/observations", json=observation(count="many"), headers=h))
    show("lat95", client.post("/api/v1/observations", json=observation(location={"lat":95,"lon":46}), headers=h))
    show("future", client.post("/api/v1/observations", json=observation(observed_at="2099-01-01T00:00:00Z"), headers=h))
    show("naive", client.post("/api/v1/observations", json=observation(observed_at="2020-11-12T14:05:00"), headers=h))
    show("extra", client.post("/api/v1/observations", json=observation(colour="red"), headers=h))
    show("bearing360", client.post("/api/v1/observations", json=observation(bearing={"deg":360}), headers=h))
    show("distnobearing", client.post("/api/v1/observations", json=observation(bearing=None, location=None), headers=h))
    b = observation(); del b["bearing"]
    show("distnobearing2", client.post("/api/v1/observations", json=b, headers=h))
    show("ctype", client.post("/api/v1/observations", content=json.dumps(observation()), headers={**h, "content-type": "text/plain"}))
    show("ctype-form", client.post("/api/v1/observations", data={"a": "b"}, headers=h))
    show("bbox", client.get("/api/v1/observations?bbox=47,40,46,39", headers=h))
    show("cursor", client.get("/api/v1/observations?cursor=!!!notacursor", headers=h))
    show("cursor2", client.get("/api/v1/observations?cursor=YWJj", headers=h))
    show("pathid", client.get("/api/v1/observations/abc", headers=h))
    show("batchextra", client.post("/api/v1/observations/batch", json={"observations": [], "x": 1}, headers=h))
    show("batchnotlist", client.post("/api/v1/observations/batch", json={"observations": {}}, headers=h))
    show("emptybody", client.post("/api/v1/observations", headers=h))
    def gen():
        for _ in range(20):
            yield b"x" * (1024*1024)
    show("chunked", client.post("/api/v1/observations", content=gen(), headers={**h, "content-type": "application/json"}))
    show("big", client.post("/api/v1/observations", content=b"x"*(50*1024*1024), headers={**h, "content-type": "application/json"}))
    show("badlen", client.post("/api/v1/observations", content=b"{}", headers={**h, "content-type": "application/json", "content-length": "abc"}))
