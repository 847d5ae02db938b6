"""API.md 4.3: listing, filters, sorting and paging."""
import datetime as dt
import time

import pytest

from apiutil import error_body, utc_today, validation_error


def titles(tasks):
    return [t["title"] for t in tasks]


def test_empty_list(user):
    r = user.http.get(user.path)
    assert r.status_code == 200
    assert r.json() == []
    assert r.headers["x-total-count"] == "0"
    assert r.headers["content-type"].split(";")[0].strip() == "application/json"


def test_default_order_newest_first(user):
    ids = [user.create(title=f"t{i}")["id"] for i in range(5)]
    assert user.ids() == ids[::-1]
    assert user.ids(sort_by="created_at") == ids[::-1]
    assert user.ids(sort_order="desc") == ids[::-1]
    assert user.ids(sort_by="created_at", sort_order="asc") == ids
    listed = user.list()
    assert listed[0] == user.get(ids[-1])


# ------------------------------------------------------------------ filters

def test_filter_completed(user):
    a = user.create(title="a")
    b = user.create(title="b")
    c = user.create(title="c")
    user.complete(b["id"])
    assert user.ids(completed="true") == [b["id"]]
    assert user.ids(completed="false") == [c["id"], a["id"]]


@pytest.mark.parametrize("bad", ["yes", "1", "0", "TRUE", "True", "t", ""])
def test_filter_completed_only_true_false(user, bad):
    if bad == "":
        # an empty value is not true/false either
        r = user.http.get(user.path + "?completed=")
    else:
        r = user.http.get(user.path, params={"completed": bad})
    validation_error(r, "query.completed")


def test_filter_priority(user):
    lo = user.create(title="lo", priority="low")
    hi = user.create(title="hi", priority="high")
    user.create(title="none")
    md = user.create(title="md", priority="medium")
    assert user.ids(priority="low") == [lo["id"]]
    assert user.ids(priority="high") == [hi["id"]]
    assert user.ids(priority="medium") == [md["id"]]
    validation_error(user.http.get(user.path, params={"priority": "urgent"}), "query.priority",
                     "invalid_choice")
    validation_error(user.http.get(user.path, params={"priority": "HIGH"}), "query.priority")


def test_filter_tag_exact_case_insensitive(user):
    first = user.create(title="first", tags="work,a")
    middle = user.create(title="middle", tags="a,Work,b")
    last = user.create(title="last", tags="b,WORK")
    only = user.create(title="only", tags="work")
    user.create(title="homework", tags="homework")
    workday = user.create(title="workday", tags="a,workday,b")
    user.create(title="work-life", tags="work-life")
    user.create(title="no tags")
    user.create(title="work in title", description="work")
    expected = {first["id"], middle["id"], last["id"], only["id"]}
    for q in ("work", "WORK", "Work"):
        got = user.ids(tag=q)
        assert set(got) == expected and len(got) == 4, (q, got)
    assert user.ids(tag="a") == [workday["id"], middle["id"], first["id"]]
    assert user.ids(tag="wor") == []
    assert user.ids(tag="work,a") == []


def test_filter_tag_no_wildcards(user):
    user.create(title="w", tags="work,home")
    pct = user.create(title="p", tags="50%,a_b")
    for q in ("w%", "%", "wor_", "_ork", "%work%", "work%", "w*", ".*"):
        assert user.ids(tag=q) == [], q
    assert user.ids(tag="50%") == [pct["id"]]
    assert user.ids(tag="a_b") == [pct["id"]]
    assert user.ids(tag="axb") == []


def test_filter_search_title_or_description(user):
    a = user.create(title="Buy MILK")
    b = user.create(title="other", description="remember the milk\nand eggs")
    user.create(title="unrelated", description="nothing")
    user.create(title="m i l k")
    assert set(user.ids(search="milk")) == {a["id"], b["id"]}
    assert set(user.ids(search="MiLk")) == {a["id"], b["id"]}
    assert user.ids(search="EGGS") == [b["id"]]
    assert user.ids(search="zzz") == []


def test_search_percent_and_underscore_literal(user):
    pct = user.create(title="50% off")
    user.create(title="5000 off")
    und = user.create(title="a_b")
    user.create(title="axb")
    desc = user.create(title="desc", description="100%_sure")
    assert set(user.ids(search="%")) == {pct["id"], desc["id"]}
    assert set(user.ids(search="_")) == {und["id"], desc["id"]}
    assert user.ids(search="50%") == [pct["id"]]
    assert user.ids(search="a_b") == [und["id"]]
    assert user.ids(search="%_") == [desc["id"]]
    assert user.ids(search="0%") == [desc["id"], pct["id"]]


