"""API.md 7.1: ETags, If-None-Match (304) and If-Match (412), on both databases."""
import re
import threading

import httpx
import pytest

from apiutil import ALLOWED_ORIGINS, REQUEST_ID_RE, error_body, plain_error, rule_error, \
    validation_error

STRONG_ETAG = re.compile(r'^"[\x21\x23-\x7e]+"$')


def etag_of(r: httpx.Response) -> str:
    tag = r.headers.get("etag")
    assert tag is not None, (r.status_code, dict(r.headers))
    assert STRONG_ETAG.match(tag), tag
    return tag


def weak(tag: str) -> str:
    return "W/" + tag


def get(user, tid, **headers) -> httpx.Response:
    return user.http.get(user.task_path(tid), headers=headers)


def token_list(v):
    return {x.strip().lower() for x in (v or "").split(",") if x.strip()}


def metric(anon, name: str) -> float:
    text = anon.get("/metrics").text
    m = re.search(r"^" + re.escape(name) + r" (\S+)$", text, re.M)
    assert m, f"{name} missing from /metrics"
    return float(m.group(1))


# ------------------------------------------------------------------ ETag on every Task answer

def test_every_task_answer_has_an_etag_the_next_get_repeats(user):
    r = user.http.post(user.path, json={"title": "a"})
    assert r.status_code == 201
    tid, tag = r.json()["id"], etag_of(r)
    assert etag_of(get(user, tid)) == tag
    for send in (lambda: user.patch(tid, {"title": "b"}),
                 lambda: user.put(tid, {"title": "c", "priority": "high"}),
                 lambda: user.complete(tid),
                 lambda: user.complete(tid, {"completed": False})):
        r = send()
        assert r.status_code == 200, r.text
        new = etag_of(r)
        assert new != tag, "a change must give a new ETag"
        assert etag_of(get(user, tid)) == new
        tag = new


def test_etag_changes_twice_in_one_second(user):
    t = user.create(title="fast")
    tags = {etag_of(get(user, t["id"]))}
    for i in range(5):
        tags.add(etag_of(user.patch(t["id"], {"title": f"fast {i}"})))
    assert len(tags) == 6, tags


def test_a_request_that_changes_nothing_keeps_the_etag(user):
    t = user.create(title="same")
    tag = etag_of(get(user, t["id"]))
    r = user.complete(t["id"], {"completed": False})  # already incomplete
    assert r.status_code == 200 and etag_of(r) == tag
    assert r.json()["updated_at"] == t["updated_at"]


def test_etags_differ_between_tasks_and_users(users):
    a, b = users(), users()
    tags = {etag_of(get(u, u.create(title="x")["id"])) for u in (a, b, a)}
    assert len(tags) == 3


def test_every_server_gives_the_same_etag(user, spawn_server, server):
    """A second server on the same database computes the same ETag."""
    t = user.create(title="shared")
    tag = etag_of(get(user, t["id"]))
    other = spawn_server(env_extra={"DATABASE_URL": server.env["DATABASE_URL"]},
                         secret=server.secret)
    with httpx.Client(base_url=other.base_url, timeout=15.0,
                      headers={"Authorization": f"Bearer {user.token}"}) as c:
        r = c.get(user.task_path(t["id"]))
        assert r.status_code == 200 and etag_of(r) == tag
        r = c.patch(user.task_path(t["id"]), json={"title": "moved"}, headers={"If-Match": tag})
        assert r.status_code == 200
    assert etag_of(get(user, t["id"])) == etag_of(r)


# ------------------------------------------------------------------ If-None-Match

def test_if_none_match_304(user):
    t = user.create(title="cached")
    tag = etag_of(get(user, t["id"]))
    for value in (tag, weak(tag), f'"nope", {tag}', f'"x" ,, {weak(tag)}', "*",
                  f'"a", "b", "c", "d", "e", "f", "g", "h", "i", "j", "k", "l", "m", "n", '
                  f'"o", "p", "q", "r", {tag}'):
        r = get(user, t["id"], **{"If-None-Match": value, "X-Request-ID": "cond-1"})
        assert r.status_code == 304, (value, r.status_code, r.text)
        assert r.content == b""
        assert r.headers.get("etag") == tag
        assert r.headers.get("x-request-id") == "cond-1"
        assert "content-type" not in r.headers


