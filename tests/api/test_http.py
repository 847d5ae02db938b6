"""API.md 2 and 5 at the HTTP level: routing, check order, request ids, CORS,
limits, HTTP/1.x features and hostile input."""
import json
import random
import socket
import time
from urllib.parse import urlparse

import httpx
import pytest

from apiutil import (ALLOWED_ORIGINS, REQUEST_ID_RE, RawConn, error_body, http_request,
                     plain_error, rand_uid, validation_error)


def allow_set(r):
    return {m.strip().upper() for m in r.headers.get("allow", "").split(",") if m.strip()}


# ------------------------------------------------------------------ routing

@pytest.mark.parametrize("path", [
    "/nope", "/api", "/api/", "/api/{u}", "/api/{u}/", "/api/{u}/task", "/api/{u}/tasks/",
    "/api/{u}/tasks/1/", "/api/{u}/tasks/1/complete/", "/api/{u}/tasks/1/2",
    "/api/{u}/tasks/1/completed", "/API/{u}/tasks", "/api/{u}/TASKS", "/health/", "/ready/",
    "/api//tasks", "/api/{u}/tasks//1", "/api/{u}/tasks/1//complete", "/healthz",
])
@pytest.mark.parametrize("with_token", [False, True])
def test_unknown_route_404(user, anon, path, with_token):
    c = user.http if with_token else anon
    plain_error(c.get(path.replace("{u}", user.uid)), 404, "NOT_FOUND")


def test_word_complete_is_an_id(user, anon):
    # /tasks/complete matches /tasks/{id}: a bad id (or no token), not an unknown route
    validation_error(user.http.get(user.path + "/complete"), "path.id")
    plain_error(anon.get(user.path + "/complete"), 401, "UNAUTHORIZED")


def test_trailing_slash_404_for_every_method(user):
    t = user.create(title="x")
    for m, p in (("GET", user.path + "/"), ("POST", user.path + "/"),
                 ("GET", user.task_path(t["id"]) + "/"), ("PUT", user.task_path(t["id"]) + "/"),
                 ("DELETE", user.task_path(t["id"]) + "/"),
                 ("PATCH", user.task_path(t["id"]) + "/complete/")):
        body = {"title": "y"} if m in ("POST", "PUT") else None
        plain_error(user.http.request(m, p, json=body), 404, "NOT_FOUND")
    assert user.get(t["id"]) == t


@pytest.mark.parametrize("method,path,allowed", [
    ("DELETE", "/api/{u}/tasks", {"GET", "POST"}),
    ("PUT", "/api/{u}/tasks", {"GET", "POST"}),
    ("PATCH", "/api/{u}/tasks", {"GET", "POST"}),
    ("POST", "/api/{u}/tasks/1", {"GET", "PUT", "PATCH", "DELETE"}),
    ("GET", "/api/{u}/tasks/1/complete", {"PATCH"}),
    ("POST", "/api/{u}/tasks/1/complete", {"PATCH"}),
    ("DELETE", "/api/{u}/tasks/1/complete", {"PATCH"}),
    ("POST", "/health", {"GET"}),
    ("DELETE", "/ready", {"GET"}),
])
@pytest.mark.parametrize("with_token", [False, True])
def test_405_with_allow(user, anon, method, path, allowed, with_token):
    c = user.http if with_token else anon
    r = c.request(method, path.replace("{u}", user.uid))
    plain_error(r, 405, "METHOD_NOT_ALLOWED")
    got = allow_set(r)
    assert allowed <= got, (got, allowed)
    assert method not in got
    assert got <= allowed | {"HEAD", "OPTIONS"}, got


def test_405_does_not_change_anything(user):
    t = user.create(title="x")
    r = user.http.post(user.task_path(t["id"]), json={"title": "y"})
    assert r.status_code == 405
    assert user.get(t["id"]) == t


# ------------------------------------------------------------------ check order

BIG = b'{"title": "' + b"x" * 70000 + b'"}'


def test_order_404_before_413_and_401(anon):
    r = anon.post(f"/api/{rand_uid()}/nothing", content=BIG,
                  headers={"Content-Type": "application/json"})
    plain_error(r, 404, "NOT_FOUND")


