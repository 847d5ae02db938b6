"""API.md 3, built-in accounts: register, login, /me, the tokens they issue,
the failed-login limits and what never reaches the log."""
from __future__ import annotations

import calendar
import threading
import time

import httpx
import jwt
import pytest

from apiutil import (SECRETS_SENT, check_task, error_body, location_path, parse_ts,
                     plain_error, rand_uid, validation_error)

USER_KEYS = {"id", "email", "name", "created_at"}
AUTH_KEYS = {"user", "token", "token_type", "expires_at"}
BAD_LOGIN = "Invalid email or password"
DEFAULT_TTL = 604800
SUB_CHARS = set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-")


# ------------------------------------------------------------------ helpers

def new_email() -> str:
    """A fresh lower-case address, so that tests never share an account."""
    return f"{rand_uid('').lower()}@example.test"


def new_password() -> str:
    """A distinctive password; the session checks that it never reaches the log
    (fixed ones like "x" * 8 are not registered there: they occur anywhere)."""
    pw = "pw-" + rand_uid("") + "-Secret!"
    SECRETS_SENT.add(pw)
    return pw


def register(c: httpx.Client, email: str, password: str, **extra) -> httpx.Response:
    return c.post("/api/auth/register", json={"email": email, "password": password, **extra})


def login(c: httpx.Client, email: str, password: str) -> httpx.Response:
    return c.post("/api/auth/login", json={"email": email, "password": password})


def check_user(u, *, uid=None, email=None, name=None) -> None:
    assert isinstance(u, dict) and set(u) == USER_KEYS, u
    assert isinstance(u["id"], str) and 0 < len(u["id"]) <= 128, u
    assert set(u["id"]) <= SUB_CHARS, f"id must be usable as a token subject: {u}"
    if uid is not None:
        assert u["id"] == uid, u
    if email is not None:
        assert u["email"] == email, u
    assert u["name"] == name, u
    created = parse_ts(u["created_at"])
    assert abs(created.timestamp() - time.time()) < 300, u


def check_auth(r: httpx.Response, status: int, secret: str, *, email: str, name=None,
               uid=None, ttl: int = DEFAULT_TTL) -> dict:
    """An answer of register/login: {user, token, token_type, expires_at}, the
    token an HS256 JWT {sub, email, iat, exp} for that user. Returns the body."""
    assert r.status_code == status, f"expected {status}, got {r.status_code}: {r.text[:500]}"
    assert r.headers.get("content-type", "").split(";")[0].strip() == "application/json"
    body = r.json()
    assert isinstance(body, dict) and set(body) == AUTH_KEYS, body
    check_user(body["user"], uid=uid, email=email, name=name)
    assert body["token_type"] == "bearer", body
    tok = body["token"]
    assert isinstance(tok, str) and tok.count(".") == 2, body
    SECRETS_SENT.add(tok)
    assert jwt.get_unverified_header(tok).get("alg") == "HS256", jwt.get_unverified_header(tok)
    claims = jwt.decode(tok, secret, algorithms=["HS256"])
    assert {"sub", "email", "iat", "exp"} <= set(claims), claims
    assert claims["sub"] == body["user"]["id"], (claims, body["user"])
    assert claims["email"] == body["user"]["email"], (claims, body["user"])
    for k in ("iat", "exp"):
        assert isinstance(claims[k], int) and not isinstance(claims[k], bool), claims
    assert abs(claims["iat"] - time.time()) <= 60, claims
    assert claims["exp"] - claims["iat"] == ttl, claims
    exp_at = parse_ts(body["expires_at"])
    assert calendar.timegm(exp_at.utctimetuple()) == claims["exp"], (body["expires_at"], claims)
    return body


def bearer(token: str) -> dict:
    SECRETS_SENT.add(token)
    return {"Authorization": f"Bearer {token}"}


def unauthorized(r: httpx.Response) -> dict:
    body = plain_error(r, 401, "UNAUTHORIZED")
    scheme = r.headers.get("www-authenticate", "").split(" ")[0].lower()
    assert scheme == "bearer", dict(r.headers)
    return body


def bad_login(r: httpx.Response) -> dict:
    body = plain_error(r, 401, "UNAUTHORIZED")
    assert body["detail"] == BAD_LOGIN, body
    return body


