"""API.md 4.1 and 4.3: the Task object and the task routes."""
import datetime as dt
import time

import pytest

from apiutil import (EDITABLE_KEYS, TASK_KEYS, check_task, location_path, parse_ts,
                     plain_error, validation_error)

FULL = {
    "title": "Weekly team standup", "description": "Discuss sprint progress", "priority": "high",
    "tags": "work,meeting,weekly", "due_date": "2025-12-11", "due_time": "09:00:00",
    "recurrence_pattern": "weekly", "recurrence_day": 1,
}


def _near_now(ts: str, slack: float = 120.0) -> None:
    t = parse_ts(ts)
    now = dt.datetime.now(dt.timezone.utc)
    assert abs((now - t).total_seconds()) < slack, f"{ts} is not the current UTC time ({now})"


# ------------------------------------------------------------------ create and the object

def test_create_minimal_has_every_key_with_nulls(user):
    r = user.http.post(user.path, json={"title": "Buy milk"})
    assert r.status_code == 201, r.text
    t = r.json()
    check_task(t, user.uid)
    assert list(t) and set(t) == set(TASK_KEYS)
    assert t["title"] == "Buy milk"
    for k in ("description", "priority", "tags", "due_date", "due_time", "recurrence_pattern",
              "recurrence_day", "completed_at"):
        assert k in t and t[k] is None, (k, t)
    assert t["completed"] is False
    _near_now(t["created_at"])
    _near_now(t["updated_at"])
    assert abs((parse_ts(t["updated_at"]) - parse_ts(t["created_at"])).total_seconds()) <= 1


def test_create_full_returns_every_field(user):
    r = user.http.post(user.path, json=FULL)
    assert r.status_code == 201, r.text
    t = r.json()
    check_task(t, user.uid)
    for k, v in FULL.items():
        assert t[k] == v, (k, t)


def test_create_201_location_points_at_new_task(user):
    r = user.http.post(user.path, json={"title": "loc"})
    assert r.status_code == 201
    t = r.json()
    assert location_path(r) == f"/api/{user.uid}/tasks/{t['id']}"
    g = user.http.get(location_path(r))
    assert g.status_code == 200 and g.json() == t


def test_create_response_is_json(user):
    r = user.http.post(user.path, json={"title": "ct"})
    assert r.headers["content-type"].split(";")[0].strip() == "application/json"


def test_ids_are_distinct_and_increasing(user):
    a = user.create(title="a")
    b = user.create(title="b")
    assert b["id"] > a["id"]


def test_get_one(user):
    t = user.create(**FULL)
    r = user.http.get(user.task_path(t["id"]))
    assert r.status_code == 200
    assert r.json() == t


def test_get_missing_task_404(user):
    r = user.http.get(user.task_path(9223372036854775807))
    plain_error(r, 404, "NOT_FOUND")


def test_read_only_keys_ignored_on_create(user):
    r = user.http.post(user.path, json={
        "title": "ro", "id": 987654321, "user_id": "someone_else", "completed": True,
        "completed_at": "2020-01-01T00:00:00Z", "created_at": "zzz", "updated_at": 5})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["id"] != 987654321
    assert t["user_id"] == user.uid
    assert t["completed"] is False and t["completed_at"] is None
    _near_now(t["created_at"])


def test_fetched_object_can_be_sent_back_with_put_and_patch(user):
    t = user.create(**FULL)
    r = user.put(t["id"], t)
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in EDITABLE_KEYS} == {k: t[k] for k in EDITABLE_KEYS}
    r = user.patch(t["id"], r.json())
    assert r.status_code == 200, r.text
    assert {k: r.json()[k] for k in EDITABLE_KEYS} == {k: t[k] for k in EDITABLE_KEYS}


# ------------------------------------------------------------------ PUT

def test_put_replaces_and_nulls_omitted_fields(user):
    t = user.create(**FULL)
    r = user.put(t["id"], {"title": "  Replaced  "})
    assert r.status_code == 200, r.text
    p = r.json()
    check_task(p, user.uid)
    assert p["id"] == t["id"] and p["title"] == "Replaced"
    for k in ("description", "priority", "tags", "due_date", "due_time", "recurrence_pattern",
              "recurrence_day"):
        assert p[k] is None, (k, p)
    assert p["created_at"] == t["created_at"]
    assert user.get(t["id"]) == p


def test_put_requires_title(user):
    t = user.create(title="x")
    validation_error(user.put(t["id"], {"priority": "low"}), "title", "missing")
    assert user.get(t["id"]) == t


