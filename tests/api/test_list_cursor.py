"""API.md 4.3: keyset paging (`cursor`, `Link`), and what the list's indexes
must not change: search and tag semantics, an exact X-Total-Count."""
import base64
import json
import re
import urllib.parse

import pytest

from apiutil import ALLOWED_ORIGINS, validation_error

SORTS = ["created_at", "updated_at", "due_date", "priority", "title", "completed"]
LINK_RE = re.compile(r'^<(/api/[^>]+)>; rel="next"$')


def next_link(r):
    link = r.headers.get("link")
    if link is None:
        return None
    m = LINK_RE.match(link)
    assert m, link
    return m.group(1)


def page_through(user, limit, **params):
    """Follows Link from the first page; returns (ids, pages)."""
    r = user.http.get(user.path, params={**params, "limit": limit})
    assert r.status_code == 200, r.text
    total = r.headers["x-total-count"]
    ids, pages = [], 0
    while True:
        body = r.json()
        pages += 1
        ids += [t["id"] for t in body]
        assert r.headers["x-total-count"] == total
        url = next_link(r)
        if url is None:
            assert len(body) < limit or len(ids) == int(total), (len(body), total)
            break
        assert len(body) == limit
        r = user.http.get(url)
        assert r.status_code == 200, r.text
        assert pages < 1000
    return ids, pages


@pytest.fixture
def varied(user):
    """Tasks with every sort key's NULLs and ties: equal titles but for case,
    equal dates with and without times, equal priorities, both completions;
    most created in the same second (ties broken by id)."""
    prios = ["low", None, "high", "medium", None, "high"]
    dates = [None, "2025-12-10", "2025-12-10", None, "2025-12-09", "2026-01-01", "2025-12-10"]
    times = [None, "09:00", None, None, "23:59", "00:00", "09:00"]
    titles = ["Alpha", "alpha", "beta", "ALPHA", "Beta 100%", "a_b", "zeta", "Äpfel", "éclair"]
    ids = []
    for i in range(37):
        body = {"title": titles[i % len(titles)], "priority": prios[i % len(prios)],
                "tags": ["work", "home"][: i % 3]}
        d = dates[i % len(dates)]
        if d is not None:
            body["due_date"] = d
            if times[i % len(times)] is not None:
                body["due_time"] = times[i % len(times)]
        if i % 4 == 1:
            body["description"] = "Milk and 100% under_score"
        t = user.create(**body)
        ids.append(t["id"])
        if i % 3 == 0:
            assert user.complete(t["id"]).status_code == 200
    for tid in ids[::5]:  # some updated later than others
        assert user.patch(tid, {"description": "edited"}).status_code == 200
    return ids


@pytest.mark.parametrize("sort_by", SORTS)
@pytest.mark.parametrize("order", ["asc", "desc"])
def test_cursor_pages_give_the_unpaged_order(user, varied, sort_by, order):
    whole = user.ids(sort_by=sort_by, sort_order=order)
    assert sorted(whole) == sorted(varied)
    for limit in (1, 4, 37):
        ids, pages = page_through(user, limit, sort_by=sort_by, sort_order=order)
        assert ids == whole, (limit, ids, whole)
        assert pages == -(-len(whole) // limit)


@pytest.mark.parametrize("params", [
    {"completed": "false"},
    {"priority": "high"},
    {"tag": "WORK"},
    {"search": "alp"},
    {"search": "100%"},
    {"search": "a"},
    {"due_date_filter": "upcoming", "today": "2025-12-09"},
    {"due_date_filter": "none"},
    {"due_date_filter": "this_week", "today": "2025-12-10", "sort_by": "due_date",
     "sort_order": "asc"},
    {"completed": "false", "tag": "home", "sort_by": "title"},
])
def test_cursor_pages_with_filters(user, varied, params):
    whole = user.ids(**params)
    ids, _ = page_through(user, 3, **params)
    assert ids == whole


def test_link_keeps_filters_sort_and_limit(user, varied):
    r = user.http.get(user.path, params={"search": "a&b #c", "tag": "x y", "completed": "false",
                                         "priority": "low", "sort_by": "title",
                                         "sort_order": "asc", "limit": "1"})
    assert r.status_code == 200 and r.json() == [] and "link" not in r.headers
    r = user.http.get(user.path, params={"search": "100%", "sort_by": "title",
                                         "sort_order": "asc", "limit": "2", "offset": "1",
                                         "junk": "x"})
    url = next_link(r)
    assert url is not None and url.startswith(f"/api/{user.uid}/tasks?")
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query, keep_blank_values=True)
    assert q["search"] == ["100%"] and q["sort_by"] == ["title"]
    assert q["sort_order"] == ["asc"] and q["limit"] == ["2"]
    assert "offset" not in q and "junk" not in q and len(q["cursor"]) == 1
    # the link continues after the offset page
    whole = user.ids(search="100%", sort_by="title", sort_order="asc")
    nxt = user.http.get(url)
    assert [t["id"] for t in nxt.json()] == whole[3:5]


