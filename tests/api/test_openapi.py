"""API.md 5: the OpenAPI document, the /docs page and /metrics, checked with
the tools people use on them: redocly lint, headless Chromium, promtool.
Every other response of the suite is checked against the document by
openapi_validate.py; here the document itself is checked against API.md and
against behaviour (its limits and enums are the ones the server enforces).

Tools: node + npm (tests/docs/package.json, installed here with `npm ci` when
needed), Debian's chromium and promtool (package prometheus).
"""
from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path

import httpx
import pytest

import openapi_validate
from apiutil import REPO_ROOT, base_env, database_url_for, new_secret, run_cli, validation_error

DOCS_TOOLS = REPO_ROOT / "tests" / "docs"
SWAGGER_UI = DOCS_TOOLS / "node_modules" / "swagger-ui-dist"
NULLABLE = {"description", "completed_at", "priority", "tags", "due_date", "due_time",
            "recurrence_pattern", "recurrence_day"}
NOT_NULL = {"id", "user_id", "title", "completed", "created_at", "updated_at"}
ROUTES = {  # API.md 3, 4.3 and 5
    "/api/auth/register": {"post"}, "/api/auth/login": {"post"}, "/api/auth/me": {"get"},
    "/api/{user_id}/tasks": {"get", "post"},
    "/api/{user_id}/tasks/{id}": {"get", "put", "patch", "delete"},
    "/api/{user_id}/tasks/{id}/complete": {"patch"},
    "/health": {"get"}, "/ready": {"get"}, "/metrics": {"get"}, "/openapi.json": {"get"},
    "/docs": {"get"},
}


@pytest.fixture(scope="module")
def doc(base_url) -> dict:
    r = httpx.get(base_url + "/openapi.json", timeout=10)
    assert r.status_code == 200, r.text
    return r.json()


@pytest.fixture(scope="module")
def resolved(doc) -> dict:
    return openapi_validate.resolve_refs(doc, doc)


def tool(name: str, package: str) -> str:
    path = shutil.which(name)
    if path is None:
        pytest.fail(f"{name} is not installed (Debian package {package}; "
                    "scripts/install-deps.sh test installs it)", pytrace=False)
    return path


@pytest.fixture(scope="session")
def docs_tools() -> Path:
    """tests/docs/node_modules, from package-lock.json (npm ci when missing or stale)."""
    tool("node", "nodejs")
    npm = tool("npm", "npm")
    stamp = DOCS_TOOLS / "node_modules" / ".package-lock.json"
    lock = DOCS_TOOLS / "package-lock.json"
    if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
        r = subprocess.run([npm, "ci", "--no-audit", "--no-fund"], cwd=DOCS_TOOLS,
                           capture_output=True, text=True, timeout=900)
        assert r.returncode == 0, "npm ci in tests/docs failed:\n" + (r.stdout + r.stderr)[-3000:]
    return DOCS_TOOLS


def task_props(resolved: dict, name: str) -> dict:
    return resolved["components"]["schemas"][name]["properties"]


def param(resolved: dict, path: str, method: str, name: str) -> dict:
    for p in resolved["paths"][path][method].get("parameters", []):
        if p["name"] == name:
            return p
    raise AssertionError(f"{method} {path} has no parameter {name}")


# ------------------------------------------------------------------ the document

def test_document_lists_every_route(doc):
    assert doc["openapi"] == "3.1.0"
    for path, methods in ROUTES.items():
        assert path in doc["paths"], f"{path} missing; paths: {sorted(doc['paths'])}"
        assert methods <= set(doc["paths"][path]), (path, sorted(doc["paths"][path]))
    ids = [op["operationId"] for item in doc["paths"].values() for op in item.values()]
    assert len(ids) == len(set(ids)), ids


def test_operations_are_described(resolved):
    for path, item in resolved["paths"].items():
        for method, op in item.items():
            where = f"{method.upper()} {path}"
            assert op.get("summary") and op.get("tags"), where
            protected = path.startswith("/api/") and path not in ("/api/auth/register",
                                                                  "/api/auth/login")
            assert op["security"] == ([{"bearerAuth": []}] if protected else []), where
            codes = {int(s) for s in op["responses"]}
            assert any(200 <= c < 300 for c in codes), where
            for c in codes:
                resp = op["responses"][str(c)]
                assert resp.get("description"), (where, c)
                assert "X-Request-ID" in resp.get("headers", {}), (where, c)
                if c >= 400:
                    schema = resp["content"]["application/json"]["schema"]
                    assert "detail" in json.dumps(schema), (where, c)
            if protected:
                assert 401 in codes, where
    scheme = resolved["components"]["securitySchemes"]["bearerAuth"]
    assert (scheme["type"], scheme["scheme"], scheme.get("bearerFormat")) == ("http", "bearer",
                                                                             "JWT")