def test_put_keeps_completion(user):
    t = user.create(title="done soon")
    c = user.complete(t["id"], {"completed": True}).json()
    r = user.put(t["id"], {"title": "renamed"})
    assert r.status_code == 200
    assert r.json()["completed"] is True and r.json()["completed_at"] == c["completed_at"]


def test_put_missing_task_404(user):
    plain_error(user.put(9223372036854775807, {"title": "x"}), 404, "NOT_FOUND")


# ------------------------------------------------------------------ PATCH

def test_patch_changes_only_given_fields(user):
    t = user.create(**FULL)
    r = user.patch(t["id"], {"priority": "low", "description": None})
    assert r.status_code == 200, r.text
    p = r.json()
    for k in EDITABLE_KEYS:
        if k == "priority":
            assert p[k] == "low"
        elif k == "description":
            assert p[k] is None
        else:
            assert p[k] == t[k], k
    assert user.get(t["id"]) == p


def test_patch_trims_title_and_normalises_tags(user):
    t = user.create(title="x")
    p = user.patch(t["id"], {"title": "\t new title \n", "tags": " A, b ,a"}).json()
    assert p["title"] == "new title" and p["tags"] == "A,b"


def test_patch_title_null_is_400(user):
    t = user.create(title="x")
    validation_error(user.patch(t["id"], {"title": None}), "title", "wrong_type")
    assert user.get(t["id"])["title"] == "x"


def test_patch_empty_title_is_400(user):
    t = user.create(title="x")
    validation_error(user.patch(t["id"], {"title": "   "}), "title", "too_short")


def test_patch_ignores_completed(user):
    t = user.create(title="x")
    r = user.patch(t["id"], {"completed": True, "title": "y"})
    assert r.status_code == 200, r.text
    assert r.json()["completed"] is False and r.json()["completed_at"] is None
    assert r.json()["title"] == "y"


def test_patch_missing_task_404(user):
    plain_error(user.patch(9223372036854775807, {"title": "x"}), 404, "NOT_FOUND")


def test_invalid_change_leaves_task_untouched(user):
    t = user.create(**FULL)
    r = user.patch(t["id"], {"title": "new", "priority": "urgent"})
    validation_error(r, "priority", "invalid_choice")
    assert user.get(t["id"]) == t
    r = user.put(t["id"], {"title": "new", "due_time": "10:00"})
    assert r.status_code == 422
    assert user.get(t["id"]) == t


# ------------------------------------------------------------------ complete

def test_complete_toggle_without_body(user):
    t = user.create(title="t")
    r = user.complete(t["id"])
    assert r.status_code == 200, r.text
    c = r.json()
    check_task(c, user.uid)
    assert c["id"] == t["id"] and c["completed"] is True
    _near_now(c["completed_at"])
    r = user.complete(t["id"])
    assert r.status_code == 200
    assert r.json()["completed"] is False and r.json()["completed_at"] is None


@pytest.mark.parametrize("body", [{}, {"completed": None}])
def test_complete_toggle_with_empty_or_null_body(user, body):
    t = user.create(title="t")
    r = user.complete(t["id"], body)
    assert r.status_code == 200, r.text
    assert r.json()["completed"] is True
    r = user.complete(t["id"], body)
    assert r.json()["completed"] is False and r.json()["completed_at"] is None


def test_complete_set_true_and_false(user):
    t = user.create(title="t")
    a = user.complete(t["id"], {"completed": True}).json()
    assert a["completed"] is True and a["completed_at"]
    b = user.complete(t["id"], {"completed": True}).json()
    assert b["completed"] is True and b["completed_at"] == a["completed_at"]
    c = user.complete(t["id"], {"completed": False}).json()
    assert c["completed"] is False and c["completed_at"] is None
    d = user.complete(t["id"], {"completed": False}).json()
    assert d["completed"] is False
    assert user.get(t["id"]) == d


def test_complete_shows_in_get(user):
    t = user.create(title="t")
    c = user.complete(t["id"]).json()
    assert user.get(t["id"]) == c


@pytest.mark.parametrize("body", [{"completed": "yes"}, {"completed": 1}, {"completed": "true"}])
def test_complete_wrong_type_400(user, body):
    t = user.create(title="t")
    validation_error(user.complete(t["id"], body), "completed", "wrong_type")
    assert user.get(t["id"])["completed"] is False


def test_complete_unknown_key_400(user):
    t = user.create(title="t")
    validation_error(user.complete(t["id"], {"completed": True, "bogus": 1}), "bogus",
                     "unknown_field")
    assert user.get(t["id"])["completed"] is False