def test_order_405_before_413_and_401(anon):
    r = anon.put(f"/api/{rand_uid()}/tasks", content=BIG,
                 headers={"Content-Type": "application/json"})
    plain_error(r, 405, "METHOD_NOT_ALLOWED")


def test_order_413_before_401(anon, client):
    uid = rand_uid()
    plain_error(anon.post(f"/api/{uid}/tasks", content=BIG,
                          headers={"Content-Type": "application/json"}), 413,
                "PAYLOAD_TOO_LARGE")
    bad = client(token="garbage")
    plain_error(bad.put(f"/api/{uid}/tasks/1", content=BIG,
                        headers={"Content-Type": "text/plain"}), 413, "PAYLOAD_TOO_LARGE")


def test_order_413_before_403_415_and_404(user):
    other = rand_uid()
    plain_error(user.http.post(f"/api/{other}/tasks", content=BIG,
                               headers={"Content-Type": "application/json"}), 413,
                "PAYLOAD_TOO_LARGE")
    plain_error(user.http.post(user.path, content=BIG, headers={"Content-Type": "text/plain"}),
                413, "PAYLOAD_TOO_LARGE")
    plain_error(user.http.patch(user.task_path(9999999999), content=BIG,
                                headers={"Content-Type": "application/json"}), 413,
                "PAYLOAD_TOO_LARGE")


def test_order_401_before_403(client, mint):
    uid = rand_uid()
    expired = mint(uid, iat=int(time.time()) - 7200, exp=int(time.time()) - 3600)
    r = client(token=expired).get(f"/api/{rand_uid()}/tasks")
    plain_error(r, 401, "UNAUTHORIZED")


def test_order_401_before_400_and_415(anon):
    uid = rand_uid()
    plain_error(anon.get(f"/api/{uid}/tasks/abc"), 401, "UNAUTHORIZED")
    plain_error(anon.get(f"/api/{uid}/tasks", params={"limit": "0"}), 401, "UNAUTHORIZED")
    plain_error(anon.post(f"/api/{uid}/tasks", content=b"{bad",
                          headers={"Content-Type": "application/json"}), 401, "UNAUTHORIZED")
    plain_error(anon.post(f"/api/{uid}/tasks", content=b"{}",
                          headers={"Content-Type": "text/plain"}), 401, "UNAUTHORIZED")


def test_order_403_before_415_400(user):
    other = rand_uid()
    c = user.http
    for r in (c.post(f"/api/{other}/tasks", content=b"{}", headers={"Content-Type": "text/plain"}),
              c.post(f"/api/{other}/tasks", content=b"{bad",
                     headers={"Content-Type": "application/json"}),
              c.post(f"/api/{other}/tasks", json={"title": ""}),
              c.get(f"/api/{other}/tasks/abc"),
              c.get(f"/api/{other}/tasks", params={"limit": "0"}),
              c.patch(f"/api/{other}/tasks/1", json={"due_time": "09:00"})):
        plain_error(r, 403, "FORBIDDEN")