def test_nullable_fields_are_typed_with_null(resolved):
    props = task_props(resolved, "Task")
    assert set(props) == NULLABLE | NOT_NULL
    for name in NULLABLE:
        t = props[name]["type"]
        assert isinstance(t, list) and "null" in t, (name, props[name])
    for name in NOT_NULL:
        assert props[name]["type"] != "null" and "null" not in props[name]["type"], name
    assert None in props["priority"]["enum"] and None in props["recurrence_pattern"]["enum"]
    required = resolved["components"]["schemas"]["Task"]["required"]
    assert set(required) == NULLABLE | NOT_NULL


def test_error_schema_enums(resolved):
    from apiutil import ENTRY_CODES, ERROR_CODES
    err = resolved["components"]["schemas"]["Error"]
    assert set(err["properties"]["code"]["enum"]) == ERROR_CODES
    assert set(err["properties"]["errors"]["items"]["properties"]["code"]["enum"]) == ENTRY_CODES
    assert err["required"] == ["detail", "code"]


def test_cli_prints_the_served_document(base_url):
    served = httpx.get(base_url + "/openapi.json", timeout=10)
    r = run_cli(["openapi"], base_env("sqlite://:memory:", new_secret()))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout) == served.json()


def test_redocly_lint(doc, docs_tools, tmp_path):
    f = tmp_path / "openapi.json"
    f.write_text(json.dumps(doc))
    r = subprocess.run([str(docs_tools / "node_modules" / ".bin" / "redocly"), "lint",
                        "--config", str(docs_tools / "redocly.yaml"), str(f)],
                       cwd=docs_tools, capture_output=True, text=True, timeout=300)
    out = r.stdout + r.stderr
    assert r.returncode == 0, out[-4000:]
    assert "Woohoo" in out or "valid" in out, out[-2000:]


# ------------------------------------------------------------------ the document = behaviour

def test_text_limits_are_the_enforced_ones(resolved, user):
    props = task_props(resolved, "TaskInput")
    for name in ("title", "description"):
        top = props[name]["maxLength"]
        r = user.http.post(user.path, json={"title": "t", name: "x" * top})
        assert r.status_code == 201, (name, top, r.text)
        r = user.http.post(user.path, json={"title": "t", name: "x" * (top + 1)})
        body = validation_error(r, name, "too_long")
        assert str(top) in body["detail"], body
    low = props["title"]["minLength"]
    validation_error(user.http.post(user.path, json={"title": " " * 3 + "x" * (low - 1)}),
                     "title", "too_short")


def test_integer_and_enum_limits_are_the_enforced_ones(resolved, user):
    day = task_props(resolved, "TaskInput")["recurrence_day"]
    ok = user.http.post(user.path, json={"title": "t", "recurrence_pattern": "monthly",
                                         "recurrence_day": day["maximum"]})
    assert ok.status_code == 201, ok.text
    validation_error(user.http.post(user.path, json={"title": "t", "recurrence_pattern": "monthly",
                                                     "recurrence_day": day["maximum"] + 1}),
                     "recurrence_day", "out_of_range")
    for value in task_props(resolved, "TaskInput")["priority"]["enum"]:
        r = user.http.post(user.path, json={"title": "t", "priority": value})
        assert r.status_code == 201 and r.json()["priority"] == value, r.text
    limit = param(resolved, "/api/{user_id}/tasks", "get", "limit")["schema"]
    assert user.http.get(user.path, params={"limit": limit["maximum"]}).status_code == 200
    validation_error(user.http.get(user.path, params={"limit": limit["maximum"] + 1}),
                     "query.limit", "out_of_range")
    validation_error(user.http.get(user.path, params={"limit": limit["minimum"] - 1}),
                     "query.limit", "out_of_range")
    for name in ("sort_by", "sort_order", "due_date_filter", "priority"):
        schema = param(resolved, "/api/{user_id}/tasks", "get", name)["schema"]
        for value in schema["enum"]:
            r = user.http.get(user.path, params={name: value})
            assert r.status_code == 200, (name, value, r.text)
        validation_error(user.http.get(user.path, params={name: "nope"}), f"query.{name}",
                         "invalid_choice")


