"""API.md 3: bearer tokens (HS256) and the user in the path."""
import base64
import json
import random
import time

import jwt
import pytest

from apiutil import SECRETS_SENT, plain_error, rand_uid


def b64(obj) -> str:
    raw = obj if isinstance(obj, bytes) else json.dumps(obj, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def unauthorized(r):
    body = plain_error(r, 401, "UNAUTHORIZED")
    assert r.headers.get("www-authenticate", "").split(" ")[0].lower() == "bearer", dict(r.headers)
    return body


def get_tasks(client, uid, token):
    SECRETS_SENT.add(token)
    return client().get(f"/api/{uid}/tasks", headers={"Authorization": f"Bearer {token}"})


# ------------------------------------------------------------------ header forms

def test_missing_token(anon):
    uid = rand_uid()
    unauthorized(anon.get(f"/api/{uid}/tasks"))
    unauthorized(anon.post(f"/api/{uid}/tasks", json={"title": "x"}))
    unauthorized(anon.get(f"/api/{uid}/tasks/1"))
    unauthorized(anon.put(f"/api/{uid}/tasks/1", json={"title": "x"}))
    unauthorized(anon.patch(f"/api/{uid}/tasks/1", json={"title": "x"}))
    unauthorized(anon.patch(f"/api/{uid}/tasks/1/complete"))
    unauthorized(anon.delete(f"/api/{uid}/tasks/1"))


@pytest.mark.parametrize("header", ["Basic dXNlcjpwYXNz", "Bearer", "Token abc",
                                    "Bearer not-a-jwt", "Bearer a.b.c", "Bearer ...",
                                    "Bearer a.b", "Bearer %%%.%%%.%%%", "BearerX abc"])
def test_malformed_authorization(client, header):
    uid = rand_uid()
    unauthorized(client().get(f"/api/{uid}/tasks", headers={"Authorization": header}))


def test_bearer_scheme_case_insensitive(client, mint):
    uid = rand_uid()
    tok = mint(uid)
    r = client().get(f"/api/{uid}/tasks", headers={"Authorization": f"bearer {tok}"})
    assert r.status_code == 200, r.text


def test_valid_token(client, mint):
    uid = rand_uid()
    r = get_tasks(client, uid, mint(uid))
    assert r.status_code == 200 and r.json() == []


def test_email_optional(client, mint):
    uid = rand_uid()
    assert get_tasks(client, uid, mint(uid, drop=["email"])).status_code == 200


# ------------------------------------------------------------------ signature and algorithm

def test_wrong_secret(client):
    uid = rand_uid()
    tok = jwt.encode({"sub": uid, "iat": int(time.time()), "exp": int(time.time()) + 600},
                     "x" * 48, algorithm="HS256")
    unauthorized(get_tasks(client, uid, tok))


def test_tampered_payload(client, mint):
    uid, other = rand_uid(), rand_uid()
    tok = mint(other)
    h, _, s = tok.split(".")
    now = int(time.time())
    forged = f"{h}.{b64({'sub': uid, 'iat': now, 'exp': now + 600})}.{s}"
    unauthorized(get_tasks(client, uid, forged))


def test_tampered_signature(client, mint):
    uid = rand_uid()
    h, p, s = mint(uid).split(".")
    flipped = ("A" if s[0] != "A" else "B") + s[1:]
    unauthorized(get_tasks(client, uid, f"{h}.{p}.{flipped}"))
    unauthorized(get_tasks(client, uid, f"{h}.{p}."))
    unauthorized(get_tasks(client, uid, f"{h}.{p}"))


def test_alg_none(client):
    uid = rand_uid()
    now = int(time.time())
    claims = {"sub": uid, "iat": now, "exp": now + 600}
    for alg in ("none", "None", "NONE"):
        body = f"{b64({'alg': alg, 'typ': 'JWT'})}.{b64(claims)}"
        unauthorized(get_tasks(client, uid, body + "."))
    unauthorized(get_tasks(client, uid, jwt.encode(claims, None, algorithm="none")))


@pytest.mark.parametrize("alg", ["HS384", "HS512"])
def test_other_hmac_algorithms_rejected(client, secret, alg):
    uid = rand_uid()
    now = int(time.time())
    tok = jwt.encode({"sub": uid, "iat": now, "exp": now + 600}, secret, algorithm=alg)
    unauthorized(get_tasks(client, uid, tok))


def test_header_alg_swapped_to_hs256_with_other_alg_signature(client, secret):
    uid = rand_uid()
    now = int(time.time())
    tok = jwt.encode({"sub": uid, "iat": now, "exp": now + 600}, secret, algorithm="HS512")
    _, p, s = tok.split(".")
    unauthorized(get_tasks(client, uid, f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{p}.{s}"))


def test_garbage_header_json(client, secret):
    uid = rand_uid()
    now = int(time.time())
    import hmac
    import hashlib
    for header in (b"not json", b"[]", b'{"typ":"JWT"}', b'{"alg":5}'):
        signing = f"{b64(header)}.{b64({'sub': uid, 'exp': now + 600})}"
        sig = base64.urlsafe_b64encode(hmac.new(secret.encode(), signing.encode(),
                                                hashlib.sha256).digest()).rstrip(b"=").decode()
        unauthorized(get_tasks(client, uid, f"{signing}.{sig}"))


def test_hand_signed_hs256_accepted(client, secret):
    """The same construction as above with a proper header is accepted, so the
    rejections above are about the header, not the signing code."""
    import hmac
    import hashlib
    uid = rand_uid()
    now = int(time.time())
    signing = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64({'sub': uid, 'exp': now + 600})}"
    sig = base64.urlsafe_b64encode(hmac.new(secret.encode(), signing.encode(),
                                            hashlib.sha256).digest()).rstrip(b"=").decode()
    assert get_tasks(client, uid, f"{signing}.{sig}").status_code == 200


def test_payload_not_json(client, secret):
    import hmac
    import hashlib
    uid = rand_uid()
    for payload in (b"garbage", b"[1,2]", b'"str"'):
        signing = f"{b64({'alg': 'HS256', 'typ': 'JWT'})}.{b64(payload)}"
        sig = base64.urlsafe_b64encode(hmac.new(secret.encode(), signing.encode(),
                                                hashlib.sha256).digest()).rstrip(b"=").decode()
        unauthorized(get_tasks(client, uid, f"{signing}.{sig}"))


# ------------------------------------------------------------------ time claims

def test_exp_required(client, mint):
    uid = rand_uid()
    unauthorized(get_tasks(client, uid, mint(uid, drop=["exp"])))


def test_expired_beyond_leeway(client, mint):
    uid = rand_uid()
    now = int(time.time())
    unauthorized(get_tasks(client, uid, mint(uid, iat=now - 7200, exp=now - 120)))
    unauthorized(get_tasks(client, uid, mint(uid, iat=now - 7200, exp=now - 3600)))


def test_expired_within_leeway_ok(client, mint):
    uid = rand_uid()
    now = int(time.time())
    assert get_tasks(client, uid, mint(uid, iat=now - 7200, exp=now - 20)).status_code == 200


def test_nbf(client, mint):
    uid = rand_uid()
    now = int(time.time())
    assert get_tasks(client, uid, mint(uid, nbf=now + 20)).status_code == 200
    unauthorized(get_tasks(client, uid, mint(uid, nbf=now + 180)))
    assert get_tasks(client, uid, mint(uid, nbf=now - 100)).status_code == 200


def test_iat_in_future(client, mint):
    uid = rand_uid()
    now = int(time.time())
    assert get_tasks(client, uid, mint(uid, iat=now + 20)).status_code == 200
    unauthorized(get_tasks(client, uid, mint(uid, iat=now + 180)))


@pytest.mark.parametrize("claim,value", [("exp", "tomorrow"), ("exp", None), ("exp", [1]),
                                         ("nbf", "now"), ("iat", "now"), ("exp", True)])
def test_malformed_time_claims(client, mint, claim, value):
    uid = rand_uid()
    unauthorized(get_tasks(client, uid, mint(uid, **{claim: value})))


def test_fractional_exp_accepted(client, mint):
    uid = rand_uid()
    assert get_tasks(client, uid, mint(uid, exp=time.time() + 600.5)).status_code == 200


# ------------------------------------------------------------------ sub

@pytest.mark.parametrize("sub", ["", "a/b", "a b", "x" * 129, "caf\u00e9", "a\nb", "a%20b",
                                 "a,b", "a*", "a:b", None, 1.5, True, ["a"], {"id": "a"}])
def test_bad_sub_is_401(client, mint, sub):
    valid_path_user = rand_uid()
    unauthorized(get_tasks(client, valid_path_user, mint(sub)))


def test_missing_sub_is_401(client, mint):
    uid = rand_uid()
    unauthorized(get_tasks(client, uid, mint(uid, drop=["sub"])))


@pytest.mark.parametrize("make", [lambda: "x" * 128, lambda: "A.z-_9" + rand_uid(),
                                  lambda: ".a.", lambda: "-", lambda: "9"])
def test_sub_charset_and_length_ok(client, mint, make):
    sub = make()
    r = get_tasks(client, sub, mint(sub))
    assert r.status_code == 200, r.text


def test_integer_sub(client, mint):
    n = random.randint(10**9, 10**12)
    tok = mint(n)
    c = client(token=tok)
    r = c.get(f"/api/{n}/tasks")
    assert r.status_code == 200, r.text
    r = c.post(f"/api/{n}/tasks", json={"title": "int user"})
    assert r.status_code == 201, r.text
    assert r.json()["user_id"] == str(n)
    assert c.get(f"/api/{n}/tasks/{r.json()['id']}").status_code == 200
    # "exactly": a leading zero is another user
    plain_error(c.get(f"/api/0{n}/tasks"), 403, "FORBIDDEN")


def test_string_and_integer_sub_are_the_same_user(client, mint):
    n = random.randint(10**9, 10**12)
    a = client(token=mint(n))
    b = client(token=mint(str(n)))
    t = a.post(f"/api/{n}/tasks", json={"title": "shared"}).json()
    r = b.get(f"/api/{n}/tasks/{t['id']}")
    assert r.status_code == 200 and r.json() == t


# ------------------------------------------------------------------ path user

def test_other_users_path_is_403(client, mint, user):
    other = rand_uid()
    c = user.http
    for r in (c.get(f"/api/{other}/tasks"),
              c.post(f"/api/{other}/tasks", json={"title": "x"}),
              c.get(f"/api/{other}/tasks/1"),
              c.put(f"/api/{other}/tasks/1", json={"title": "x"}),
              c.patch(f"/api/{other}/tasks/1", json={"title": "x"}),
              c.patch(f"/api/{other}/tasks/1/complete"),
              c.delete(f"/api/{other}/tasks/1")):
        plain_error(r, 403, "FORBIDDEN")


def test_403_whatever_the_path_user_holds(user):
    t = user.create(title="mine")
    for other in (user.uid.upper(), user.uid + "x", user.uid[:-1], "x" * 129, "a%20b",
                  "%F0%9F%98%80", user.uid + "%20", "caf%C3%A9"):
        plain_error(user.http.get(f"/api/{other}/tasks"), 403, "FORBIDDEN")
        plain_error(user.http.get(f"/api/{other}/tasks/{t['id']}"), 403, "FORBIDDEN")
    assert user.get(t["id"]) == t


def test_403_does_not_touch_the_other_users_data(users):
    a, b = users(), users()
    t = a.create(title="a's")
    r = b.http.delete(f"/api/{a.uid}/tasks/{t['id']}")
    plain_error(r, 403, "FORBIDDEN")
    r = b.http.patch(f"/api/{a.uid}/tasks/{t['id']}", json={"title": "pwned"})
    plain_error(r, 403, "FORBIDDEN")
    assert a.get(t["id"]) == t