def test_search_backslash_and_quotes_literal(user):
    bs = user.create(title="C:\\temp\\x")
    user.create(title="C:temp")
    q = user.create(title="it's \"quoted\"")
    assert user.ids(search="\\") == [bs["id"]]
    assert user.ids(search=":\\t") == [bs["id"]]
    assert user.ids(search="it's") == [q["id"]]
    assert user.ids(search="\"quoted\"") == [q["id"]]
    assert user.ids(search="' OR '1'='1") == []


def test_search_query_decoding(user):
    t = user.create(title="team standup")
    user.create(title="teamstandup")
    r = user.http.get(user.path + "?search=team+standup")
    assert [x["id"] for x in r.json()] == [t["id"]]
    r = user.http.get(user.path + "?search=team%20STANDUP")
    assert [x["id"] for x in r.json()] == [t["id"]]
    e = user.create(title="caf\u00e9 au lait")
    r = user.http.get(user.path + "?search=caf%C3%A9")
    assert [x["id"] for x in r.json()] == [e["id"]]


def test_empty_search_and_tag_mean_no_filter(user):
    ids = [user.create(title=f"t{i}", tags="x")["id"] for i in range(3)]
    r = user.http.get(user.path + "?search=&tag=")
    assert r.status_code == 200
    assert [t["id"] for t in r.json()] == ids[::-1]


def test_unknown_params_ignored(user):
    ids = [user.create(title=f"t{i}")["id"] for i in range(2)]
    r = user.http.get(user.path, params={"foo": "bar", "page": "-7", "sort": "nonsense"})
    assert r.status_code == 200
    assert [t["id"] for t in r.json()] == ids[::-1]
    r = user.http.get(user.task_path(ids[0]), params={"limit": "0", "x": "y"})
    assert r.status_code == 200 and r.json()["id"] == ids[0]


def test_filters_combine_with_and(user):
    want = user.create(title="report draft", priority="high", tags="work", due_date="2025-06-03")
    user.create(title="report final", priority="low", tags="work", due_date="2025-06-03")
    user.create(title="report old", priority="high", tags="home", due_date="2025-06-03")
    done = user.create(title="report done", priority="high", tags="work", due_date="2025-06-03")
    user.complete(done["id"])
    user.create(title="report later", priority="high", tags="work", due_date="2025-07-03")
    user.create(title="memo", priority="high", tags="work", due_date="2025-06-03")
    r = user.http.get(user.path, params={
        "search": "REPORT", "priority": "high", "tag": "Work", "completed": "false",
        "due_date_filter": "this_week", "today": "2025-06-04"})
    assert r.status_code == 200, r.text
    assert [t["id"] for t in r.json()] == [want["id"]]
    assert r.headers["x-total-count"] == "1"


# ------------------------------------------------------------------ due date filters

@pytest.fixture
def dated(user):
    """Tasks around Wednesday 2025-06-04 (week: Mon 06-02 .. Sun 06-08)."""
    spec = {
        "sun_before": ("2025-06-01", False), "monday": ("2025-06-02", False),
        "tue_done": ("2025-06-03", True), "today": ("2025-06-04", False),
        "today_done": ("2025-06-04", True), "sunday": ("2025-06-08", False),
        "next_monday": ("2025-06-09", False), "later_done": ("2025-06-10", True),
        "none": (None, False), "none_done": (None, True),
    }
    ids = {}
    for name, (due, done) in spec.items():
        t = user.create(title=name, due_date=due)
        if done:
            user.complete(t["id"], {"completed": True})
        ids[name] = t["id"]
    return ids


def names(user, ids, **params):
    back = {v: k for k, v in ids.items()}
    return {back[i] for i in user.ids(**params)}


@pytest.mark.parametrize("filt,expected", [
    ("overdue", {"sun_before", "monday"}),
    ("today", {"today", "today_done"}),
    ("this_week", {"monday", "tue_done", "today", "today_done", "sunday"}),
    ("upcoming", {"sunday", "next_monday", "later_done"}),
    ("none", {"none", "none_done"}),
])
def test_due_date_filter(user, dated, filt, expected):
    assert names(user, dated, due_date_filter=filt, today="2025-06-04") == expected


