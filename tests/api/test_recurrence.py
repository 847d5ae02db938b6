"""API.md 4.4: completing a recurring task creates its next occurrence."""
import datetime as dt
import threading

import httpx
import pytest

from apiutil import check_task, next_occurrence, utc_today

COPIED = ["title", "description", "priority", "tags", "due_time", "recurrence_pattern",
          "recurrence_day"]


def successors(user, original):
    return [t for t in user.list(sort_order="asc") if t["id"] != original["id"]]


def complete_and_get_successor(user, t):
    r = user.complete(t["id"])
    assert r.status_code == 200, r.text
    done = r.json()
    assert done["id"] == t["id"] and done["completed"] is True
    succ = successors(user, t)
    assert len(succ) == 1, succ
    s = succ[0]
    check_task(s, user.uid)
    assert s["id"] > t["id"]
    assert s["completed"] is False and s["completed_at"] is None
    for k in COPIED:
        assert s[k] == done[k], (k, s, done)
    return s


def d(s):
    return dt.date.fromisoformat(s)


def test_daily_past_due_next_is_after_today(user):
    t = user.create(title="Water plants", description="all of them", priority="medium",
                    tags="home,garden", due_date="2020-01-01", due_time="07:30",
                    recurrence_pattern="daily")
    s = complete_and_get_successor(user, t)
    assert d(s["due_date"]) == utc_today() + dt.timedelta(days=1)
    assert s["due_time"] == "07:30:00" and s["tags"] == "home,garden"


def test_daily_future_due_next_is_day_after_due(user):
    due = utc_today() + dt.timedelta(days=10)
    t = user.create(title="x", due_date=due.isoformat(), recurrence_pattern="daily")
    s = complete_and_get_successor(user, t)
    assert d(s["due_date"]) == due + dt.timedelta(days=1)


def test_daily_due_today_next_is_tomorrow(user):
    today = utc_today()
    t = user.create(title="x", due_date=today.isoformat(), recurrence_pattern="daily")
    s = complete_and_get_successor(user, t)
    assert d(s["due_date"]) == today + dt.timedelta(days=1)


def test_daily_without_due_date(user):
    t = user.create(title="x", recurrence_pattern="daily")
    s = complete_and_get_successor(user, t)
    assert d(s["due_date"]) == utc_today() + dt.timedelta(days=1)


@pytest.mark.parametrize("day", [1, 3, 7])
def test_weekly_past_due(user, day):
    t = user.create(title="x", due_date="2021-03-03", recurrence_pattern="weekly",
                    recurrence_day=day)
    s = complete_and_get_successor(user, t)
    want = next_occurrence("weekly", d(t["due_date"]), day)
    assert d(s["due_date"]) == want
    assert want.isoweekday() == day and want > utc_today()
    assert want <= utc_today() + dt.timedelta(days=7)


def test_weekly_future_due_day_from_date(user):
    due = utc_today() + dt.timedelta(days=9)
    t = user.create(title="x", due_date=due.isoformat(), recurrence_pattern="weekly")
    assert t["recurrence_day"] == due.isoweekday()
    s = complete_and_get_successor(user, t)
    assert d(s["due_date"]) == due + dt.timedelta(days=7)


def test_weekly_future_due_other_weekday(user):
    due = utc_today() + dt.timedelta(days=20)
    day = (due.isoweekday() + 1) % 7 + 1  # two weekdays later
    t = user.create(title="x", due_date=due.isoformat(), recurrence_pattern="weekly",
                    recurrence_day=day)
    s = complete_and_get_successor(user, t)
    assert d(s["due_date"]) == due + dt.timedelta(days=2)


def test_monthly_31_clamps_to_short_month(user):
    year = utc_today().year + 1
    t = user.create(title="rent", due_date=f"{year}-01-31", recurrence_pattern="monthly")
    assert t["recurrence_day"] == 31
    s = complete_and_get_successor(user, t)
    feb_end = 29 if (year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)) else 28
    assert s["due_date"] == f"{year}-02-{feb_end}"
    assert s["recurrence_day"] == 31
    # and the occurrence after that is back on the 31st
    s2 = complete_and_get_successor_chain(user, s)
    assert s2["due_date"] == f"{year}-03-31"