def test_no_link_on_a_short_or_last_page(user):
    for i in range(4):
        user.create(title=f"t{i}")
    for limit in (4, 5, 1000):
        r = user.http.get(user.path, params={"limit": limit})
        assert len(r.json()) == 4 and "link" not in r.headers
    r = user.http.get(user.path, params={"limit": 3})
    assert next_link(r) is not None
    last = user.http.get(next_link(r))
    assert len(last.json()) == 1 and "link" not in last.headers


def test_date_filters_pin_today_in_the_link(user):
    for i in range(3):
        user.create(title=f"t{i}", due_date="2999-01-01")
    r = user.http.get(user.path, params={"due_date_filter": "upcoming", "limit": 1})
    url = next_link(r)
    q = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)
    assert re.match(r"^\d{4}-\d{2}-\d{2}$", q["today"][0])
    # the cursor carries it too: without today, it continues the same way
    bare = re.sub(r"&today=[^&]*", "", url)
    r2 = user.http.get(bare)
    assert r2.status_code == 200 and len(r2.json()) == 1
    # another today is another filter
    other = re.sub(r"today=[^&]*", "today=2000-01-01", url)
    validation_error(user.http.get(other), "query.cursor")


def test_paging_is_stable_under_concurrent_inserts_and_deletes(user):
    ids = [user.create(title=f"t{i:03d}", priority=["low", "high", None][i % 3])["id"]
           for i in range(60)]
    for sort_by, order in [("created_at", "asc"), ("created_at", "desc"), ("priority", "desc"),
                           ("title", "asc")]:
        alive = set(ids)
        seen = []
        r = user.http.get(user.path, params={"sort_by": sort_by, "sort_order": order, "limit": 7})
        n = 0
        while True:
            seen += [t["id"] for t in r.json()]
            # meanwhile: new tasks, and deletes of seen and unseen ones
            for k in range(2):
                alive.add(user.create(title=f"new {sort_by} {n} {k}", priority="high")["id"])
            unseen = sorted(alive - set(seen))
            for victim in (unseen[:1] + seen[-1:]):
                if victim in alive:
                    assert user.http.delete(user.task_path(victim)).status_code == 204
                    alive.discard(victim)
                    if victim in ids:
                        ids.remove(victim)
            n += 1
            url = next_link(r)
            if url is None:
                break
            r = user.http.get(url)
            assert r.status_code == 200, r.text
        assert len(seen) == len(set(seen)), "a task was repeated"
        # every task there from the start to the end was seen exactly once
        missing = set(ids) & alive - set(seen)
        assert not missing, missing


def cursor_of(user, **params):
    r = user.http.get(user.path, params={**params, "limit": 1})
    url = next_link(r)
    assert url is not None
    return urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["cursor"][0]