def rate_limited(r: httpx.Response) -> int:
    plain_error(r, 429, "RATE_LIMITED")
    ra = r.headers.get("retry-after")
    assert ra is not None and ra.isdigit(), f"Retry-After must be integer seconds: {ra!r}"
    assert 0 < int(ra) <= 15 * 60, ra
    return int(ra)


@pytest.fixture
def account(anon, secret):
    """A registered account: (email, password, auth answer)."""
    email, pw = new_email(), new_password()
    body = check_auth(register(anon, email, pw), 201, secret, email=email)
    return email, pw, body


# ------------------------------------------------------------------ register

def test_register_answer_and_token(anon, secret):
    email, pw = new_email(), new_password()
    r = register(anon, email, pw, name="Ada Lovelace")
    body = check_auth(r, 201, secret, email=email, name="Ada Lovelace")
    assert location_path(r) == "/api/auth/me", dict(r.headers)
    uid, tok = body["user"]["id"], body["token"]
    r = anon.get(f"/api/{uid}/tasks", headers=bearer(tok))
    assert r.status_code == 200 and r.json() == [], r.text
    r = anon.get("/api/auth/me", headers=bearer(tok))
    assert r.status_code == 200, r.text
    assert r.json() == body["user"]


def test_register_without_name(anon, secret):
    email = new_email()
    body = check_auth(register(anon, email, new_password()), 201, secret, email=email)
    assert body["user"]["name"] is None


def test_register_ids_differ(anon, secret):
    a = check_auth(register(anon, new_email(), new_password()), 201, secret, email=None)
    b = check_auth(register(anon, new_email(), new_password()), 201, secret, email=None)
    assert a["user"]["id"] != b["user"]["id"]


def test_register_email_trimmed_and_lower_cased(anon, secret):
    local = rand_uid("")
    sent = f"  {local}@Example.TEST \t"
    want = f"{local.lower()}@example.test"
    check_auth(register(anon, sent, new_password()), 201, secret, email=want)


@pytest.mark.parametrize("variant", [str.upper, lambda e: "  " + e + "  ",
                                     lambda e: " " + e.title() + "\t"])
def test_register_same_email_conflict(anon, secret, variant):
    email = new_email()
    first = check_auth(register(anon, email, new_password()), 201, secret, email=email)
    r = register(anon, variant(email), new_password())
    plain_error(r, 409, "CONFLICT")
    # the first account is untouched
    r = anon.get("/api/auth/me", headers=bearer(first["token"]))
    assert r.status_code == 200 and r.json() == first["user"], r.text


def test_register_and_login_need_no_token(anon, secret):
    # anon carries no Authorization header at all: these two routes are public.
    email, pw = new_email(), new_password()
    check_auth(register(anon, email, pw), 201, secret, email=email)
    check_auth(login(anon, email, pw), 200, secret, email=email)


def _email_of_length(n: int) -> str:
    """A well-formed address of exactly n characters (labels <= 63)."""
    local = rand_uid("").lower()[:10]
    domain_len = n - len(local) - 1
    labels, left = [], domain_len - len(".test")
    while left > 0:
        take = min(63, left)
        if left - take == 1:  # never leave a 0-length label after the dot
            take -= 1
        labels.append("d" * take)
        left -= take + 1  # the dot after the label
    domain = ".".join(labels)
    domain = domain[: domain_len - len(".test")] + ".test"
    email = f"{local}@{domain}"
    assert len(email) == n, (len(email), email)
    return email


def test_register_email_254_ok(anon, secret):
    email = _email_of_length(254)
    check_auth(register(anon, email, new_password()), 201, secret, email=email)


@pytest.mark.parametrize("email", [
    pytest.param(None, id="255-chars"),
    "plainaddress",
    "two@@example.test",
    "a@b@example.test",
    "user@localhost",
    "",
    "   ",
])
def test_register_bad_email(anon, email):
    if email is None:
        email = _email_of_length(255)
    validation_error(register(anon, email, new_password()), "email")


@pytest.mark.parametrize("pw", [
    "é" * 8,          # 8 code points, 16 bytes
    "😀" * 8,         # 8 code points, 32 bytes
    "x" * 128,
    "é" * 128,        # 128 code points, 256 bytes
    "日本語のパスワード",
])
def test_register_password_length_ok(anon, secret, pw):
    email = new_email()
    check_auth(register(anon, email, pw), 201, secret, email=email)
    check_auth(login(anon, email, pw), 200, secret, email=email)