def test_order_415_before_400(user):
    r = user.http.post(user.path, content=b"{bad json", headers={"Content-Type": "text/plain"})
    error_body(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    r = user.http.patch(user.task_path("abc"), content=b"{}", headers={"Content-Type": "text/plain"})
    assert r.status_code in (415, 400)  # both in the same step; never 404 or 2xx


def test_order_400_before_404_task(user):
    missing = user.task_path(9999999999)
    error_body(user.http.put(missing, content=b"{bad", headers={"Content-Type": "application/json"}),
               400, "INVALID_JSON")
    validation_error(user.http.put(missing, json={"title": ""}), "title")
    validation_error(user.http.patch(missing, json={"priority": "urgent"}), "priority")
    validation_error(user.http.patch(missing + "/complete", json={"completed": "yes"}), "completed")
    error_body(user.http.patch(missing, content=b"{}", headers={"Content-Type": "text/plain"}),
               415, "UNSUPPORTED_MEDIA_TYPE")


def test_order_404_task_before_422(user):
    missing = user.task_path(9999999999)
    plain_error(user.http.put(missing, json={"title": "x", "due_time": "10:00"}), 404, "NOT_FOUND")
    plain_error(user.http.patch(missing, json={"recurrence_day": 3}), 404, "NOT_FOUND")


# ------------------------------------------------------------------ X-Request-ID

@pytest.mark.parametrize("rid", ["abc-123", "A.b:c_d-9", "x" * 128, "0", "req:2025-12-10T10:05"])
def test_request_id_echoed(anon, user, rid):
    for r in (anon.get("/health", headers={"X-Request-ID": rid}),
              anon.get("/nope", headers={"X-Request-ID": rid}),
              anon.get(user.path, headers={"X-Request-ID": rid}),
              user.http.get(user.path, headers={"X-Request-ID": rid}),
              user.http.post(user.path, json={"title": ""}, headers={"X-Request-ID": rid}),
              anon.delete("/health", headers={"X-Request-ID": rid})):
        assert r.headers.get("x-request-id") == rid, (r.request.url, dict(r.headers))


@pytest.mark.parametrize("rid", ["x" * 129, "has space", "a/b", "a,b", "semi;colon", "tab\there",
                                 "quote\"", b"caf\xc3\xa9", "a\\b", "#hash", "x?y"])
def test_bad_request_id_replaced(anon, rid):
    r = anon.get("/health", headers={"X-Request-ID": rid})
    got = r.headers.get("x-request-id")
    sent = rid.decode("latin-1") if isinstance(rid, bytes) else rid
    assert got and got != sent, got
    assert REQUEST_ID_RE.match(got), got


def test_every_kind_of_response_has_request_id(user, anon):
    t = user.create(title="x")
    h = {"Content-Type": "application/json"}
    for r in (user.http.post(user.path, json={"title": "y"}),                      # 201
              user.http.delete(user.task_path(t["id"])),                           # 204
              user.http.post(user.path, content=b"{}", headers={"Content-Type": "text/plain"}),
              user.http.post(user.path, content=b"{x", headers=h),                 # 400
              user.http.post(user.path, json={"title": "x", "due_time": "10:00"}),  # 422
              user.http.get(f"/api/{rand_uid()}/tasks"),                           # 403
              anon.get(user.path),                                                 # 401
              anon.get("/nope"),                                                   # 404
              anon.delete("/health"),                                              # 405
              user.http.post(user.path, content=BIG, headers=h),                   # 413
              anon.get("/health", headers={"X-Pad": "a" * 17000}),                 # 431
              anon.options(user.path, headers={"Origin": ALLOWED_ORIGINS[0],
                                               "Access-Control-Request-Method": "GET"})):
        rid = r.headers.get("x-request-id")
        assert rid and REQUEST_ID_RE.match(rid), (r.status_code, r.request.url, dict(r.headers))


def test_empty_request_id_replaced(anon):
    r = anon.get("/health", headers={"X-Request-ID": ""})
    assert REQUEST_ID_RE.match(r.headers.get("x-request-id", "")), dict(r.headers)


def test_request_id_generated_and_unique(anon, user):
    seen = set()
    for r in (anon.get("/health"), anon.get("/health"), anon.get("/nope"),
              user.http.get(user.path), anon.get(user.path),
              user.http.post(user.path, json={"title": "x"})):
        rid = r.headers.get("x-request-id")
        assert rid and REQUEST_ID_RE.match(rid), dict(r.headers)
        seen.add(rid)
    assert len(seen) == 6


# ------------------------------------------------------------------ CORS

def cors_headers(r):
    return {k.lower(): v for k, v in r.headers.items() if k.lower().startswith("access-control-")}


def token_list(v):
    return {x.strip().lower() for x in (v or "").split(",") if x.strip()}


@pytest.mark.parametrize("origin", ALLOWED_ORIGINS)
def test_cors_allowed_origin_on_success_and_errors(user, anon, origin):
    h = {"Origin": origin}
    t = user.create(title="x")
    for r in (user.http.get(user.path, headers=h),
              user.http.post(user.path, json={"title": "c"}, headers=h),
              user.http.get(user.task_path(t["id"]), headers=h),
              user.http.post(user.path, json={"title": ""}, headers=h),
              user.http.get(user.task_path(99999999), headers=h),
              anon.get(user.path, headers=h),
              anon.get("/nope", headers=h),
              anon.delete("/health", headers=h),
              user.http.post(user.path, content=b"{}", headers={**h, "Content-Type": "text/plain"}),
              user.http.get(f"/api/{rand_uid()}/tasks", headers=h),
              anon.get("/health", headers=h)):
        assert r.headers.get("access-control-allow-origin") == origin, \
            (r.status_code, r.request.url, dict(r.headers))
        exposed = token_list(r.headers.get("access-control-expose-headers"))
        assert {"x-total-count", "x-request-id", "location"} <= exposed, (r.status_code, exposed)


def test_cors_on_413(user):
    r = user.http.post(user.path, content=BIG, headers={"Origin": ALLOWED_ORIGINS[0],
                                                        "Content-Type": "application/json"})
    assert r.status_code == 413
    assert r.headers.get("access-control-allow-origin") == ALLOWED_ORIGINS[0]


@pytest.mark.parametrize("origin", ["https://evil.example", "http://localhost:3001",
                                    "http://localhost:3000.evil.example", "null",
                                    "https://app.example.test.evil", "http://localhost"])
def test_cors_other_origins_get_nothing(user, anon, origin):
    for r in (user.http.get(user.path, headers={"Origin": origin}),
              anon.get(user.path, headers={"Origin": origin}),
              anon.get("/health", headers={"Origin": origin}),
              anon.options(user.path, headers={"Origin": origin,
                                               "Access-Control-Request-Method": "POST"})):
        assert cors_headers(r) == {}, (r.request.method, dict(r.headers))


def test_no_origin_no_cors_headers(user):
    r = user.http.get(user.path)
    assert "access-control-allow-origin" not in r.headers


@pytest.mark.parametrize("path,method", [("/api/{u}/tasks", "POST"), ("/api/{u}/tasks", "GET"),
                                         ("/api/{u}/tasks/5", "PUT"),
                                         ("/api/{u}/tasks/5", "DELETE"),
                                         ("/api/{u}/tasks/5/complete", "PATCH")])
def test_cors_preflight(anon, path, method):
    origin = ALLOWED_ORIGINS[1]
    r = anon.options(path.replace("{u}", rand_uid()), headers={
        "Origin": origin, "Access-Control-Request-Method": method,
        "Access-Control-Request-Headers": "authorization, content-type, x-request-id"})
    assert r.status_code in (200, 204), (r.status_code, r.text)
    assert r.headers.get("access-control-allow-origin") == origin
    methods = {m.upper() for m in token_list(r.headers.get("access-control-allow-methods"))}
    assert {"GET", "POST", "PUT", "PATCH", "DELETE"} <= methods, methods
    allowed = token_list(r.headers.get("access-control-allow-headers"))
    assert {"authorization", "content-type", "x-request-id"} <= allowed, allowed


# ------------------------------------------------------------------ body size (default 65536)

def padded_body(total: int) -> bytes:
    core = b'{"title": "padded", "description": "' + b"d" * 500 + b'"}'
    assert total >= len(core)
    return core + b" " * (total - len(core))


def test_body_at_limit_accepted_and_over_limit_413(user):
    r = user.http.post(user.path, content=padded_body(65536),
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    r = user.http.post(user.path, content=padded_body(65537),
                       headers={"Content-Type": "application/json"})
    plain_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert len(user.list()) == 1


def _chunks(data: bytes, size: int = 4096):
    for i in range(0, len(data), size):
        yield data[i:i + size]


def test_chunked_body(user):
    r = user.http.post(user.path, content=_chunks(b'{"title": "chunky"}', 5),
                       headers={"Content-Type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "chunky"
    r = user.http.post(user.path, content=_chunks(padded_body(65536)),
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text


def test_chunked_body_over_limit_413(user):
    r = user.http.post(user.path, content=_chunks(padded_body(65537)),
                       headers={"Content-Type": "application/json"})
    assert r.request.headers.get("transfer-encoding") == "chunked"
    plain_error(r, 413, "PAYLOAD_TOO_LARGE")
    r = user.http.post(user.path, content=_chunks(b"x" * 300000),
                       headers={"Content-Type": "application/json"})
    plain_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert user.list() == []


def test_413_on_put_and_patch(user):
    t = user.create(title="x")
    for m in ("PUT", "PATCH"):
        r = user.http.request(m, user.task_path(t["id"]), content=padded_body(65537),
                              headers={"Content-Type": "application/json"})
        plain_error(r, 413, "PAYLOAD_TOO_LARGE")
    assert user.get(t["id"]) == t


# ------------------------------------------------------------------ header size

def test_headers_over_16k_431(anon):
    r = anon.get("/health", headers={"X-Pad": "a" * 17000})
    plain_error(r, 431, "HEADERS_TOO_LARGE")


def test_many_headers_over_16k_431(anon):
    r = anon.get("/health", headers={f"X-Pad-{i}": "b" * 1000 for i in range(20)})
    plain_error(r, 431, "HEADERS_TOO_LARGE")


def test_headers_under_16k_ok(anon, user):
    r = anon.get("/health", headers={f"X-Pad-{i}": "c" * 1000 for i in range(12)})
    assert r.status_code == 200
    r = user.http.get(user.path, headers={"X-Pad": "d" * 12000})
    assert r.status_code == 200


# ------------------------------------------------------------------ HTTP/1.0, keep-alive, pipelining

def host_of(base_url):
    u = urlparse(base_url)
    return f"{u.hostname}:{u.port}"


def test_http10(base_url, user):
    c = RawConn(base_url)
    try:
        c.send(b"GET /health HTTP/1.0\r\n\r\n")
        st, h, body, ver = c.read_response()
        assert st == 200 and json.loads(body) == {"status": "ok"}
        assert ver.startswith("HTTP/1.")
        assert c.closed_by_peer(5.0), "HTTP/1.0 without keep-alive must be closed"
    finally:
        c.close()
    c = RawConn(base_url)
    try:
        body = b'{"title": "from 1.0"}'
        c.send(http_request("POST", user.path, host_of(base_url), version="HTTP/1.0", headers={
            "Authorization": f"Bearer {user.token}", "Content-Type": "application/json"},
            body=body))
        st, h, resp, _ = c.read_response()
        assert st == 201, resp
        assert json.loads(resp)["title"] == "from 1.0"
    finally:
        c.close()


def test_keep_alive_raw(base_url, user):
    c = RawConn(base_url)
    host = host_of(base_url)
    try:
        for i in range(5):
            c.send(http_request("GET", "/health", host, {"X-Request-ID": f"ka-{i}"}))
            st, h, body, _ = c.read_response()
            assert st == 200 and h.get("x-request-id") == f"ka-{i}"
            assert "close" not in h.get("connection", "").lower()
        c.send(http_request("GET", user.path, host, {"Authorization": f"Bearer {user.token}"}))
        assert c.read_response()[0] == 200
        # an error answer does not end the connection either
        c.send(http_request("GET", "/nope", host))
        assert c.read_response()[0] == 404
        c.send(http_request("GET", "/health", host))
        assert c.read_response()[0] == 200
        c.send(http_request("GET", "/health", host, {"Connection": "close"}))
        assert c.read_response()[0] == 200
        assert c.closed_by_peer(5.0)
    finally:
        c.close()


def test_keep_alive_httpx(user):
    # one client, many requests; httpx reuses the connection
    for i in range(20):
        r = user.http.post(user.path, json={"title": f"k{i}"})
        assert r.status_code == 201
    assert len(user.list()) == 20


def test_pipelining(base_url, user):
    host = host_of(base_url)
    auth = {"Authorization": f"Bearer {user.token}"}
    reqs = (http_request("GET", "/health", host, {"X-Request-ID": "pipe-1"})
            + http_request("POST", user.path, host, {**auth, "Content-Type": "application/json",
                                                     "X-Request-ID": "pipe-2"},
                           body=b'{"title": "piped"}')
            + http_request("GET", user.path, host, {**auth, "X-Request-ID": "pipe-3"})
            + http_request("GET", "/nope", host, {"X-Request-ID": "pipe-4"}))
    c = RawConn(base_url)
    try:
        c.send(reqs)
        got = [c.read_response() for _ in range(4)]
    finally:
        c.close()
    assert [g[0] for g in got] == [200, 201, 200, 404]
    assert [g[1].get("x-request-id") for g in got] == ["pipe-1", "pipe-2", "pipe-3", "pipe-4"]
    assert [t["title"] for t in json.loads(got[2][2])] == ["piped"]


def test_many_pipelined_requests(base_url):
    host = host_of(base_url)
    n = 60
    data = b"".join(http_request("GET", "/health" if i % 3 else "/nope", host,
                                 {"X-Request-ID": f"pp-{i}"}) for i in range(n))
    c = RawConn(base_url)
    try:
        c.send(data)
        got = [c.read_response() for _ in range(n)]
    finally:
        c.close()
    assert [g[1].get("x-request-id") for g in got] == [f"pp-{i}" for i in range(n)]
    assert [g[0] for g in got] == [200 if i % 3 else 404 for i in range(n)]


def test_expect_100_continue(base_url, user):
    host = host_of(base_url)
    body = b'{"title": "expected"}'
    c = RawConn(base_url)
    try:
        c.send(http_request("POST", user.path, host, {
            "Authorization": f"Bearer {user.token}", "Content-Type": "application/json",
            "Content-Length": str(len(body)), "Expect": "100-continue"}))
        c.sock.settimeout(3.0)
        st, _, _, _ = c.read_response()
        assert st == 100, f"expected 100 Continue before the body, got {st}"
        c.send(body)
        st, h, resp, _ = c.read_response()
        assert st == 201, resp
        assert json.loads(resp)["title"] == "expected"
    finally:
        c.close()


def test_expect_100_continue_rejected_early(base_url, user):
    host = host_of(base_url)
    # no token: the answer is 401, with or without reading the body
    for headers, want in (({"Content-Type": "application/json"}, 401),
                          ({"Authorization": f"Bearer {user.token}",
                            "Content-Type": "application/json"}, 413)):
        c = RawConn(base_url)
        try:
            size = 100000 if want == 413 else 20
            c.send(http_request("POST", user.path, host, {
                **headers, "Content-Length": str(size), "Expect": "100-continue"}))
            c.sock.settimeout(3.0)
            st, h, resp, _ = c.read_response()
            if st == 100:
                c.send(b"{" + b" " * (size - 2) + b"}")
                st, h, resp, _ = c.read_response()
            assert st == want, (st, resp)
        finally:
            c.close()
    assert user.list() == []


# ------------------------------------------------------------------ hostile input

def _garbage_cases():
    rnd = random.Random(20251210)
    host = b"Host: x\r\n"
    return {
        "random_bytes": bytes(rnd.getrandbits(8) for _ in range(4096)),
        "nul_bytes": b"\x00" * 512,
        "bad_request_line": b"GARBAGE\r\n\r\n",
        "no_path": b"GET\r\n\r\n",
        "bad_version": b"GET /health HTTP/9.9\r\n" + host + b"\r\n",
        "header_without_colon": b"GET /health HTTP/1.1\r\n" + host + b"NoColonHere\r\n\r\n",
        "bad_content_length": b"POST /api/u/tasks HTTP/1.1\r\n" + host
        + b"Content-Length: abc\r\n\r\n",
        "negative_content_length": b"POST /api/u/tasks HTTP/1.1\r\n" + host
        + b"Content-Length: -5\r\n\r\n",
        "double_content_length": b"POST /api/u/tasks HTTP/1.1\r\n" + host
        + b"Content-Length: 5\r\nContent-Length: 7\r\n\r\n{}{}{}{",
        "bad_chunk": b"POST /api/u/tasks HTTP/1.1\r\n" + host
        + b"Transfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n{}\r\n0\r\n\r\n",
        "huge_chunk": b"POST /api/u/tasks HTTP/1.1\r\n" + host
        + b"Transfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFF\r\nabc",
        "huge_header_line": b"GET /health HTTP/1.1\r\n" + host + b"X-Big: " + b"a" * 100000
        + b"\r\n\r\n",
        "long_url": b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n" + host + b"\r\n",
        "many_headers": b"GET /health HTTP/1.1\r\n" + host
        + b"".join(b"X-H%d: v\r\n" % i for i in range(2000)) + b"\r\n",
        "lf_only": b"GET /health HTTP/1.1\n" + b"Host: x\n\n",
        "binary_in_path": b"GET /he\x00alth HTTP/1.1\r\n" + host + b"\r\n",
        "percent_nul": b"GET /api/%00/tasks HTTP/1.1\r\n" + host + b"\r\n",
        "bad_percent": b"GET /api/%zz/tasks/%G1 HTTP/1.1\r\n" + host + b"\r\n",
        "utf8_path": "GET /api/caf\u00e9/tasks HTTP/1.1\r\n".encode() + host + b"\r\n",
        "absolute_uri": b"GET http://x/health HTTP/1.1\r\n" + host + b"\r\n",
        "connect": b"CONNECT x:443 HTTP/1.1\r\n" + host + b"\r\n",
        "unknown_method": b"BREW /health HTTP/1.1\r\n" + host + b"\r\n",
    }


GARBAGE = _garbage_cases()


@pytest.mark.parametrize("name", sorted(GARBAGE))
def test_garbage_gets_error_or_close(base_url, check_alive, name):
    c = RawConn(base_url)
    try:
        try:
            c.send(GARBAGE[name])
        except OSError:
            return  # reset while sending: closed, which is allowed
        out = c.drain(3.0)
    finally:
        c.close()
    if out:
        first = out.split(b"\r\n", 1)[0]
        assert first.startswith(b"HTTP/1."), out[:200]
        status = int(first.split()[1])
        if name == "lf_only":
            assert status in (200, 400), out[:300]
        elif name == "bad_version":
            assert status in (200, 400, 505), out[:300]
        elif name == "absolute_uri":
            assert status in (200, 400, 404), out[:300]
        else:
            assert 400 <= status < 600, out[:300]
        assert status != 500, out[:300]


@pytest.mark.parametrize("partial", [
    b"GET /health HTTP/1.1\r\nHost: x\r\n",
    b"GET /hea",
    b"POST /api/u/tasks HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
    b"Content-Length: 100\r\n\r\n{\"title\":",
    b"POST /api/u/tasks HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n5\r\n{\"ti",
])
def test_truncated_request_then_close(base_url, check_alive, partial):
    c = RawConn(base_url)
    try:
        c.send(partial)
        time.sleep(0.05)
    finally:
        c.close()


def test_half_closed_truncated_request(base_url, check_alive):
    c = RawConn(base_url)
    try:
        c.send(b"GET /health HTTP/1.1\r\nHost: x\r\n")
        c.sock.shutdown(socket.SHUT_WR)
        out = c.drain(5.0)
        assert out == b"" or out.startswith(b"HTTP/1.1 4"), out[:200]
    finally:
        c.close()


def test_slow_clients_do_not_hold_workers(base_url, check_alive):
    held = []
    try:
        for i in range(40):
            c = RawConn(base_url)
            if i % 2:
                c.send(b"GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: ")
            else:
                c.send(b"POST /api/u/tasks HTTP/1.1\r\nHost: x\r\nContent-Length: 1000\r\n"
                       b"Content-Type: application/json\r\n\r\n{")
            held.append(c)
        t0 = time.monotonic()
        for _ in range(5):
            r = httpx.get(base_url + "/health", timeout=5.0, verify=False)
            assert r.status_code == 200
        assert time.monotonic() - t0 < 5.0
    finally:
        for c in held:
            c.close()


# ------------------------------------------------------------------ JSON fuzz

def post_raw(user, raw):
    return user.http.post(user.path, content=raw, headers={"Content-Type": "application/json"})


ACCEPTABLE_JSON = {b'{"title": "x"' + b" " * 60000 + b"}", b"\xef\xbb\xbf{\"title\": \"bom\"}"}


@pytest.mark.parametrize("raw", [
    b"[" * 30000 + b"]" * 30000,
    b'{"title": ' + b"[" * 30000 + b"]" * 30000 + b"}",
    b'{"title": "x", "bogus": ' + b'{"a":' * 10000 + b"1" + b"}" * 10000 + b"}",
    b"[" * 60000,
    b'{"title": 1e999999}',
    b'{"title": -0.0e-99999}',
    b'{"title": "x", "recurrence_day": 123456789012345678901234567890}',
    b'{"title": "\\ud800"}',
    b'{"title": "\\udc00x"}',
    b'{"title": "a\\ud800\\u0041"}',
    b'{"title": "\\uZZZZ"}',
    b'{"title": "\\u12"}',
    b'{"title": "\\x41"}',
    b'{"title": "x"' + b" " * 60000 + b"}",
    b'{"' + b"k" * 60000 + b'": 1}',
    b"\xef\xbb\xbf{\"title\": \"bom\"}",
])
def test_hostile_json_never_crashes(user, check_alive, raw):
    r = post_raw(user, raw)
    assert r.status_code in (201, 400), (r.status_code, r.text[:300])
    if r.status_code == 201:
        assert raw in ACCEPTABLE_JSON, r.text[:300]
    else:
        assert r.json()["code"] in ("INVALID_JSON", "VALIDATION_ERROR"), r.text[:300]


@pytest.mark.parametrize("raw", [b'{"title": "\\ud800"}', b'{"title": "\\udc00x"}',
                                 b'{"title": "a\\ud800\\u0041"}'])
def test_lone_surrogates_rejected(user, raw):
    r = post_raw(user, raw)
    assert r.status_code == 400, r.text
    assert user.list() == []


def test_deep_nesting_beyond_body_limit(user, check_alive):
    r = post_raw(user, b"[" * 100000 + b"]" * 100000)
    plain_error(r, 413, "PAYLOAD_TOO_LARGE")


def test_duplicate_keys(user):
    r = post_raw(user, b'{"title": "first", "title": "second"}')
    assert r.status_code in (201, 400), r.text
    if r.status_code == 201:
        assert r.json()["title"] in ("first", "second")


def test_many_unknown_keys_all_reported(user):
    body = {f"k{i}": i for i in range(200)}
    r = user.http.post(user.path, json=body)
    b = error_body(r, 400, "VALIDATION_ERROR")
    fields = [e["field"] for e in b["errors"]]
    assert set(fields) == {f"k{i}" for i in range(200)} | {"title"}, len(fields)


def test_huge_title_string(user):
    validation_error(user.http.post(user.path, json={"title": "t" * 60000}), "title", "too_long")


def test_concurrent_mixed_writes_of_many_users(base_url, secret):
    import threading
    from apiutil import User
    problems = []

    def worker():
        u = User(base_url, secret)
        try:
            for i in range(12):
                r = u.http.post(u.path, json={"title": f"c{i}", "recurrence_pattern": "daily"})
                if r.status_code != 201:
                    problems.append(("create", r.status_code, r.text))
                    continue
                tid = r.json()["id"]
                for resp, want in ((u.patch(tid, {"priority": "high"}), 200),
                                   (u.complete(tid), 200),
                                   (u.http.get(u.path), 200),
                                   (u.http.delete(u.task_path(tid)), 204)):
                    if resp.status_code != want:
                        problems.append((resp.request.method, resp.status_code, resp.text))
            left = u.list()
            if len(left) != 12 or any(t["completed"] for t in left):
                problems.append(("successors", len(left)))
        finally:
            u.close()
    ths = [threading.Thread(target=worker) for _ in range(6)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(120)
    assert problems == []


def test_concurrent_clients(base_url, user):
    import threading
    errors = []

    def worker(n):
        with httpx.Client(base_url=base_url, timeout=20.0, verify=False,
                          headers={"Authorization": f"Bearer {user.token}"}) as c:
            for i in range(10):
                r = c.post(user.path, json={"title": f"w{n}-{i}"})
                if r.status_code != 201:
                    errors.append(r.text)
    ths = [threading.Thread(target=worker, args=(n,)) for n in range(8)]
    for t in ths:
        t.start()
    for t in ths:
        t.join(60)
    assert errors == []
    listed = user.list()
    assert len(listed) == 80
    assert len({t["id"] for t in listed}) == 80
