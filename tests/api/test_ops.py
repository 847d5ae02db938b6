"""API.md 1 and 5: operations routes, settings, the command line, the access
log and shutdown."""
import json
import os
import re
import signal
import socket
import subprocess
import time

import httpx
import jwt
import pytest

from apiutil import (ALLOWED_ORIGINS, SECRETS_SENT, RawConn, User, base_env, clean_env,
                     database_url_for, mint, new_secret, plain_error, rand_uid, run_cli)


# ------------------------------------------------------------------ health, ready

def test_health(anon):
    r = anon.get("/health")
    assert r.status_code == 200
    assert r.json() == {"status": "ok"}
    assert r.headers["content-type"].split(";")[0].strip() == "application/json"


def test_health_ignores_authorization(client):
    r = client(token="garbage").get("/health")
    assert r.status_code == 200 and r.json() == {"status": "ok"}


def test_ready(anon):
    r = anon.get("/ready")
    assert r.status_code == 200, r.text


# ------------------------------------------------------------------ metrics, openapi, docs

def test_metrics_prometheus_text(anon, user):
    user.http.get(user.path)
    anon.get("/nope")
    r = anon.get("/metrics")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/plain"), r.headers["content-type"]
    text = r.text
    assert re.search(r"^# TYPE \S+ histogram$", text, re.M), text[:2000]
    assert re.search(r'_bucket\{[^}]*le="\+Inf"[^}]*\} \d', text), text[:2000]
    assert re.search(r"^# TYPE \S+ counter$", text, re.M), text[:2000]
    assert re.search(r"^# TYPE \S+ gauge$", text, re.M), "no gauge (open connections, pool use)"
    assert re.search(r'\{[^}]*"404"[^}]*\}', text), "no request counted by status 404"
    assert "/api/{user_id}/tasks" in text or "listTasks" in text, \
        "requests are not counted by route"
    for line in text.splitlines():
        if line and not line.startswith("#"):
            assert re.match(r"^[a-zA-Z_:][a-zA-Z0-9_:]*(\{.*\})? [-+0-9.eEnaNIf]+( \d+)?$", line), line


@pytest.fixture(scope="module")
def openapi(base_url):
    r = httpx.get(base_url + "/openapi.json", timeout=10, verify=False)
    assert r.status_code == 200
    return r.json()


def _resolve(doc, node):
    while isinstance(node, dict) and "$ref" in node:
        ref = node["$ref"]
        assert ref.startswith("#/"), ref
        node = doc
        for part in ref[2:].split("/"):
            node = node[part]
    return node


def test_openapi_document(openapi):
    doc = openapi
    assert str(doc.get("openapi", "")).startswith("3.1"), doc.get("openapi")
    paths = doc["paths"]
    for p, methods in {"/api/{user_id}/tasks": {"get", "post"},
                       "/api/{user_id}/tasks/{id}": {"get", "put", "patch", "delete"},
                       "/api/{user_id}/tasks/{id}/complete": {"patch"},
                       "/health": {"get"}, "/ready": {"get"}}.items():
        assert p in paths, sorted(paths)
        assert methods <= set(paths[p]), (p, sorted(paths[p]))
    schemes = doc["components"]["securitySchemes"]
    assert any(s.get("type") == "http" and s.get("scheme", "").lower() == "bearer"
               for s in schemes.values()), schemes
    params = {p["name"] for p in _resolve(doc, paths["/api/{user_id}/tasks"]["get"])
              .get("parameters", [])} | {
        p["name"] for p in paths["/api/{user_id}/tasks"].get("parameters", [])}
    assert {"completed", "priority", "tag", "search", "due_date_filter", "today", "sort_by",
            "sort_order", "limit", "offset"} <= params, params


def _response_schema(doc, path, method, status):
    op = doc["paths"][path][method]
    resp = _resolve(doc, op["responses"][str(status)])
    return resp["content"]["application/json"]["schema"]