@pytest.mark.parametrize("pw,code", [
    ("x" * 7, "too_short"),
    ("😀" * 7, "too_short"),   # 28 bytes but 7 code points
    ("", "too_short"),
    ("x" * 129, "too_long"),
    ("é" * 129, "too_long"),
])
def test_register_password_length_bad(anon, pw, code):
    validation_error(register(anon, new_email(), pw), "password", code)


def test_register_name_lengths(anon, secret):
    email = new_email()
    name = "ñ" * 100
    check_auth(register(anon, email, new_password(), name=name), 201, secret, email=email,
               name=name)
    validation_error(register(anon, new_email(), new_password(), name="ñ" * 101), "name",
                     "too_long")
    validation_error(register(anon, new_email(), new_password(), name="x" * 101), "name",
                     "too_long")


def test_register_unknown_key(anon):
    r = register(anon, new_email(), new_password(), role="admin")
    validation_error(r, "role", "unknown_field")
    r = register(anon, new_email(), new_password(), id="chosen-id")
    validation_error(r, "id", "unknown_field")


@pytest.mark.parametrize("body,field", [
    ({"email": 5, "password": "password123"}, "email"),
    ({"email": ["a@example.test"], "password": "password123"}, "email"),
    ({"email": "a@example.test", "password": 12345678}, "password"),
    ({"email": "a@example.test", "password": None}, "password"),
    ({"email": "a@example.test", "password": "password123", "name": 7}, "name"),
    ({"email": "a@example.test", "password": "password123", "name": {"first": "A"}}, "name"),
])
def test_register_wrong_types(anon, body, field):
    r = anon.post("/api/auth/register", json=body)
    validation_error(r, field, "wrong_type", "missing")
    if body.get(field) is not None:
        validation_error(r, field, "wrong_type")


def test_register_missing_fields(anon):
    r = anon.post("/api/auth/register", json={})
    body = validation_error(r, "email", "missing")
    validation_error(r, "password", "missing")
    assert "name" not in {e["field"] for e in body["errors"]}, body
    validation_error(anon.post("/api/auth/register", json={"email": new_email()}),
                     "password", "missing")
    validation_error(anon.post("/api/auth/register", json={"password": "password123"}),
                     "email", "missing")


def test_register_reports_every_problem(anon):
    r = anon.post("/api/auth/register", json={"email": "no-at-sign", "password": "short",
                                              "name": "n" * 101, "extra": True})
    body = validation_error(r, "email")
    validation_error(r, "password", "too_short")
    validation_error(r, "name", "too_long")
    validation_error(r, "extra", "unknown_field")
    assert len(body["errors"]) >= 4, body