def test_validator_catches_drift(base_url, user):
    """The response check can fail: an unlisted status, a wrong body, a missing header."""
    task = user.create(title="drift")
    req = httpx.Request("GET", f"{base_url}{user.task_path(task['id'])}")
    good = httpx.Response(200, request=req, json=task,
                          headers={"X-Request-ID": "abc", "ETag": '"1-1"'})
    assert openapi_validate.problems_for(good) == []
    cases = {
        "status": httpx.Response(418, request=req, json=task, headers={"X-Request-ID": "a"}),
        "extra key": httpx.Response(200, request=req, json={**task, "x": 1},
                                    headers={"X-Request-ID": "a"}),
        "null title": httpx.Response(200, request=req, json={**task, "title": None},
                                     headers={"X-Request-ID": "a"}),
        "no request id": httpx.Response(200, request=req, json=task),
        "error code": httpx.Response(404, request=req, headers={"X-Request-ID": "a"},
                                     json={"detail": "x", "code": "CONFLICT"}),
        "no etag": httpx.Response(200, request=req, json=task, headers={"X-Request-ID": "a"}),
        "body on 304": httpx.Response(304, request=req, json=task,
                                      headers={"X-Request-ID": "a", "ETag": '"1-1"'}),
    }
    for what, resp in cases.items():
        assert openapi_validate.problems_for(resp), what


# ------------------------------------------------------------------ /docs

def test_docs_page_loads_swagger_ui_from_a_cdn_by_default(anon):
    r = anon.get("/docs")
    assert r.status_code == 200 and r.headers["content-type"].startswith("text/html")
    assert re.search(r'<script src="https://[^"]+/swagger-ui-bundle\.js"', r.text), r.text
    assert 'url: "openapi.json"' in r.text
    assert anon.get("/docs/assets/swagger-ui.css").status_code == 404


def test_docs_assets_url_setting(spawn_server):
    srv = spawn_server({"DOCS_ASSETS_URL": "https://mirror.example.test/swagger-ui/"})
    page = httpx.get(srv.base_url + "/docs", timeout=10).text
    assert 'href="https://mirror.example.test/swagger-ui/swagger-ui.css"' in page, page


def test_docs_local_assets_are_served(spawn_server, tmp_path):
    d = tmp_path / "ui"
    d.mkdir()
    files = {"swagger-ui.css": b"body{}", "swagger-ui-bundle.js": b"var x = 1;\n",
             "favicon-32x32.png": b"\x89PNG\r\n\x1a\n"}
    for name, data in files.items():
        (d / name).write_bytes(data)
    srv = spawn_server({"DOCS_ASSETS_DIR": str(d)})
    page = httpx.get(srv.base_url + "/docs", timeout=10).text
    assert '<script src="docs/assets/swagger-ui-bundle.js">' in page, page
    assert "https://" not in page
    types = {"swagger-ui.css": "text/css", "swagger-ui-bundle.js": "text/javascript",
             "favicon-32x32.png": "image/png"}
    for name, data in files.items():
        r = httpx.get(f"{srv.base_url}/docs/assets/{name}", timeout=10)
        assert r.status_code == 200 and r.content == data, name
        assert r.headers["content-type"].startswith(types[name]), r.headers["content-type"]
    assert httpx.get(srv.base_url + "/docs/assets/index.html", timeout=10).status_code == 404
    assert httpx.get(srv.base_url + "/docs/assets/..%2fopenapi.json", timeout=10).status_code == 404


def test_docs_assets_dir_must_hold_the_files(tmp_path):
    env = base_env(database_url_for(tmp_path), new_secret(), DOCS_ASSETS_DIR=str(tmp_path))
    r = run_cli([], env)
    assert r.returncode != 0
    assert b"DOCS_ASSETS_DIR" in r.stderr and b"swagger-ui" in r.stderr, r.stderr