def test_if_none_match_on_several_header_lines(user, base_url):
    t = user.create(title="lines")
    tag = etag_of(get(user, t["id"]))
    headers = [("Authorization", f"Bearer {user.token}"), ("If-None-Match", '"other"'),
               ("If-None-Match", tag)]
    with httpx.Client(base_url=base_url, timeout=15.0) as c:
        r = c.get(user.task_path(t["id"]), headers=headers)
    assert r.status_code == 304


def test_if_none_match_that_does_not_match_is_200(user):
    t = user.create(title="fresh")
    tag = etag_of(get(user, t["id"]))
    user.patch(t["id"], {"title": "changed"})
    for value in (tag, '"nope"', "garbage", '"unterminated', "W/", ",", "**", ""):
        r = get(user, t["id"], **{"If-None-Match": value})
        assert r.status_code == 200, (value, r.status_code)
        assert r.json()["title"] == "changed"
        assert etag_of(r) != tag


def test_304_carries_cors_headers(user):
    t = user.create(title="cors")
    tag = etag_of(get(user, t["id"]))
    origin = ALLOWED_ORIGINS[0]
    r = get(user, t["id"], **{"If-None-Match": tag, "Origin": origin})
    assert r.status_code == 304
    assert r.headers.get("access-control-allow-origin") == origin
    assert "etag" in token_list(r.headers.get("access-control-expose-headers"))
    assert REQUEST_ID_RE.match(r.headers.get("x-request-id", ""))


def test_if_none_match_on_missing_task_is_404(user):
    plain_error(get(user, 99999999, **{"If-None-Match": "*"}), 404, "NOT_FOUND")


# ------------------------------------------------------------------ If-Match

WRITES = [
    ("PATCH", "", {"title": "written"}),
    ("PUT", "", {"title": "written"}),
    ("PATCH", "/complete", {"completed": True}),
    ("DELETE", "", None),
]


def write(user, tid, method, suffix, body, if_match=None):
    headers = {} if if_match is None else {"If-Match": if_match}
    return user.http.request(method, user.task_path(tid) + suffix, json=body, headers=headers)


@pytest.mark.parametrize("method,suffix,body", WRITES)
def test_if_match_current_etag_writes(user, method, suffix, body):
    for value_of in (lambda t: t, lambda t: f'"other", {t}', lambda t: "*"):
        t = user.create(title="orig")
        tag = etag_of(get(user, t["id"]))
        r = write(user, t["id"], method, suffix, body, value_of(tag))
        assert r.status_code == (204 if method == "DELETE" else 200), r.text
        if method == "DELETE":
            assert user.http.get(user.task_path(t["id"])).status_code == 404
        else:
            assert etag_of(r) != tag


@pytest.mark.parametrize("method,suffix,body", WRITES)
def test_if_match_stale_etag_is_412_and_changes_nothing(user, anon, method, suffix, body):
    t = user.create(title="orig")
    stale = etag_of(get(user, t["id"]))
    user.patch(t["id"], {"title": "moved on"})
    before = get(user, t["id"])
    count = metric(anon, "todo_precondition_failed_total")
    for value in (stale, weak(etag_of(before)), '"nope"', "garbage", '"1-1"', f"{stale}, W/{stale}"):
        r = write(user, t["id"], method, suffix, body, value)
        plain_error(r, 412, "PRECONDITION_FAILED")
    after = get(user, t["id"])
    assert after.json() == before.json()
    assert etag_of(after) == etag_of(before)
    assert metric(anon, "todo_precondition_failed_total") >= count + 6


@pytest.mark.parametrize("method,suffix,body", WRITES)
def test_if_match_on_missing_task_is_404(users, method, suffix, body):
    a, b = users(), users()
    t = a.create(title="a's")
    tag = etag_of(get(a, t["id"]))
    plain_error(write(a, 99999999, method, suffix, body, tag), 404, "NOT_FOUND")
    plain_error(write(a, 99999999, method, suffix, body, "*"), 404, "NOT_FOUND")
    # another user's task is 404 too, whatever If-Match says
    plain_error(write(b, t["id"], method, suffix, body, tag), 404, "NOT_FOUND")
    assert etag_of(get(a, t["id"])) == tag


