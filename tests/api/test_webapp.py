"""API.md 8: the web app served at / and /app/: its headers (caching,
compression, the exact Content-Security-Policy, nosniff, no referrer), HEAD,
404 for unknown files, WEB_APP=false, and the 50 KB gzip budget. What the
app does in a browser is tested by tests/e2e (Chromium)."""
from __future__ import annotations

import gzip
import re

import httpx
import pytest

from apiutil import RawConn

CSP = ("default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
       "connect-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")
IMMUTABLE = "public, max-age=31536000, immutable"
HASHED = re.compile(r'(?:href|src)="app/([A-Za-z0-9_-]+\.[0-9a-f]{10}\.(?:js|css|svg))"')
IMPORT = re.compile(r"""from\s*['"]\./([A-Za-z0-9_.-]+\.js)['"]""")


def page_headers_ok(r: httpx.Response) -> None:
    assert r.headers["content-security-policy"] == CSP
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["referrer-policy"] == "no-referrer"


def plain(client: httpx.Client, path: str, **headers) -> httpx.Response:
    """GET without decoding: what went over the wire (identity unless asked)."""
    h = {"Accept-Encoding": "identity", **headers}
    return client.get(path, headers=h)


def files_of(anon) -> list[str]:
    html = plain(anon, "/").text
    return sorted(set(HASHED.findall(html)))


def test_index_is_the_app(anon):
    r = plain(anon, "/")
    assert r.status_code == 200
    assert r.headers["content-type"] == "text/html; charset=utf-8"
    assert r.headers["cache-control"] == "no-cache"
    assert "accept-encoding" in r.headers["vary"].lower()
    assert "content-encoding" not in r.headers
    page_headers_ok(r)
    html = r.text
    assert html.startswith("<!DOCTYPE html>")
    assert '<script type="module" src="app/main.' in html
    # No inline script or style (the CSP would block them anyway).
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), "inline <script>"
    assert "<style" not in html and " style=" not in html
    # Nothing from another origin.
    assert not re.search(r'(?:href|src)="(?:https?:)?//', html)


def test_every_file_the_page_names_is_served_with_a_year_of_caching(anon):
    names = files_of(anon)
    assert any(n.endswith(".css") for n in names) and any(n.endswith(".js") for n in names)
    types = {"js": "text/javascript", "css": "text/css", "svg": "image/svg+xml"}
    seen, imported = set(), set()
    todo = list(names)
    while todo:  # the modules the page names, and the ones they import
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        r = plain(anon, f"/app/{name}")
        assert r.status_code == 200, name
        assert r.headers["cache-control"] == IMMUTABLE, name
        assert r.headers["content-type"].startswith(types[name.rsplit(".", 1)[1]]), name
        page_headers_ok(r)
        if name.endswith(".js"):
            for dep in IMPORT.findall(r.text):
                assert re.match(r"^[A-Za-z0-9_-]+\.[0-9a-f]{10}\.js$", dep), (name, dep)
                todo.append(dep)
                imported.add(dep)
    assert len(imported) >= 3, imported  # the modules import each other by hashed names


@pytest.mark.parametrize("accept", ["gzip", "gzip, deflate, br", "br;q=1.0, gzip;q=0.8", "*",
                                    "GZIP"])
def test_gzip_when_the_client_accepts_it(anon, accept):
    for path in ["/"] + [f"/app/{n}" for n in files_of(anon)]:
        ident = plain(anon, path)
        with anon.stream("GET", path, headers={"Accept-Encoding": accept}) as r:
            raw = b"".join(r.iter_raw())
        assert r.status_code == 200
        assert r.headers["content-encoding"] == "gzip", (path, accept)
        assert "accept-encoding" in r.headers["vary"].lower()
        assert int(r.headers["content-length"]) == len(raw) < len(ident.content) + 64
        assert gzip.decompress(raw) == ident.content, path
        page_headers_ok(r)