def test_real_responses_match_openapi(openapi, user, anon):
    import jsonschema
    doc = openapi

    def check(instance, schema):
        resolver = jsonschema.RefResolver.from_schema(doc)
        jsonschema.Draft202012Validator(schema, resolver=resolver).validate(instance)

    full = user.create(title="full", description="d", priority="high", tags="a,b",
                       due_date="2025-06-01", due_time="10:00", recurrence_pattern="weekly",
                       recurrence_day=3)
    bare = user.create(title="bare")
    done = user.complete(bare["id"]).json()
    for t in (full, bare, done):
        check(t, _response_schema(doc, "/api/{user_id}/tasks/{id}", "get", 200))
        check(t, _response_schema(doc, "/api/{user_id}/tasks", "post", 201))
    check(user.list(), _response_schema(doc, "/api/{user_id}/tasks", "get", 200))
    check(anon.get("/health").json(), _response_schema(doc, "/health", "get", 200))
    errs = {400: user.http.post(user.path, json={"title": ""}),
            401: anon.get(user.path),
            403: user.http.get(f"/api/{rand_uid()}/tasks"),
            404: user.http.get(user.task_path(99999999)),
            422: user.http.post(user.path, json={"title": "x", "due_time": "10:00"})}
    for status, r in errs.items():
        assert r.status_code == status
        path, method = (("/api/{user_id}/tasks", "post") if status in (400, 422) else
                        ("/api/{user_id}/tasks", "get") if status in (401, 403) else
                        ("/api/{user_id}/tasks/{id}", "get"))
        check(r.json(), _response_schema(doc, path, method, status))


def test_openapi_nullable_fields(openapi):
    schema = _resolve(openapi, _response_schema(openapi, "/api/{user_id}/tasks/{id}", "get", 200))
    props = schema["properties"]
    for name in ("description", "priority", "tags", "due_date", "due_time", "recurrence_pattern",
                 "recurrence_day", "completed_at"):
        p = _resolve(openapi, props[name])
        text = json.dumps(p)
        assert '"null"' in text, (name, p)
    for name in ("id", "title", "completed", "created_at"):
        assert '"null"' not in json.dumps(_resolve(openapi, props[name])), name
    assert set(schema.get("required", [])) >= {"id", "title", "completed", "description"}


def test_docs_page(anon):
    r = anon.get("/docs")
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/html")
    assert "openapi.json" in r.text


# ------------------------------------------------------------------ access log