def test_docs_page_in_headless_chromium(spawn_server, docs_tools, tmp_path):
    """The page renders offline (assets from this server) and lists the operations."""
    tool("chromium", "chromium")
    srv = spawn_server({"DOCS_ASSETS_DIR": str(SWAGGER_UI)})
    r = subprocess.run(["node", "docs_page.mjs", srv.base_url, "--screenshot",
                        str(tmp_path / "docs.png")], cwd=docs_tools, capture_output=True,
                       text=True, timeout=180)
    assert r.returncode == 0, (r.stdout + r.stderr)[-4000:]
    assert "task operations" in r.stdout, r.stdout
    assert (tmp_path / "docs.png").stat().st_size > 10000


# ------------------------------------------------------------------ /metrics

SAMPLE = re.compile(r'^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{(.*)\})? (\S+)$')


def samples(text: str) -> list[tuple[str, dict, float]]:
    out = []
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        m = SAMPLE.match(line)
        assert m, line
        labels = dict(re.findall(r'(\w+)="((?:[^"\\]|\\.)*)"', m.group(3) or ""))
        out.append((m.group(1), labels, float(m.group(4))))
    return out


def value(text: str, name: str, **labels) -> float:
    return sum(v for n, l, v in samples(text) if n == name
               and all(l.get(k) == str(x) for k, x in labels.items()))


def test_metrics_pass_promtool(anon, user):
    promtool = tool("promtool", "prometheus")
    user.create(title="m")
    user.http.get(user.path + "/999999999")
    r = anon.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain; version=0.0.4"), r.headers
    check = subprocess.run([promtool, "check", "metrics"], input=r.text, capture_output=True,
                           text=True, timeout=60)
    assert check.returncode == 0, check.stdout + check.stderr


def test_metrics_count_route_templates_not_paths(anon, users):
    route = "/api/{user_id}/tasks/{id}"
    before = value(anon.get("/metrics").text, "todo_http_requests_total", method="GET",
                   route=route, status=404)
    seen = []
    for _ in range(3):
        u = users()
        seen.append(u.uid)
        assert u.http.get(u.task_path(987654321)).status_code == 404
    text = anon.get("/metrics").text
    after = value(text, "todo_http_requests_total", method="GET", route=route, status=404)
    assert after - before == 3, (before, after)
    for uid in seen:
        assert uid not in text, "a user id became a label"
    assert "987654321" not in text
    count = value(text, "todo_http_request_duration_seconds_count", method="GET", route=route)
    inf = value(text, "todo_http_request_duration_seconds_bucket", method="GET", route=route,
                le="+Inf")
    assert count >= 3 and inf == count
    routes = {l["route"] for n, l, _ in samples(text) if n == "todo_http_requests_total"}
    templates = set(openapi_validate.spec_for(str(anon.base_url)).resolved["paths"])
    assert routes <= templates | {"unmatched"}, routes - templates


def test_metrics_connections_pool_and_build(anon):
    text = anon.get("/metrics").text
    assert value(text, "todo_http_connections_open") >= 1
    assert value(text, "todo_http_connections_total") >= 1
    assert value(text, "todo_db_pool_connections") >= 1
    assert value(text, "todo_db_pool_in_use") >= 0 and value(text, "todo_db_pool_waiting") >= 0
    assert value(text, "todo_db_up") == 1
    builds = [l for n, l, v in samples(text) if n == "todo_build_info" and v == 1]
    assert len(builds) == 1, builds
    backend = "postgresql" if os.environ.get("TEST_DATABASE_URL") else "sqlite"
    assert builds[0]["backend"] == backend and builds[0]["version"], builds


def test_metrics_count_connections_open_and_closed(spawn_server):
    srv = spawn_server()
    url = srv.base_url + "/metrics"
    clients = [httpx.Client(timeout=10) for _ in range(3)]
    try:
        for c in clients:
            c.get(srv.base_url + "/health")  # keep-alive: stays open
        with httpx.Client(timeout=10) as probe:
            opened = value(probe.get(url).text, "todo_http_connections_open")
        assert opened == 4, opened
    finally:
        for c in clients:
            c.close()
    with httpx.Client(timeout=10) as probe:
        for _ in range(50):
            now = value(probe.get(url).text, "todo_http_connections_open")
            if now == 1:
                break
            time.sleep(0.1)
        assert now == 1, now