def test_complete_missing_task_404(user):
    plain_error(user.complete(9223372036854775807), 404, "NOT_FOUND")


# ------------------------------------------------------------------ updated_at / no-op

def test_updated_at_moves_on_change_and_not_on_noop(user):
    t = user.create(**FULL)
    done = user.create(title="done")
    done = user.complete(done["id"], {"completed": True}).json()
    time.sleep(1.1)
    # requests that change nothing leave updated_at (and completed_at) alone
    for r in (user.patch(t["id"], {}),
              user.patch(t["id"], {"title": t["title"], "priority": t["priority"]}),
              user.put(t["id"], {k: t[k] for k in EDITABLE_KEYS}),
              user.complete(t["id"], {"completed": False})):
        assert r.status_code == 200, r.text
        assert r.json()["updated_at"] == t["updated_at"], r.json()
    assert user.get(t["id"]) == t
    again = user.complete(done["id"], {"completed": True}).json()
    assert again["completed_at"] == done["completed_at"]
    assert again["updated_at"] == done["updated_at"]
    # a real change moves it, and not created_at
    p = user.patch(t["id"], {"priority": "low"}).json()
    assert parse_ts(p["updated_at"]) > parse_ts(t["updated_at"])
    _near_now(p["updated_at"])
    assert p["created_at"] == t["created_at"]
    c = user.complete(t["id"]).json()
    assert parse_ts(c["updated_at"]) >= parse_ts(p["updated_at"])
    assert parse_ts(c["completed_at"]) > parse_ts(t["updated_at"])


def test_put_change_moves_updated_at(user):
    t = user.create(title="x")
    time.sleep(1.1)
    p = user.put(t["id"], {"title": "y"}).json()
    assert parse_ts(p["updated_at"]) > parse_ts(t["updated_at"])
    assert p["created_at"] == t["created_at"]


# ------------------------------------------------------------------ delete

def test_delete_204_then_gone(user):
    t = user.create(title="bye")
    keep = user.create(title="stay")
    r = user.http.delete(user.task_path(t["id"]))
    assert r.status_code == 204
    assert r.content == b""
    plain_error(user.http.get(user.task_path(t["id"])), 404, "NOT_FOUND")
    plain_error(user.http.delete(user.task_path(t["id"])), 404, "NOT_FOUND")
    plain_error(user.patch(t["id"], {"title": "x"}), 404, "NOT_FOUND")
    plain_error(user.complete(t["id"]), 404, "NOT_FOUND")
    assert user.ids() == [keep["id"]]


# ------------------------------------------------------------------ isolation between users

def test_other_users_task_is_404_through_own_path(users):
    a, b = users(), users()
    t = a.create(**FULL)
    for r in (b.http.get(b.task_path(t["id"])),
              b.put(t["id"], {"title": "stolen"}),
              b.patch(t["id"], {"title": "stolen"}),
              b.complete(t["id"]),
              b.complete(t["id"], {"completed": True}),
              b.http.delete(b.task_path(t["id"]))):
        plain_error(r, 404, "NOT_FOUND")
    assert a.get(t["id"]) == t
    assert b.list() == []
    assert [x["id"] for x in a.list()] == [t["id"]]


def test_list_only_own_tasks(users):
    a, b = users(), users()
    ta = a.create(title="a1")
    tb = b.create(title="b1")
    assert a.ids() == [ta["id"]]
    assert b.ids() == [tb["id"]]


# ------------------------------------------------------------------ path id

BAD_IDS = ["0", "-1", "abc", "1.5", "99999999999999999999", "18446744073709551616", "1e3",
           "0x10", "1%00", "12abc"]


@pytest.mark.parametrize("bad", BAD_IDS)
@pytest.mark.parametrize("method,suffix", [("GET", ""), ("PUT", ""), ("PATCH", ""),
                                           ("DELETE", ""), ("PATCH", "/complete")])
def test_bad_path_id_is_400(user, bad, method, suffix):
    body = {"title": "x"} if method in ("PUT", "PATCH") and not suffix else None
    r = user.http.request(method, f"{user.path}/{bad}{suffix}", json=body)
    validation_error(r, "path.id")


def test_largest_id_is_well_formed(user):
    plain_error(user.http.get(user.task_path(9223372036854775807)), 404, "NOT_FOUND")


def test_leading_zero_id_names_same_task_or_is_rejected(user):
    t = user.create(title="z")
    r = user.http.get(f"{user.path}/0{t['id']}")
    assert r.status_code in (200, 400), r.text
    if r.status_code == 200:
        assert r.json() == t
    else:
        validation_error(r, "path.id")