@pytest.mark.parametrize("today", ["2025-06-02", "2025-06-08"])
def test_this_week_is_monday_to_sunday(user, dated, today):
    assert names(user, dated, due_date_filter="this_week", today=today) == \
        {"monday", "tue_done", "today", "today_done", "sunday"}


def test_this_week_across_month_and_year(user):
    a = user.create(title="a", due_date="2025-12-29")  # Monday
    b = user.create(title="b", due_date="2026-01-04")  # Sunday
    user.create(title="c", due_date="2025-12-28")
    user.create(title="d", due_date="2026-01-05")
    assert set(user.ids(due_date_filter="this_week", today="2026-01-01")) == {a["id"], b["id"]}


def test_today_param_shifts_filters(user, dated):
    assert names(user, dated, due_date_filter="overdue", today="2025-06-09") == \
        {"sun_before", "monday", "today", "sunday"}
    assert names(user, dated, due_date_filter="today", today="2025-06-09") == {"next_monday"}


def test_date_filters_default_to_server_utc_date(user):
    today = utc_today()
    yday = user.create(title="y", due_date=(today - dt.timedelta(days=1)).isoformat())
    tday = user.create(title="t", due_date=today.isoformat())
    tmrw = user.create(title="m", due_date=(today + dt.timedelta(days=1)).isoformat())
    assert user.ids(due_date_filter="overdue") == [yday["id"]]
    assert user.ids(due_date_filter="today") == [tday["id"]]
    assert user.ids(due_date_filter="upcoming") == [tmrw["id"]]
    week = set(user.ids(due_date_filter="this_week"))
    monday = today - dt.timedelta(days=today.weekday())
    for t, d in ((yday, today - dt.timedelta(days=1)), (tday, today),
                 (tmrw, today + dt.timedelta(days=1))):
        assert (t["id"] in week) == (monday <= d <= monday + dt.timedelta(days=6))


@pytest.mark.parametrize("param,value", [
    ("due_date_filter", "yesterday"), ("due_date_filter", "OVERDUE"),
    ("today", "2025-02-30"), ("today", "2025-13-01"), ("today", "tomorrow"),
    ("today", "2025-6-4"),
])
def test_bad_date_filter_values(user, param, value):
    params = {"due_date_filter": "today", param: value}
    validation_error(user.http.get(user.path, params=params), f"query.{param}")


# ------------------------------------------------------------------ sorting

def test_sort_by_priority_nulls_last_and_ties(user):
    n1 = user.create(title="n1")
    h1 = user.create(title="h1", priority="high")
    lo = user.create(title="lo", priority="low")
    n2 = user.create(title="n2")
    md = user.create(title="md", priority="medium")
    h2 = user.create(title="h2", priority="high")
    assert user.ids(sort_by="priority", sort_order="asc") == \
        [lo["id"], md["id"], h1["id"], h2["id"], n1["id"], n2["id"]]
    assert user.ids(sort_by="priority", sort_order="desc") == \
        [h2["id"], h1["id"], md["id"], lo["id"], n2["id"], n1["id"]]
    assert user.ids(sort_by="priority") == \
        [h2["id"], h1["id"], md["id"], lo["id"], n2["id"], n1["id"]]


def test_sort_by_due_date_then_time_nulls_last(user):
    d1 = user.create(title="d1", due_date="2025-01-02", due_time="08:00")
    n1 = user.create(title="n1")
    d2 = user.create(title="d2", due_date="2025-01-02", due_time="09:00")
    d3 = user.create(title="d3", due_date="2025-01-01")
    d4 = user.create(title="d4", due_date="2025-01-03", due_time="23:00")
    n2 = user.create(title="n2")
    d5 = user.create(title="d5", due_date="2024-12-31", due_time="23:59:59")
    d6 = user.create(title="d6", due_date="2025-01-02", due_time="08:00")
    assert user.ids(sort_by="due_date", sort_order="asc") == \
        [d5["id"], d3["id"], d1["id"], d6["id"], d2["id"], d4["id"], n1["id"], n2["id"]]
    assert user.ids(sort_by="due_date", sort_order="desc") == \
        [d4["id"], d2["id"], d6["id"], d1["id"], d3["id"], d5["id"], n2["id"], n1["id"]]