def test_bad_cursors_are_400(user):
    for i in range(3):
        user.create(title=f"t{i}", priority="high")
    good = cursor_of(user, sort_by="title", priority="high")
    ok = user.http.get(user.path, params={"sort_by": "title", "priority": "high",
                                          "cursor": good})
    assert ok.status_code == 200 and len(ok.json()) == 2
    raw = base64.urlsafe_b64decode(good + "=" * (-len(good) % 4))
    arr = json.loads(raw)
    forged = dict(arr=arr)
    bad_values = ["", "x", "!!!", good[:-2], good + "A", "e30",
                  base64.urlsafe_b64encode(b"[1]").decode().rstrip("="),
                  base64.urlsafe_b64encode(json.dumps(arr[:5]).encode()).decode().rstrip("=")]
    for key, value in [(3, 7), (3, None), (2, -1), (2, "1"), (0, 2), (5, "2025-13-40")]:
        a = list(forged["arr"])
        a[key] = value
        bad_values.append(base64.urlsafe_b64encode(json.dumps(a).encode()).decode().rstrip("="))
    for bad in bad_values:
        r = user.http.get(user.path, params={"sort_by": "title", "priority": "high",
                                             "cursor": bad})
        validation_error(r, "query.cursor")
    # the same cursor with other filters or sort
    for other in [{"sort_by": "title"}, {"sort_by": "title", "priority": "low"},
                  {"sort_by": "title", "priority": "high", "sort_order": "asc"},
                  {"sort_by": "created_at", "priority": "high"},
                  {"sort_by": "title", "priority": "high", "search": "t"},
                  {"sort_by": "title", "priority": "high", "completed": "false"}]:
        validation_error(user.http.get(user.path, params={**other, "cursor": good}),
                         "query.cursor")
    # with offset, even 0
    for off in ("0", "1"):
        r = user.http.get(user.path, params={"sort_by": "title", "priority": "high",
                                             "cursor": good, "offset": off})
        validation_error(r, "query.cursor")


def test_cursor_of_another_user_is_400(users):
    a, b = users(), users()
    for i in range(2):
        a.create(title=f"t{i}")
    c = cursor_of(a)
    validation_error(b.http.get(b.path, params={"cursor": c}), "query.cursor")


def test_cursor_after_its_task_is_deleted(user):
    ids = [user.create(title=f"t{i}")["id"] for i in range(5)]
    r = user.http.get(user.path, params={"sort_by": "created_at", "sort_order": "asc",
                                         "limit": 2})
    assert user.http.delete(user.task_path(ids[1])).status_code == 204
    r = user.http.get(next_link(r))
    assert [t["id"] for t in r.json()] == ids[2:4]


# ------------------------------------------------------- search and tag edge cases

def test_search_long_needles_are_exact_substrings(user):
    a = user.create(title="Buy MILK today", description=None)
    b = user.create(title="other", description="almond milkshake")
    c = user.create(title="100% done", description="x")
    d = user.create(title="a_b_c", description="x")
    e = user.create(title="abxbc", description="100 percent")
    f = user.create(title='say "hi" now', description="a*b OR c NEAR d")
    g = user.create(title="Äpfel ÄÖÜ", description="äöü")
    assert set(user.ids(search="milk")) == {a["id"], b["id"]}
    assert set(user.ids(search="MiLkS")) == {b["id"]}
    assert user.ids(search="100%") == [c["id"]]
    assert user.ids(search="0% d") == [c["id"]]
    assert user.ids(search="a_b") == [d["id"]]
    assert user.ids(search="_b_") == [d["id"]]
    assert user.ids(search="b_c") == [d["id"]]
    assert user.ids(search="100 p") == [e["id"]]
    assert user.ids(search='"hi"') == [f["id"]]
    assert user.ids(search='y "h') == [f["id"]]
    assert user.ids(search="a*b") == [f["id"]]
    assert user.ids(search="OR c NEAR") == [f["id"]]
    assert user.ids(search="r c n") == [f["id"]]
    assert user.ids(search="xyz") == []
    assert user.ids(search="%%%") == []
    assert user.ids(search="___") == []
    # non-ASCII: compared as stored (only ASCII letters fold)
    assert user.ids(search="ÄÖÜ") == [g["id"]]
    assert user.ids(search="äöü") == [g["id"]]
    assert user.ids(search="Äpf") == [g["id"]]
    assert user.ids(search="äpf") == []
    # short needles still work
    assert set(user.ids(search="mi")) == {a["id"], b["id"]}
    assert set(user.ids(search="%")) == {c["id"]}
    assert set(user.ids(search="_")) == {d["id"]}
    assert set(user.ids(search="Ä")) == {g["id"]}