def test_check_order_400_before_412_before_422(user):
    t = user.create(title="order")
    stale = etag_of(get(user, t["id"]))
    user.patch(t["id"], {"title": "newer"})
    current = etag_of(get(user, t["id"]))
    # a bad field is 400 whatever If-Match says
    validation_error(user.http.patch(user.task_path(t["id"]), json={"priority": "urgent"},
                                     headers={"If-Match": stale}), "priority")
    # a bad path id is 400 too
    validation_error(user.http.patch(user.path + "/abc", json={"title": "x"},
                                     headers={"If-Match": stale}), "path.id")
    # a rule across fields with a stale ETag: 412 first
    broken = {"due_time": "10:00"}  # due_time without due_date
    plain_error(user.http.patch(user.task_path(t["id"]), json=broken,
                                headers={"If-Match": stale}), 412, "PRECONDITION_FAILED")
    # with the current ETag the rule answers
    rule_error(user.http.patch(user.task_path(t["id"]), json=broken,
                               headers={"If-Match": current}), "due_time")
    assert etag_of(get(user, t["id"])) == current


def test_without_if_match_writes_go_on(user):
    t = user.create(title="plain")
    assert user.patch(t["id"], {"title": "b"}).status_code == 200
    assert user.http.delete(user.task_path(t["id"])).status_code == 204


def race(user, tid, tag, requests):
    """Sends the requests at once, each on its own connection; returns the answers."""
    barrier = threading.Barrier(len(requests))
    out = [None] * len(requests)

    def run(i, method, suffix, body):
        with httpx.Client(base_url=user.base_url, timeout=30.0,
                          headers={"Authorization": f"Bearer {user.token}"}) as c:
            c.get("/health")  # connect before the barrier
            barrier.wait()
            out[i] = c.request(method, user.task_path(tid) + suffix, json=body,
                               headers={"If-Match": tag})

    threads = [threading.Thread(target=run, args=(i, *req)) for i, req in enumerate(requests)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    return out


@pytest.mark.parametrize("second", [("PATCH", "", {"title": "two"}),
                                    ("PUT", "", {"title": "two"}),
                                    ("PATCH", "/complete", None)])
def test_two_writers_with_one_etag_exactly_one_wins(user, second):
    for round_ in range(8):
        t = user.create(title="race")
        tag = etag_of(get(user, t["id"]))
        answers = race(user, t["id"], tag, [("PATCH", "", {"title": "one"}), second])
        statuses = sorted(r.status_code for r in answers)
        assert statuses == [200, 412], (round_, [(r.status_code, r.text) for r in answers])
        winner = next(r for r in answers if r.status_code == 200)
        error_body(next(r for r in answers if r.status_code == 412), 412, "PRECONDITION_FAILED")
        now = get(user, t["id"])
        assert now.json() == winner.json() and etag_of(now) == etag_of(winner)


def test_delete_racing_a_write_with_one_etag(user):
    for round_ in range(8):
        t = user.create(title="race")
        tag = etag_of(get(user, t["id"]))
        answers = race(user, t["id"], tag, [("PATCH", "", {"title": "one"}), ("DELETE", "", None)])
        statuses = sorted(r.status_code for r in answers)
        # the delete wins (204, then the write finds no task: 404) or the write wins (412)
        assert statuses in ([204, 404], [200, 412]), (round_, statuses)
        gone = user.http.get(user.task_path(t["id"])).status_code == 404
        assert gone == (statuses == [204, 404])


# ------------------------------------------------------------------ CORS

def test_preflight_allows_the_conditional_headers(anon):
    r = anon.options("/api/u_x/tasks/5", headers={
        "Origin": ALLOWED_ORIGINS[0], "Access-Control-Request-Method": "PATCH",
        "Access-Control-Request-Headers": "if-match, if-none-match, idempotency-key"})
    assert r.status_code in (200, 204)
    allowed = token_list(r.headers.get("access-control-allow-headers"))
    assert {"if-match", "if-none-match", "idempotency-key"} <= allowed, allowed


def test_cors_exposes_the_new_headers(user):
    r = user.http.post(user.path, json={"title": "x"}, headers={"Origin": ALLOWED_ORIGINS[1]})
    exposed = token_list(r.headers.get("access-control-expose-headers"))
    assert {"etag", "link", "idempotent-replayed", "x-total-count", "x-request-id",
            "location"} <= exposed, exposed