def test_sort_by_title_case_insensitive_with_ties(user):
    b = user.create(title="banana")
    a1 = user.create(title="Apple")
    c = user.create(title="cherry")
    a2 = user.create(title="apple")
    z = user.create(title="Zebra")
    a3 = user.create(title="APPLE")
    ab = user.create(title="applesauce")
    assert user.ids(sort_by="title", sort_order="asc") == \
        [a1["id"], a2["id"], a3["id"], ab["id"], b["id"], c["id"], z["id"]]
    assert user.ids(sort_by="title", sort_order="desc") == \
        [z["id"], c["id"], b["id"], ab["id"], a3["id"], a2["id"], a1["id"]]


def test_sort_by_completed(user):
    a = user.create(title="a")
    b = user.create(title="b")
    c = user.create(title="c")
    d = user.create(title="d")
    user.complete(b["id"])
    user.complete(d["id"])
    assert user.ids(sort_by="completed", sort_order="asc") == [a["id"], c["id"], b["id"], d["id"]]
    assert user.ids(sort_by="completed", sort_order="desc") == [d["id"], b["id"], c["id"], a["id"]]


def test_sort_by_updated_at(user):
    a = user.create(title="a")
    b = user.create(title="b")
    c = user.create(title="c")
    time.sleep(1.1)
    assert user.patch(a["id"], {"title": "a2"}).status_code == 200
    assert user.ids(sort_by="updated_at") == [a["id"], c["id"], b["id"]]
    assert user.ids(sort_by="updated_at", sort_order="asc") == [b["id"], c["id"], a["id"]]
    # created_at is untouched by the update
    assert user.ids(sort_by="created_at", sort_order="asc") == [a["id"], b["id"], c["id"]]


@pytest.mark.parametrize("param,value", [("sort_by", "foo"), ("sort_by", "id"),
                                         ("sort_by", "TITLE"), ("sort_order", "up"),
                                         ("sort_order", "ascending")])
def test_bad_sort_values(user, param, value):
    validation_error(user.http.get(user.path, params={param: value}), f"query.{param}")


# ------------------------------------------------------------------ paging

def test_limit_offset_and_total_count(user):
    ids = [user.create(title=f"t{i}", priority="high" if i % 2 else "low")["id"]
           for i in range(7)]
    newest = ids[::-1]
    r = user.http.get(user.path, params={"limit": 2, "offset": 1})
    assert r.status_code == 200
    assert [t["id"] for t in r.json()] == newest[1:3]
    assert r.headers["x-total-count"] == "7"
    r = user.http.get(user.path, params={"limit": 3, "offset": 6})
    assert [t["id"] for t in r.json()] == newest[6:]
    r = user.http.get(user.path, params={"offset": 100})
    assert r.json() == [] and r.headers["x-total-count"] == "7"
    r = user.http.get(user.path, params={"limit": 1000, "offset": 0})
    assert [t["id"] for t in r.json()] == newest
    r = user.http.get(user.path, params={"priority": "high", "limit": 1})
    assert len(r.json()) == 1 and r.headers["x-total-count"] == "3"
    r = user.http.get(user.path, params={"sort_order": "asc", "limit": 2, "offset": 2})
    assert [t["id"] for t in r.json()] == ids[2:4]


def test_default_limit_is_1000(user):
    n = 1001
    for i in range(n):
        r = user.http.post(user.path, json={"title": f"bulk {i}"})
        assert r.status_code == 201, r.text
    r = user.http.get(user.path)
    assert r.status_code == 200
    assert len(r.json()) == 1000
    assert r.headers["x-total-count"] == str(n)
    r = user.http.get(user.path, params={"offset": 1000})
    assert len(r.json()) == 1 and r.json()[0]["title"] == "bulk 0"


@pytest.mark.parametrize("param,value", [
    ("limit", "0"), ("limit", "1001"), ("limit", "abc"), ("limit", "-1"), ("limit", "2.5"),
    ("limit", ""), ("limit", "99999999999999999999"), ("offset", "-1"), ("offset", "abc"),
    ("offset", "1.0"), ("offset", "1e3"), ("offset", " 1"),
])
def test_bad_paging_values(user, param, value):
    r = user.http.get(user.path + f"?{param}={value}")
    validation_error(r, f"query.{param}")


def test_every_bad_query_param_reported(user):
    r = user.http.get(user.path, params={"limit": "0", "offset": "-1", "priority": "urgent",
                                         "completed": "yes", "sort_by": "foo"})
    body = error_body(r, 400, "VALIDATION_ERROR")
    fields = {e["field"] for e in body["errors"]}
    assert fields == {"query.limit", "query.offset", "query.priority", "query.completed",
                      "query.sort_by"}, body
    assert body["field"] in fields