@pytest.mark.parametrize("raw", [b"[]", b'"x"', b"null", b"42"])
def test_register_body_not_an_object(anon, raw):
    r = anon.post("/api/auth/register", content=raw,
                  headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    error_body(r, 400, r.json().get("code"))
    assert r.json()["code"] in ("VALIDATION_ERROR", "INVALID_JSON"), r.text


def test_register_invalid_json(anon):
    r = anon.post("/api/auth/register", content=b'{"email": ',
                  headers={"Content-Type": "application/json"})
    plain_error(r, 400, "INVALID_JSON")


def test_register_not_json_content_type(anon):
    r = anon.post("/api/auth/register", content=b"email=a@example.test&password=password123",
                  headers={"Content-Type": "application/x-www-form-urlencoded"})
    plain_error(r, 415, "UNSUPPORTED_MEDIA_TYPE")


# ------------------------------------------------------------------ login

def test_login_answer(anon, secret, account):
    email, pw, reg = account
    body = check_auth(login(anon, email, pw), 200, secret, email=email, uid=reg["user"]["id"])
    assert body["user"] == reg["user"]
    r = anon.get(f"/api/{reg['user']['id']}/tasks", headers=bearer(body["token"]))
    assert r.status_code == 200 and r.json() == [], r.text
    r = anon.get("/api/auth/me", headers=bearer(body["token"]))
    assert r.status_code == 200 and r.json() == reg["user"], r.text


def test_login_returns_the_registered_account(anon, secret):
    email, pw = new_email(), new_password()
    reg = check_auth(register(anon, email, pw, name="Grace"), 201, secret, email=email,
                     name="Grace")
    body = check_auth(login(anon, email, pw), 200, secret, email=email, name="Grace",
                      uid=reg["user"]["id"])
    assert body["user"]["created_at"] == reg["user"]["created_at"]


@pytest.mark.parametrize("variant", [str.upper, lambda e: "  " + e + " ",
                                     lambda e: "\t" + e.title() + "  "])
def test_login_email_case_and_spaces(anon, secret, account, variant):
    email, pw, reg = account
    check_auth(login(anon, variant(email), pw), 200, secret, email=email,
               uid=reg["user"]["id"])


def test_login_wrong_password_and_unknown_email_look_alike(anon, account):
    email, pw, _ = account
    wrong = bad_login(login(anon, email, pw + "x"))
    unknown = bad_login(login(anon, new_email(), pw))
    assert wrong == unknown
    r1 = login(anon, email, pw.upper())
    r2 = login(anon, "nobody-" + new_email(), "whatever-password")
    assert r1.content == r2.content, (r1.text, r2.text)


def test_login_password_is_case_sensitive_and_exact(anon, account):
    email, pw, _ = account
    bad_login(login(anon, email, pw.swapcase()))
    bad_login(login(anon, email, " " + pw))


def test_login_validation(anon):
    validation_error(anon.post("/api/auth/login", json={}), "email", "missing")
    validation_error(anon.post("/api/auth/login", json={}), "password", "missing")
    validation_error(anon.post("/api/auth/login", json={"email": new_email()}),
                     "password", "missing")
    validation_error(anon.post("/api/auth/login",
                               json={"email": new_email(), "password": "password123",
                                     "remember": True}), "remember", "unknown_field")
    validation_error(anon.post("/api/auth/login", json={"email": 1, "password": "password123"}),
                     "email", "wrong_type")
    validation_error(anon.post("/api/auth/login", json={"email": new_email(), "password": 1}),
                     "password", "wrong_type")


# ------------------------------------------------------------------ /me

def test_me_registered(anon, account):
    _, _, reg = account
    r = anon.get("/api/auth/me", headers=bearer(reg["token"]))
    assert r.status_code == 200, r.text
    check_user(r.json(), uid=reg["user"]["id"], email=reg["user"]["email"])
    assert r.json() == reg["user"]


def test_me_without_token(anon):
    unauthorized(anon.get("/api/auth/me"))


def test_me_bad_token(anon, account):
    _, _, reg = account
    unauthorized(anon.get("/api/auth/me", headers=bearer(reg["token"] + "x")))


def test_me_from_token_with_email(anon, mint):
    uid = rand_uid("fe_")
    r = anon.get("/api/auth/me", headers=bearer(mint(uid, email="Front@Example.test")))
    assert r.status_code == 200, r.text
    me = r.json()
    assert set(me) == USER_KEYS, me
    assert (me["id"], me["name"], me["created_at"]) == (uid, None, None), me
    # the claim's address (the server may lower-case it: emails compare case-insensitively)
    assert isinstance(me["email"], str) and me["email"].lower() == "front@example.test", me


def test_me_from_token_without_email(anon, mint):
    uid = rand_uid("fe_")
    r = anon.get("/api/auth/me", headers=bearer(mint(uid, drop=["email"])))
    assert r.status_code == 200, r.text
    assert r.json() == {"id": uid, "email": None, "name": None, "created_at": None}


def test_me_integer_subject(anon, mint):
    sub = int(time.time() * 1000) % 10**12 + 10**12
    r = anon.get("/api/auth/me", headers=bearer(mint(sub, drop=["email"])))
    assert r.status_code == 200, r.text
    assert r.json() == {"id": str(sub), "email": None, "name": None, "created_at": None}


def test_me_token_for_registered_id_answers_account(anon, mint, account):
    """A token from elsewhere for the same subject still finds the account."""
    _, _, reg = account
    r = anon.get("/api/auth/me", headers=bearer(mint(reg["user"]["id"], drop=["email"])))
    assert r.status_code == 200, r.text
    assert r.json() == reg["user"]


# ------------------------------------------------------------------ tasks of accounts

def test_accounts_tasks_are_separate(anon, secret):
    a = check_auth(register(anon, new_email(), new_password()), 201, secret, email=None)
    b = check_auth(register(anon, new_email(), new_password()), 201, secret, email=None)
    ua, ub = a["user"]["id"], b["user"]["id"]
    ha, hb = bearer(a["token"]), bearer(b["token"])

    r = anon.post(f"/api/{ua}/tasks", json={"title": "A's task"}, headers=ha)
    assert r.status_code == 201, r.text
    ta = r.json()
    check_task(ta, ua)
    r = anon.post(f"/api/{ub}/tasks", json={"title": "B's task"}, headers=hb)
    assert r.status_code == 201, r.text
    tb = r.json()
    check_task(tb, ub)

    r = anon.get(f"/api/{ua}/tasks", headers=ha)
    assert r.status_code == 200 and [t["id"] for t in r.json()] == [ta["id"]], r.text
    r = anon.get(f"/api/{ub}/tasks", headers=hb)
    assert r.status_code == 200 and [t["id"] for t in r.json()] == [tb["id"]], r.text

    # A's token on B's path: 403; B's task through A's path: 404.
    plain_error(anon.get(f"/api/{ub}/tasks", headers=ha), 403, "FORBIDDEN")
    plain_error(anon.get(f"/api/{ua}/tasks/{tb['id']}", headers=ha), 404, "NOT_FOUND")


def test_register_create_list_after_login(anon, secret):
    email, pw = new_email(), new_password()
    uid = check_auth(register(anon, email, pw), 201, secret, email=email)["user"]["id"]
    tok = check_auth(login(anon, email, pw), 200, secret, email=email, uid=uid)["token"]
    r = anon.post(f"/api/{uid}/tasks", json={"title": "from login"}, headers=bearer(tok))
    assert r.status_code == 201, r.text
    r = anon.get(f"/api/{uid}/tasks", headers=bearer(tok))
    assert r.status_code == 200 and [t["title"] for t in r.json()] == ["from login"], r.text


# ------------------------------------------------------------------ the log

def test_log_has_no_password_token_or_hash(server, anon, secret):
    email, pw = new_email(), new_password()
    reg = check_auth(register(anon, email, pw), 201, secret, email=email)
    got = check_auth(login(anon, email, pw), 200, secret, email=email)
    bad_login(login(anon, email, pw + "-wrong"))
    anon.get("/api/auth/me", headers=bearer(got["token"]))
    rid = "acct-" + rand_uid("")
    anon.get("/health", headers={"X-Request-ID": rid})
    deadline = time.monotonic() + 5
    while rid not in server.text() and time.monotonic() < deadline:
        time.sleep(0.05)
    out = server.text()
    assert rid in out, "the access log line of the last request never appeared"
    for s in (pw, pw + "-wrong", reg["token"], got["token"], got["token"].split(".")[2]):
        assert s not in out, f"{s!r} appears in the log"
    assert "$argon2" not in out, "a password hash appears in the log"


# ------------------------------------------------------------------ TOKEN_TTL

def test_token_ttl_setting(spawn_server):
    srv = spawn_server({"TOKEN_TTL": "3600"})
    with httpx.Client(base_url=srv.base_url, timeout=15.0) as c:
        email, pw = new_email(), new_password()
        check_auth(register(c, email, pw), 201, srv.secret, email=email, ttl=3600)
        check_auth(login(c, email, pw), 200, srv.secret, email=email, ttl=3600)


# ------------------------------------------------------------------ failed-login limits
# A dedicated server each, so the shared server's per-address budget is untouched.

def test_rate_limit_per_email(spawn_server):
    srv = spawn_server()
    with httpx.Client(base_url=srv.base_url, timeout=30.0) as c:
        email, pw = new_email(), new_password()
        check_auth(register(c, email, pw), 201, srv.secret, email=email)
        other, other_pw = new_email(), new_password()
        check_auth(register(c, other, other_pw), 201, srv.secret, email=other)

        # Ten failures are allowed; case and spaces do not make another email.
        variants = [email, email.upper(), " " + email + " "]
        for i in range(10):
            bad_login(login(c, variants[i % 3], f"wrong-password-{i}"))
        # More than ten: at the latest the 12th attempt is refused.
        r = login(c, email, "wrong-password-10")
        if r.status_code == 401:
            bad_login(r)
            r = login(c, email, "wrong-password-11")
        rate_limited(r)
        # Refused whatever the password, and under any spelling of the email.
        rate_limited(login(c, email, pw))
        rate_limited(login(c, "  " + email.upper(), pw))
        # Another email from the same address is not limited.
        check_auth(login(c, other, other_pw), 200, srv.secret, email=other)
        bad_login(login(c, other, "not-the-password"))


def test_rate_limit_unknown_email(spawn_server):
    srv = spawn_server()
    with httpx.Client(base_url=srv.base_url, timeout=30.0) as c:
        email = new_email()
        for i in range(10):
            bad_login(login(c, email, f"guess-{i}-password"))
        r = login(c, email, "guess-10-password")
        if r.status_code == 401:
            bad_login(r)
            r = login(c, email, "guess-11-password")
        rate_limited(r)


def _logins_concurrently(base_url: str, creds: list[tuple[str, str]], threads: int = 8):
    """Logs in with every (email, password) from `threads` threads that start
    together (each on its own connection); returns the threads, the responses
    (or exceptions) in order, and the monotonic time each one finished."""
    out: list = [None] * len(creds)
    done: list = [None] * len(creds)
    nxt = [0]
    lock = threading.Lock()
    start = threading.Barrier(threads)

    def worker():
        with httpx.Client(base_url=base_url, timeout=60.0) as c:
            start.wait(30)
            while True:
                with lock:
                    i = nxt[0]
                    nxt[0] += 1
                if i >= len(creds):
                    return
                try:
                    out[i] = login(c, *creds[i])
                except Exception as e:  # noqa: BLE001 - reported by the caller
                    out[i] = e
                done[i] = time.monotonic()

    ts = [threading.Thread(target=worker, daemon=True) for _ in range(threads)]
    for t in ts:
        t.start()
    return ts, out, done


def test_rate_limit_per_address(spawn_server):
    srv = spawn_server()
    with httpx.Client(base_url=srv.base_url, timeout=30.0) as c:
        email, pw = new_email(), new_password()
        check_auth(register(c, email, pw), 201, srv.secret, email=email)
        # 100 failures, each for a different email (one each: no email limit).
        creds = [(new_email(), "wrong-password") for _ in range(100)]
        ts, out, _ = _logins_concurrently(srv.base_url, creds)
        for t in ts:
            t.join(300)
        for r in out:
            assert isinstance(r, httpx.Response), r
            bad_login(r)
        r = login(c, new_email(), "wrong-password")
        if r.status_code == 401:
            bad_login(r)
            r = login(c, new_email(), "wrong-password")
        rate_limited(r)
        # From this address, even a right password is refused now.
        rate_limited(login(c, email, pw))


def test_successful_logins_are_not_failures(spawn_server):
    """Only failures count: many good logins for one email are all answered."""
    srv = spawn_server()
    with httpx.Client(base_url=srv.base_url, timeout=30.0) as c:
        email, pw = new_email(), new_password()
        check_auth(register(c, email, pw), 201, srv.secret, email=email)
        for _ in range(12):
            check_auth(login(c, email, pw), 200, srv.secret, email=email)
        # Ten at once (the whole per-email budget): none of them is a failure
        # either. An attempt counts against the budget while its password is
        # being checked, so that a burst of parallel guesses cannot slip past
        # the limit; more than ten in flight for one email is refused (README).
        ts, out, _ = _logins_concurrently(srv.base_url, [(email, pw)] * 10, threads=10)
        for t in ts:
            t.join(120)
        for r in out:
            assert isinstance(r, httpx.Response), r
            check_auth(r, 200, srv.secret, email=email)
        # And the budget is whole again afterwards.
        for _ in range(3):
            check_auth(login(c, email, pw), 200, srv.secret, email=email)


def test_hashing_does_not_block_the_event_loop(spawn_server):
    """While 40 logins are being checked (Argon2 on the blocking-work pool),
    /health is still answered: requests overlap with the password checks."""
    srv = spawn_server()
    creds = [(new_email(), "wrong-password") for _ in range(40)]
    with httpx.Client(base_url=srv.base_url, timeout=30.0) as c:
        assert c.get("/health").status_code == 200
        ts, out, done = _logins_concurrently(srv.base_url, creds, threads=40)
        time.sleep(0.05)
        overlapped = 0
        while any(t.is_alive() for t in ts):
            before = sum(d is None for d in done)
            r = c.get("/health")
            assert r.status_code == 200, r.text
            if before and any(d is None for d in done):
                overlapped += 1  # logins were in flight all along
            time.sleep(0.05)
        for t in ts:
            t.join(120)
    for r in out:
        assert isinstance(r, httpx.Response), r
        bad_login(r)
    # /health was answered while password checks were still running. (How
    # fast it answered is for bench/, not for a test on a shared machine.)
    assert overlapped > 0, "no /health request was answered while logins were in flight"