@pytest.mark.parametrize("accept", ["identity", "gzip;q=0", "br", "deflate, *;q=0", "", None])
def test_no_gzip_otherwise(base_url, accept):
    headers = {} if accept is None else {"Accept-Encoding": accept}
    conn = RawConn(base_url)
    try:
        head = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        conn.send(f"GET / HTTP/1.1\r\nHost: x\r\n{head}\r\n".encode())
        status, h, body, _ = conn.read_response()
    finally:
        conn.close()
    assert status == 200
    assert "content-encoding" not in h
    assert body.startswith(b"<!DOCTYPE html>")
    assert h["vary"].lower() == "accept-encoding"


def test_head_is_get_without_a_body(anon, base_url):
    for path in ["/", f"/app/{files_of(anon)[0]}"]:
        for enc in ("identity", "gzip"):
            g = plain(anon, path, **{"Accept-Encoding": enc})
            conn = RawConn(base_url)
            try:
                conn.send(f"HEAD {path} HTTP/1.1\r\nHost: x\r\nAccept-Encoding: {enc}\r\n\r\n"
                          f"GET /health HTTP/1.1\r\nHost: x\r\n\r\n".encode())
                status, h, body, _ = conn.read_response("HEAD")
                # The next answer on the connection starts right after the head.
                status2, _, body2, _ = conn.read_response()
            finally:
                conn.close()
            assert status == 200 and body == b""
            assert h["content-length"] == g.headers["content-length"], (path, enc)
            assert h["content-type"] == g.headers["content-type"]
            assert h["cache-control"] == g.headers["cache-control"]
            assert h["content-security-policy"] == CSP
            assert status2 == 200 and body2 == b'{"status":"ok"}'


@pytest.mark.parametrize("path", ["/app/nope.js", "/app/index.html", "/app/main.js",
                                  "/app/..%2findex.html", "/app/main.0000000000.js", "/app/",
                                  "/index.html", "/app"])
def test_unknown_files_are_404(anon, path):
    r = anon.get(path)
    assert r.status_code == 404
    assert r.json()["code"] == "NOT_FOUND"


def test_unknown_app_file_still_gets_the_page_headers(anon):
    r = anon.get("/app/nope.js")
    assert r.status_code == 404
    page_headers_ok(r)


def test_only_get_and_head(anon):
    r = anon.post("/", content=b"{}", headers={"Content-Type": "application/json"})
    assert r.status_code == 405
    assert r.headers["allow"] == "GET"


def test_budget_50kb_gzip(anon):
    seen, todo = set(), files_of(anon)
    total = 0
    with anon.stream("GET", "/", headers={"Accept-Encoding": "gzip"}) as r:
        total += len(b"".join(r.iter_raw()))
    while todo:
        name = todo.pop()
        if name in seen:
            continue
        seen.add(name)
        with anon.stream("GET", f"/app/{name}", headers={"Accept-Encoding": "gzip"}) as r:
            raw = b"".join(r.iter_raw())
        total += len(raw)
        if name.endswith(".js"):
            todo += IMPORT.findall(gzip.decompress(raw).decode())
    assert total <= 50 * 1024, total


def test_document_lists_the_app_under_its_own_tag(anon):
    doc = anon.get("/openapi.json").json()
    assert doc["paths"]["/"]["get"]["tags"] == ["app"]
    assert doc["paths"]["/app/{name}"]["get"]["tags"] == ["app"]
    assert "app" in {t["name"] for t in doc["tags"]}
    for path, item in doc["paths"].items():
        if path.startswith("/api/"):
            assert all(op["tags"] != ["app"] for op in item.values()), path


def test_web_app_false_turns_it_off(spawn_server):
    srv = spawn_server({"WEB_APP": "false"})
    with httpx.Client(base_url=srv.base_url, timeout=10) as c:
        r = c.get("/")
        assert r.status_code == 404 and r.json()["code"] == "NOT_FOUND"
        assert "content-security-policy" not in r.headers
        assert c.get("/app/anything.js").status_code == 404
        assert c.post("/", json={}).status_code == 404
        assert c.get("/health").status_code == 200


def test_web_app_must_be_a_boolean(tmp_path):
    from apiutil import base_env, database_url_for, new_secret, run_cli
    env = base_env(database_url_for(tmp_path), new_secret(), WEB_APP="perhaps")
    r = run_cli([], env)
    assert r.returncode != 0
    assert b"WEB_APP" in r.stderr