def complete_and_get_successor_chain(user, t):
    before = {x["id"] for x in user.list()}
    r = user.complete(t["id"], {"completed": True})
    assert r.status_code == 200
    new = [x for x in user.list() if x["id"] not in before]
    assert len(new) == 1, new
    return new[0]


def test_monthly_30_to_april(user):
    year = utc_today().year + 1
    t = user.create(title="x", due_date=f"{year}-03-31", recurrence_pattern="monthly",
                    recurrence_day=31)
    s = complete_and_get_successor(user, t)
    assert s["due_date"] == f"{year}-04-30"


def test_monthly_past_due(user):
    t = user.create(title="x", due_date="2022-05-15", recurrence_pattern="monthly",
                    recurrence_day=31)
    s = complete_and_get_successor(user, t)
    want = next_occurrence("monthly", dt.date(2022, 5, 15), 31)
    assert d(s["due_date"]) == want and want > utc_today()


def test_monthly_day_today_goes_to_next_month(user):
    today = utc_today()
    t = user.create(title="x", due_date="2020-01-01", recurrence_pattern="monthly",
                    recurrence_day=today.day)
    s = complete_and_get_successor(user, t)
    want = next_occurrence("monthly", None, today.day)
    assert d(s["due_date"]) == want
    assert want > today


def test_set_completed_true_also_creates_successor(user):
    t = user.create(title="x", recurrence_pattern="daily", due_date="2020-02-02")
    r = user.complete(t["id"], {"completed": True})
    assert r.status_code == 200 and r.json()["completed"] is True
    assert len(successors(user, t)) == 1


def test_toggling_never_makes_a_second_successor(user):
    t = user.create(title="x", recurrence_pattern="weekly", due_date="2020-02-02")
    s = complete_and_get_successor(user, t)
    r = user.complete(t["id"])  # reopen
    assert r.status_code == 200 and r.json()["completed"] is False
    assert successors(user, t) == [s], "reopening must keep the successor"
    for body in (None, {"completed": True}, {"completed": False}, {}, {"completed": None},
                 {"completed": True}):
        assert user.complete(t["id"], body).status_code == 200
    assert successors(user, t) == [s]
    assert user.get(t["id"])["completed"] is True


def test_no_pattern_no_successor(user):
    t = user.create(title="once", due_date="2020-01-01")
    r = user.complete(t["id"])
    assert r.status_code == 200
    assert user.ids() == [t["id"]]


def test_cleared_pattern_no_successor(user):
    t = user.create(title="x", recurrence_pattern="daily")
    assert user.patch(t["id"], {"recurrence_pattern": None}).status_code == 200
    user.complete(t["id"])
    assert user.ids() == [t["id"]]


def test_successor_of_successor(user):
    t = user.create(title="x", recurrence_pattern="daily", due_date="2020-01-01")
    s1 = complete_and_get_successor(user, t)
    s2 = complete_and_get_successor_chain(user, s1)
    assert d(s2["due_date"]) == d(s1["due_date"]) + dt.timedelta(days=1)
    assert len(user.list()) == 3


def _hammer(base_url, token, path, bodies):
    errors = []
    barrier = threading.Barrier(len(bodies))

    def go(body):
        with httpx.Client(base_url=base_url, timeout=20.0, verify=False,
                          headers={"Authorization": f"Bearer {token}"}) as c:
            barrier.wait()
            r = c.patch(path, json=body) if body is not None else c.patch(path)
            if r.status_code != 200:
                errors.append((r.status_code, r.text))
    threads = [threading.Thread(target=go, args=(b,)) for b in bodies]
    for th in threads:
        th.start()
    for th in threads:
        th.join(30)
    return errors


def test_concurrent_completes_make_one_successor(user, base_url):
    t = user.create(title="race", recurrence_pattern="daily", due_date="2020-01-01")
    errors = _hammer(base_url, user.token, user.task_path(t["id"]) + "/complete",
                     [{"completed": True}] * 12)
    assert errors == []
    assert user.get(t["id"])["completed"] is True
    assert len(successors(user, t)) == 1


def test_concurrent_toggles_make_at_most_one_successor(user, base_url):
    t = user.create(title="race2", recurrence_pattern="weekly", due_date="2020-01-01")
    errors = _hammer(base_url, user.token, user.task_path(t["id"]) + "/complete", [None] * 11)
    assert errors == []
    # eleven toggles from incomplete: complete at the end
    assert user.get(t["id"])["completed"] is True
    assert len(successors(user, t)) == 1