def test_search_through_the_index_after_edits(user):
    t = user.create(title="grocery list", description="eggs")
    assert user.ids(search="grocer") == [t["id"]]
    assert user.patch(t["id"], {"title": "hardware", "description": "nails"}).status_code == 200
    assert user.ids(search="grocer") == []
    assert user.ids(search="eggs") == []
    assert user.ids(search="nails") == [t["id"]]
    assert user.patch(t["id"], {"description": None}).status_code == 200
    assert user.ids(search="nails") == []
    assert user.http.delete(user.task_path(t["id"])).status_code == 204
    assert user.ids(search="hardware") == []


def test_search_and_tag_see_only_the_users_own(users):
    a, b = users(), users()
    ta = a.create(title="shared needle", tags="work")
    b.create(title="shared needle", tags="work")
    assert a.ids(search="needle") == [ta["id"]]
    assert a.ids(tag="work") == [ta["id"]]


def test_tag_is_never_a_substring(user):
    w = user.create(title="w", tags="work,Home")
    user.create(title="h", tags="homework")
    assert user.ids(tag="work") == [w["id"]]
    assert user.ids(tag="HOME") == [w["id"]]
    assert user.ids(tag="ork") == []
    assert user.ids(tag="work,home") == []


# ------------------------------------------------------------- X-Total-Count

def totals_match(user, params_list):
    for params in params_list:
        r = user.http.get(user.path, params={**params, "limit": 1})
        full = user.list(**params)
        assert r.headers["x-total-count"] == str(len(full)), params


def test_total_count_exact_after_every_change(user):
    views = [{}, {"completed": "true"}, {"completed": "false"}, {"priority": "high"},
             {"search": "milk"}, {"search": "mi"}, {"tag": "work"},
             {"due_date_filter": "overdue", "today": "2025-12-10"},
             {"due_date_filter": "none"}, {"priority": "high", "tag": "work"}]
    totals_match(user, views)
    ids = []
    for i in range(6):
        ids.append(user.create(title=f"milk {i}", priority="high" if i % 2 else None,
                               tags="work" if i % 3 else None,
                               due_date="2025-12-01" if i % 2 else None)["id"])
        totals_match(user, views)
    assert user.complete(ids[1]).status_code == 200
    totals_match(user, views)
    assert user.complete(ids[1]).status_code == 200
    totals_match(user, views)
    assert user.patch(ids[2], {"priority": "high", "tags": "home"}).status_code == 200
    totals_match(user, views)
    assert user.put(ids[3], {"title": "bread"}).status_code == 200
    totals_match(user, views)
    assert user.http.delete(user.task_path(ids[4])).status_code == 204
    totals_match(user, views)
    # a recurring task's completion makes its successor in the same change
    rec = user.create(title="milk weekly", recurrence_pattern="daily", due_date="2025-12-01")
    assert user.complete(rec["id"]).status_code == 200
    totals_match(user, views)


def test_cors_exposes_link(user):
    for i in range(2):
        user.create(title=f"t{i}")
    r = user.http.get(user.path, params={"limit": 1}, headers={"Origin": ALLOWED_ORIGINS[0]})
    assert next_link(r) is not None
    exposed = {x.strip().lower() for x in r.headers["access-control-expose-headers"].split(",")}
    assert "link" in exposed