def _wait_log(server, needle, timeout=5.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for line in server.text().splitlines():
            if needle in line:
                return line
        time.sleep(0.05)
    return None


def test_access_log_line(server, user, anon):
    rid = "acc-" + rand_uid("")
    user.http.get(user.path, headers={"X-Request-ID": rid})
    line = _wait_log(server, rid)
    assert line, "no access log line carries the request id"
    assert user.path in line and "GET" in line and "200" in line, line
    rid2 = "acc-" + rand_uid("")
    anon.delete("/health", headers={"X-Request-ID": rid2})
    line = _wait_log(server, rid2)
    assert line and "/health" in line and "405" in line and "DELETE" in line, line


def test_access_log_one_line_per_request_with_time(server, user):
    rids = ["one-" + rand_uid("") for _ in range(3)]
    for rid in rids:
        user.http.post(user.path, json={"title": "logged"}, headers={"X-Request-ID": rid})
    _wait_log(server, rids[-1])
    time.sleep(0.2)
    lines = server.text().splitlines()
    for rid in rids:
        mine = [l for l in lines if rid in l]
        assert len(mine) == 1, mine
        assert re.search(r"\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}:\d{2}", mine[0]), mine[0]
        assert "POST" in mine[0] and "201" in mine[0] and user.path in mine[0], mine[0]


def test_log_format_json(spawn_server):
    srv = spawn_server({"LOG_FORMAT": "json"})
    u = User(srv.base_url, srv.secret)
    try:
        rid = "json-" + rand_uid("")
        u.http.get(u.path, headers={"X-Request-ID": rid})
        assert _wait_log(srv, rid)
    finally:
        u.close()
    assert srv.stop(signal.SIGTERM, 15) == 0
    text = srv.text()
    # LeakSanitizer's "Suppressions used" table (sanitizer builds) is not the server's log
    text = re.sub(r"-{10,}\nSuppressions used:\n(.*\n)*?-{10,}\n?", "", text)
    lines = [l for l in text.splitlines() if l.strip()]
    assert lines
    for l in lines:
        obj = json.loads(l)
        assert isinstance(obj, dict), l
    access = [json.loads(l) for l in lines if rid in l]
    assert len(access) == 1
    values = json.dumps(access[0])
    assert u.path in values and "GET" in values and "200" in values, access[0]


def test_access_log_generated_id_matches_header(server, anon):
    r = anon.get("/health")
    assert _wait_log(server, r.headers["x-request-id"]), "generated id not in the log"


def test_log_never_holds_tokens_passwords_or_query_secrets(server, user, anon, client):
    rid = "sec-" + rand_uid("")
    secret_q = "QS" + rand_uid("")
    password = "pw-" + rand_uid("") + "-hunter2"
    SECRETS_SENT.add(password)
    SECRETS_SENT.add(secret_q)
    user.http.get(user.path, params={"token": secret_q, "access_token": secret_q},
                  headers={"X-Request-ID": rid})
    user.http.post(user.path, json={"title": "pw " + password}, headers={"X-Request-ID": rid})
    client(token=user.token + "x").get(user.path, headers={"X-Request-ID": rid})
    anon.post("/api/auth/register", json={"email": f"{rand_uid('')}@example.test",
                                          "password": password},
              headers={"X-Request-ID": rid})
    anon.post("/api/auth/login", json={"email": "nobody@example.test", "password": password},
              headers={"X-Request-ID": rid})
    _wait_log(server, rid)
    time.sleep(0.3)
    out = server.text()
    assert rid in out
    for s in (user.token, user.token.split(".")[2], password, secret_q):
        assert s not in out, f"{s!r} appears in the log"


# ------------------------------------------------------------------ settings

@pytest.mark.parametrize("var,value", [
    ("PORT", "abc"), ("PORT", "70000"), ("PORT", "-1"), ("WORKERS", "0"), ("WORKERS", "many"),
    ("MAX_BODY_BYTES", "abc"), ("MAX_BODY_BYTES", "-5"),
    ("BETTER_AUTH_SECRET", "abcXYZ123tooShort"), ("LOG_LEVEL", "loud"), ("LOG_FORMAT", "xml"),
    ("DATABASE_URL", "mysql://localhost/db"), ("MIGRATE_ON_START", "maybe"),
    ("TOKEN_TTL", "abc"), ("TOKEN_TTL", "-1"), ("DB_POOL_SIZE", "x"),
])
def test_bad_setting_stops_start(tmp_path, var, value):
    env = base_env(database_url_for(tmp_path), new_secret(), **{var: value})
    try:
        p = run_cli([], env, timeout=15)
    except subprocess.TimeoutExpired:
        pytest.fail(f"{var}={value!r}: the server started instead of refusing the setting")
    assert p.returncode != 0, p.stderr.decode(errors="replace")
    out = (p.stderr + p.stdout).decode(errors="replace")
    lines = [l for l in out.splitlines() if l.strip()]
    assert len(lines) == 1 and var in lines[0], f"expected one line naming {var}: {out!r}"
    assert "listening on" not in out
    if var == "BETTER_AUTH_SECRET":
        assert value not in out, "the secret itself is printed"


def test_secret_length_boundary(tmp_path, spawn_server):
    ok = "k" * 32
    srv = spawn_server(secret=ok)
    uid = rand_uid()
    tok = mint(ok, uid)
    r = httpx.get(f"{srv.base_url}/api/{uid}/tasks", headers={"Authorization": f"Bearer {tok}"},
                  verify=False)
    assert r.status_code == 200, r.text
    env = base_env(database_url_for(tmp_path), "k" * 31)
    p = run_cli([], env, timeout=15)
    assert p.returncode != 0
    assert b"BETTER_AUTH_SECRET" in p.stderr + p.stdout


def test_relative_sqlite_path(tmp_path, spawn_server):
    srv = spawn_server({"DATABASE_URL": "sqlite://./rel.db"})
    u = User(srv.base_url, srv.secret)
    try:
        u.create(title="relative")
    finally:
        u.close()
    assert (srv.cwd / "rel.db").exists(), list(srv.cwd.iterdir())


def test_flag_overrides_environment(spawn_server):
    srv = spawn_server({"MAX_BODY_BYTES": "200000"}, args=["serve", "--max-body-bytes=1024"])
    u = User(srv.base_url, srv.secret)
    try:
        core = b'{"title": "x"}'
        ok = u.http.post(u.path, content=core + b" " * (1024 - len(core)),
                         headers={"Content-Type": "application/json"})
        assert ok.status_code == 201, ok.text
        big = u.http.post(u.path, content=core + b" " * (1025 - len(core)),
                          headers={"Content-Type": "application/json"})
        plain_error(big, 413, "PAYLOAD_TOO_LARGE")
    finally:
        u.close()


def test_small_max_body_chunked(spawn_server):
    srv = spawn_server({"MAX_BODY_BYTES": "1024"})
    u = User(srv.base_url, srv.secret)
    try:
        def gen(total):
            core = b'{"title":"x"}'
            yield core
            pad = total - len(core)
            while pad > 0:
                n = min(pad, 100)
                yield b" " * n
                pad -= n
        r = u.http.post(u.path, content=gen(1025), headers={"Content-Type": "application/json"})
        plain_error(r, 413, "PAYLOAD_TOO_LARGE")
        r = u.http.post(u.path, content=gen(1024), headers={"Content-Type": "application/json"})
        assert r.status_code == 201, r.text
        r = u.http.post(u.path, content=padded(2000), headers={"Content-Type": "application/json"})
        plain_error(r, 413, "PAYLOAD_TOO_LARGE")
        assert len(u.list()) == 1
    finally:
        u.close()


def padded(total):
    core = b'{"title":"x"}'
    return core + b" " * (total - len(core))


def test_cors_wildcard(spawn_server):
    srv = spawn_server({"CORS_ORIGINS": "*"})
    u = User(srv.base_url, srv.secret)
    try:
        for origin in ("https://anything.example", "http://localhost:3000"):
            r = u.http.get(u.path, headers={"Origin": origin})
            assert r.status_code == 200
            assert r.headers.get("access-control-allow-origin") in ("*", origin)
            assert r.headers.get("access-control-allow-credentials", "").lower() != "true"
            p = httpx.options(srv.base_url + u.path, verify=False, headers={
                "Origin": origin, "Access-Control-Request-Method": "PATCH",
                "Access-Control-Request-Headers": "authorization,content-type"})
            assert p.status_code in (200, 204)
            assert p.headers.get("access-control-allow-origin") in ("*", origin)
            assert p.headers.get("access-control-allow-credentials", "").lower() != "true"
    finally:
        u.close()


def test_memory_database_shared_by_workers(spawn_server):
    srv = spawn_server({"DATABASE_URL": "sqlite://:memory:", "WORKERS": "2"})
    u = User(srv.base_url, srv.secret)
    try:
        t = u.create(title="in memory")
        for _ in range(12):
            with httpx.Client(base_url=srv.base_url, timeout=10, verify=False,
                              headers={"Authorization": f"Bearer {u.token}",
                                       "Connection": "close"}) as c:
                r = c.get(u.path)
                assert r.status_code == 200
                assert [x["id"] for x in r.json()] == [t["id"]]
    finally:
        u.close()


def test_data_survives_restart(tmp_path, spawn_server):
    if os.environ.get("TEST_DATABASE_URL"):
        url = os.environ["TEST_DATABASE_URL"]
    else:
        url = f"sqlite://{tmp_path}/persist.db"
    secret = new_secret()
    srv = spawn_server({"DATABASE_URL": url}, secret=secret)
    u = User(srv.base_url, secret)
    t = u.create(title="persist", tags="a,b", due_date="2025-01-02", due_time="03:04:05")
    u.close()
    assert srv.stop(signal.SIGTERM, 15) == 0
    srv2 = spawn_server({"DATABASE_URL": url}, secret=secret)
    u2 = User(srv2.base_url, secret, uid=u.uid)
    try:
        assert u2.get(t["id"]) == t
    finally:
        u2.close()


def test_no_secret_generates_one_and_warns(spawn_server, tmp_path):
    env = clean_env({"PORT": "0", "HOST": "127.0.0.1", "WORKERS": "1",
                     "DATABASE_URL": f"sqlite://{tmp_path}/nosecret.db"})
    srv = spawn_server(raw_env=env)
    assert re.search(r"secret|BETTER_AUTH_SECRET", srv.text(), re.I), srv.text()
    uid = rand_uid()
    tok = jwt.encode({"sub": uid, "exp": int(time.time()) + 60}, "y" * 48, algorithm="HS256")
    r = httpx.get(f"{srv.base_url}/api/{uid}/tasks", headers={"Authorization": f"Bearer {tok}"},
                  verify=False)
    assert r.status_code == 401


@pytest.mark.skipif(not (os.environ.get("TEST_DATABASE_URL") or "").startswith("postgres"),
                    reason="needs TEST_DATABASE_URL=postgresql://...")
def test_asyncpg_scheme_accepted(spawn_server):
    url = os.environ["TEST_DATABASE_URL"]
    url = "postgresql+asyncpg://" + url.split("://", 1)[1]
    srv = spawn_server({"DATABASE_URL": url})
    u = User(srv.base_url, srv.secret)
    try:
        assert u.create(title="pg")["title"] == "pg"
    finally:
        u.close()


# ------------------------------------------------------------------ command line

def test_help_and_version():
    env = clean_env({})
    h = run_cli(["--help"], env)
    assert h.returncode == 0
    text = (h.stdout + h.stderr).decode()
    for word in ("serve", "migrate", "token", "DATABASE_URL", "BETTER_AUTH_SECRET",
                 "MAX_BODY_BYTES"):
        assert word in text, word
    v = run_cli(["--version"], env)
    assert v.returncode == 0
    assert re.search(r"\d+\.\d+\.\d+", (v.stdout + v.stderr).decode())


def test_token_command_mints_usable_token(secret, base_url):
    uid = rand_uid()
    env = clean_env({"BETTER_AUTH_SECRET": secret})
    p = run_cli(["token", "--sub", uid, "--email", "t@example.test", "--ttl", "120"], env)
    assert p.returncode == 0, p.stderr
    tokens = re.findall(rb"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", p.stdout)
    assert len(tokens) == 1, p.stdout
    tok = tokens[0].decode()
    SECRETS_SENT.add(tok)
    claims = jwt.decode(tok, secret, algorithms=["HS256"])
    assert claims["sub"] == uid and claims["email"] == "t@example.test"
    assert claims["exp"] - claims["iat"] == 120
    assert abs(claims["iat"] - time.time()) < 60
    r = httpx.get(f"{base_url}/api/{uid}/tasks", headers={"Authorization": f"Bearer {tok}"},
                  verify=False)
    assert r.status_code == 200, r.text


def test_token_command_default_ttl(secret):
    uid = rand_uid()
    p = run_cli(["token", "--sub", uid], clean_env({"BETTER_AUTH_SECRET": secret}))
    assert p.returncode == 0, p.stderr
    tok = re.findall(rb"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+", p.stdout)[0].decode()
    SECRETS_SENT.add(tok)
    claims = jwt.decode(tok, secret, algorithms=["HS256"])
    assert claims["exp"] - claims["iat"] == 604800


def test_migrate_commands(tmp_path, spawn_server):
    url = f"sqlite://{tmp_path}/mig.db"
    env = clean_env({"DATABASE_URL": url, "BETTER_AUTH_SECRET": new_secret()})
    for args in (["migrate", "status"], ["migrate", "up"], ["migrate", "status"],
                 ["migrate", "up"], ["migrate", "down", "1"], ["migrate", "up"],
                 ["migrate", "down"], ["migrate", "up"]):
        p = run_cli(args, env)
        assert p.returncode == 0, (args, p.stderr.decode(errors="replace"))
    srv = spawn_server({"DATABASE_URL": url, "MIGRATE_ON_START": "false"})
    u = User(srv.base_url, srv.secret)
    try:
        assert u.create(title="after migrate")["title"] == "after migrate"
    finally:
        u.close()


def test_migrate_bad_argument_fails(tmp_path):
    env = clean_env({"DATABASE_URL": f"sqlite://{tmp_path}/m.db"})
    p = run_cli(["migrate", "sideways"], env)
    assert p.returncode != 0


# ------------------------------------------------------------------ shutdown

@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_exits_zero_with_idle_connections(spawn_server, sig):
    srv = spawn_server()
    idle = [RawConn(srv.base_url) for _ in range(3)]
    busy = RawConn(srv.base_url)
    try:
        busy.send(b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
        assert busy.read_response()[0] == 200  # keep-alive connection left open
        t0 = time.monotonic()
        rc = srv.stop(sig, 15.0)
        assert rc == 0, f"exit code {rc}\n{srv.text()[-2000:]}"
        assert time.monotonic() - t0 < 12.0
    finally:
        for c in idle + [busy]:
            c.close()
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", int(srv.base_url.rsplit(":", 1)[1])), timeout=2)


def test_request_in_flight_finishes_on_sigterm(spawn_server):
    srv = spawn_server()
    u = User(srv.base_url, srv.secret)
    c = RawConn(srv.base_url)
    try:
        body = b'{"title": "in flight"}'
        c.send(("POST %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                "Content-Type: application/json\r\nContent-Length: %d\r\n\r\n"
                % (u.path, u.token, len(body))).encode() + body[:5])
        time.sleep(0.3)
        srv.proc.send_signal(signal.SIGTERM)
        time.sleep(0.3)
        c.send(body[5:])
        st, h, resp, _ = c.read_response()
        assert st == 201, resp
        assert srv.wait_exit(15.0) == 0
    finally:
        c.close()
        u.close()
