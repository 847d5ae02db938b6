"""API.md 2 (content types, JSON, error bodies) and 4.2 (field rules)."""
import datetime as dt

import pytest

from apiutil import (errors_by_field, error_body, rule_error, utc_today, validation_error)

# ------------------------------------------------------------------ content type

JSON_BODY = b'{"title": "ct"}'


@pytest.mark.parametrize("ctype", ["text/plain", "application/x-www-form-urlencoded",
                                   "text/json", "application/xml", "multipart/form-data",
                                   "application/jsonx"])
def test_other_content_type_is_415(user, ctype):
    r = user.http.post(user.path, content=JSON_BODY, headers={"Content-Type": ctype})
    error_body(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert user.list() == []


def test_body_without_content_type_is_415(user):
    r = user.http.post(user.path, content=JSON_BODY)
    assert "content-type" not in r.request.headers
    error_body(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    t = user.create(title="x")
    for r in (user.http.put(user.task_path(t["id"]), content=JSON_BODY),
              user.http.patch(user.task_path(t["id"]), content=JSON_BODY),
              user.http.patch(user.task_path(t["id"]) + "/complete", content=b"{}")):
        error_body(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert user.get(t["id"]) == t


@pytest.mark.parametrize("ctype", ["application/json; charset=utf-8",
                                   "application/json;charset=UTF-8", "application/json"])
def test_json_content_types_accepted(user, ctype):
    r = user.http.post(user.path, content=JSON_BODY, headers={"Content-Type": ctype})
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "ct"


def test_complete_text_plain_is_415(user):
    t = user.create(title="x")
    r = user.http.patch(user.task_path(t["id"]) + "/complete", content=b'{"completed": true}',
                        headers={"Content-Type": "text/plain"})
    error_body(r, 415, "UNSUPPORTED_MEDIA_TYPE")
    assert user.get(t["id"])["completed"] is False


# ------------------------------------------------------------------ malformed JSON

BAD_JSON = [
    b"{bad json",
    b'{"title": "x",}',
    b"{'title': 'x'}",
    b'{"title": "x"} trailing',
    b'{"title": "x"}{"title": "y"}',
    b'{"title": "x", "recurrence_day": NaN}',
    b'{"title": "x"',
    b'{"title": "\x01"}',           # raw control character inside a string
    b" ",
]


@pytest.mark.parametrize("raw", BAD_JSON)
def test_malformed_json_is_400_invalid_json(user, raw):
    r = user.http.post(user.path, content=raw, headers={"Content-Type": "application/json"})
    error_body(r, 400, "INVALID_JSON")
    assert user.list() == []


def test_empty_json_body_400(user):
    r = user.http.post(user.path, content=b"", headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] in ("INVALID_JSON", "VALIDATION_ERROR"), r.text
    assert user.list() == []


BAD_UTF8 = [
    b'{"title": "\xff"}',
    b'{"title": "caf\xc3"}',          # truncated sequence
    b'{"title": "\xc0\xaf"}',         # overlong
    b'{"title": "\xed\xa0\x80"}',     # encoded surrogate
    b'{"title": "\xf4\x90\x80\x80"}', # above U+10FFFF
    b'{"title": "x", "description": "\x80abc"}',
]


@pytest.mark.parametrize("raw", BAD_UTF8)
def test_invalid_utf8_is_400_invalid_json(user, raw):
    r = user.http.post(user.path, content=raw, headers={"Content-Type": "application/json"})
    error_body(r, 400, "INVALID_JSON")
    assert user.list() == []


@pytest.mark.parametrize("raw", [b"[]", b'["title"]', b"null", b"42", b'"title"', b"true"])
def test_non_object_body_is_400(user, raw):
    r = user.http.post(user.path, content=raw, headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] in ("VALIDATION_ERROR", "INVALID_JSON"), r.text
    assert user.list() == []


def test_put_and_patch_bad_json_400(user):
    t = user.create(title="x")
    for m in ("PUT", "PATCH"):
        r = user.http.request(m, user.task_path(t["id"]), content=b"{nope",
                              headers={"Content-Type": "application/json"})
        error_body(r, 400, "INVALID_JSON")
    r = user.http.patch(user.task_path(t["id"]) + "/complete", content=b"{nope",
                        headers={"Content-Type": "application/json"})
    error_body(r, 400, "INVALID_JSON")
    assert user.get(t["id"]) == t


def test_escapes_decoded(user):
    t = user.create(title="caf\u00e9 \u2603 \U0001F600 \"q\" \\ /")
    r = user.http.post(user.path, content=b'{"title": "caf\\u00e9 \\ud83d\\ude00 \\/"}',
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "caf\u00e9 \U0001F600 /"
    assert t["title"] == "caf\u00e9 \u2603 \U0001F600 \"q\" \\ /"


# ------------------------------------------------------------------ error body

def test_error_body_shape_exact(user):
    r = user.http.post(user.path, json={"title": "x" * 201})
    body = validation_error(r, "title", "too_long")
    assert body["field"] == "title"
    assert body["errors"] == [{"field": "title", "code": "too_long", "detail": body["errors"][0]["detail"]}]
    assert list(body["errors"][0]) == ["field", "code", "detail"]


def test_errors_lists_every_problem(user):
    r = user.http.post(user.path, json={
        "title": "", "description": 5, "priority": 3, "tags": 7, "due_date": "2025-02-30",
        "due_time": "25:00", "recurrence_pattern": "yearly", "recurrence_day": "2",
        "bogus": 1, "another": None})
    body = error_body(r, 400, "VALIDATION_ERROR")
    got = errors_by_field(body)
    expected = {
        "title": {"too_short"}, "description": {"wrong_type"}, "priority": {"wrong_type"},
        "tags": {"wrong_type"}, "due_date": {"invalid_format", "out_of_range"},
        "due_time": {"invalid_format", "out_of_range"},
        "recurrence_pattern": {"invalid_choice"}, "recurrence_day": {"wrong_type"},
        "bogus": {"unknown_field"}, "another": {"unknown_field"},
    }
    assert set(got) == set(expected), body
    for f, codes in expected.items():
        assert got[f] & codes, (f, got[f], codes)
    assert body["field"] in expected
    assert user.list() == []


def test_missing_title_and_unknown_field_both_reported(user):
    body = error_body(user.http.post(user.path, json={"foo": 1}), 400, "VALIDATION_ERROR")
    got = errors_by_field(body)
    assert got.get("title") == {"missing"}, body
    assert got.get("foo") == {"unknown_field"}, body


def test_missing_title(user):
    validation_error(user.http.post(user.path, json={}), "title", "missing")
    validation_error(user.http.post(user.path, json={"priority": "low"}), "title", "missing")


def test_field_error_beats_rule_error(user):
    # 400 (fields) comes before 422 (rules across fields)
    r = user.http.post(user.path, json={"title": "", "due_time": "10:00"})
    validation_error(r, "title", "too_short")
    r = user.http.post(user.path, json={"title": "x", "priority": "urgent",
                                        "recurrence_pattern": "weekly", "recurrence_day": 9})
    validation_error(r, "priority", "invalid_choice")


# ------------------------------------------------------------------ title

def post(user, **fields):
    return user.http.post(user.path, json=fields)


@pytest.mark.parametrize("raw,expected", [
    ("  padded  ", "padded"), ("\t\r\n tabbed \r\n\t", "tabbed"), ("a b", "a b"),
    ("  inner  space  ", "inner  space"), ("caf\u00e9", "caf\u00e9"),
    ("non\u00a0breaking", "non\u00a0breaking"),
])
def test_title_trimmed(user, raw, expected):
    r = post(user, title=raw)
    assert r.status_code == 201, r.text
    assert r.json()["title"] == expected


@pytest.mark.parametrize("ch", ["\U0001F600", "\u00e9", "\u4e2d", "x"])
def test_title_length_counts_code_points(user, ch):
    r = post(user, title=ch * 200)
    assert r.status_code == 201, r.text
    assert r.json()["title"] == ch * 200
    validation_error(post(user, title=ch * 201), "title", "too_long")


def test_title_limit_applies_after_trimming(user):
    r = post(user, title="  " + "y" * 200 + "\n\t ")
    assert r.status_code == 201, r.text
    assert r.json()["title"] == "y" * 200


@pytest.mark.parametrize("title", ["", " ", "\t\r\n  "])
def test_title_empty_after_trim_too_short(user, title):
    validation_error(post(user, title=title), "title", "too_short")


def test_title_only_space_tab_cr_lf_are_trimmed(user):
    # other white space is kept (not a control character) ...
    for raw in ("\u00a0x\u00a0", "\u2003x", "x\u3000"):
        r = post(user, title=raw)
        assert r.status_code == 201, r.text
        assert r.json()["title"] == raw
    # ... or is a control character, which is left after trimming and refused
    for raw in ("x\x0c", "\x0bx", "\x85x", " \x1f "):
        validation_error(post(user, title=raw), "title", "control_character")


@pytest.mark.parametrize("title", ["a\tb", "a\nb", "a\rb", "a\x01b", "a\x1bb",
                                   "a\x7fb", "a\u0085b", "a\u009fb", "a\x0bb", "x\u0085",
                                   "\u0080x", "\x7f"])
def test_title_control_characters_400(user, title):
    validation_error(post(user, title=title), "title", "control_character")


@pytest.mark.parametrize("value", [None, 5, True, ["x"], {"a": 1}])
def test_title_wrong_type(user, value):
    validation_error(post(user, title=value), "title", "wrong_type")


# ------------------------------------------------------------------ description

def test_description_limits_and_newlines(user):
    d = "line one\nline two\r\n\tindented \u00e9"
    assert post(user, title="x", description=d).json()["description"] == d
    assert post(user, title="x", description="\u00e9" * 1000).json()["description"] == "\u00e9" * 1000
    assert post(user, title="x", description="\U0001F600" * 1000).status_code == 201
    validation_error(post(user, title="x", description="\u00e9" * 1001), "description", "too_long")
    assert post(user, title="x", description=None).json()["description"] is None


def test_description_other_control_characters_kept(user):
    d = "bell\x07 esc\x1b[0m del\x7f c1\x85 tab\t"
    r = post(user, title="x", description=d)
    assert r.status_code == 201, r.text
    assert r.json()["description"] == d


@pytest.mark.parametrize("value", [5, True, ["a"], {"a": "b"}])
def test_description_wrong_type(user, value):
    validation_error(post(user, title="x", description=value), "description", "wrong_type")


@pytest.mark.parametrize("field", ["title", "description"])
def test_nul_rejected(user, field):
    # "\u0000" is valid JSON syntax; NUL is refused either as bad JSON or as a bad field
    body = {"title": "x", field: "a\x00b"}
    r = user.http.post(user.path, json=body)
    assert r.status_code == 400, r.text
    if r.json()["code"] == "VALIDATION_ERROR":
        validation_error(r, field, "control_character")
    else:
        error_body(r, 400, "INVALID_JSON")
    assert user.list() == []


# ------------------------------------------------------------------ priority

@pytest.mark.parametrize("p", ["low", "medium", "high", None])
def test_priority_choices(user, p):
    r = post(user, title="x", priority=p)
    assert r.status_code == 201 and r.json()["priority"] == p


@pytest.mark.parametrize("p", ["urgent", "High", "", " low"])
def test_priority_invalid_choice(user, p):
    validation_error(post(user, title="x", priority=p), "priority", "invalid_choice")


@pytest.mark.parametrize("p", [3, 1.5, True, ["low"], {"low": 1}])
def test_priority_wrong_type(user, p):
    validation_error(post(user, title="x", priority=p), "priority", "wrong_type")


# ------------------------------------------------------------------ tags

@pytest.mark.parametrize("tags,expected", [
    (" work, meeting ,Work,,weekly", "work,meeting,weekly"),
    (["a", " b ", "", "A", "c"], "a,b,c"),
    ("Work,work,WORK", "Work"),
    (["z", "y", "x"], "z,y,x"),
    ("", None), (" , ,, ", None), ([], None), (["", "  "], None), (None, None),
    ("single", "single"), ("caf\u00e9,CAF\u00e9", "caf\u00e9"),
    ("two words, more words", "two words,more words"),
    ("\ta\t,\r\nb\n", "a,b"), ([" x ", "\tX"], "x"),
])
def test_tags_normalised(user, tags, expected):
    r = post(user, title="x", tags=tags)
    assert r.status_code == 201, r.text
    assert r.json()["tags"] == expected


def test_tags_limit_counts_after_normalisation(user):
    twenty = [f"t{i}" for i in range(20)]
    assert post(user, title="x", tags=twenty).json()["tags"] == ",".join(twenty)
    assert post(user, title="x", tags=",".join(twenty)).json()["tags"] == ",".join(twenty)
    # 25 entries, but duplicates and empties leave 20
    noisy = twenty + ["T0", "t1", "", " ", "T19"]
    r = post(user, title="x", tags=noisy)
    assert r.status_code == 201, r.text
    assert r.json()["tags"] == ",".join(twenty)
    validation_error(post(user, title="x", tags=twenty + ["t20"]), "tags")
    validation_error(post(user, title="x", tags=",".join(twenty + ["t20"])), "tags")


def test_tag_length_in_code_points(user):
    ok = "\u00e9" * 50
    r = post(user, title="x", tags=[" " + ok + " ", "b"])
    assert r.status_code == 201 and r.json()["tags"] == ok + ",b"
    validation_error(post(user, title="x", tags=["\u00e9" * 51]), "tags", "too_long")
    validation_error(post(user, title="x", tags="a," + "x" * 51), "tags", "too_long")


def test_comma_inside_array_tag_400(user):
    validation_error(post(user, title="x", tags=["a", "b,c"]), "tags")
    assert user.list() == []


@pytest.mark.parametrize("tags", [5, True, {"a": 1}, [1], ["a", None], [["a"]]])
def test_tags_wrong_type(user, tags):
    body = error_body(post(user, title="x", tags=tags), 400, "VALIDATION_ERROR")
    assert any(e["field"].startswith("tags") and e["code"] == "wrong_type"
               for e in body["errors"]), body


# ------------------------------------------------------------------ due_date / due_time

@pytest.mark.parametrize("d", ["2024-02-29", "2025-12-31", "2025-01-01", "2000-02-29"])
def test_due_date_valid(user, d):
    r = post(user, title="x", due_date=d)
    assert r.status_code == 201 and r.json()["due_date"] == d


@pytest.mark.parametrize("d", ["2023-02-29", "2025-13-01", "2025-00-10", "2025-04-31",
                               "2025-1-01", "2025-01-1", "20250101", "2025/01/01",
                               "2025-01-01T00:00:00", "2025-01-01 ", "", "today", "1900-02-29"])
def test_due_date_invalid(user, d):
    validation_error(post(user, title="x", due_date=d), "due_date", "invalid_format",
                     "out_of_range")


@pytest.mark.parametrize("d", [20250101, True, ["2025-01-01"]])
def test_due_date_wrong_type(user, d):
    validation_error(post(user, title="x", due_date=d), "due_date", "wrong_type")


@pytest.mark.parametrize("t,expected", [("09:00", "09:00:00"), ("09:00:30", "09:00:30"),
                                        ("00:00", "00:00:00"), ("23:59:59", "23:59:59")])
def test_due_time_formats(user, t, expected):
    r = post(user, title="x", due_date="2025-06-01", due_time=t)
    assert r.status_code == 201, r.text
    assert r.json()["due_time"] == expected


@pytest.mark.parametrize("t", ["24:00", "9:00", "12:60", "12:00:60", "25:00:00", "12", "12:5",
                               "12:00:00:00", "noon", "", "12-00", "T12:00"])
def test_due_time_invalid(user, t):
    validation_error(post(user, title="x", due_date="2025-06-01", due_time=t), "due_time",
                     "invalid_format", "out_of_range")


def test_due_time_wrong_type(user):
    validation_error(post(user, title="x", due_date="2025-06-01", due_time=900), "due_time",
                     "wrong_type")


# ------------------------------------------------------------------ recurrence

@pytest.mark.parametrize("p", ["yearly", "Daily", "", "weekly "])
def test_recurrence_pattern_invalid_choice(user, p):
    validation_error(post(user, title="x", recurrence_pattern=p), "recurrence_pattern",
                     "invalid_choice")


@pytest.mark.parametrize("day", [0, 32, -1, 1000])
def test_recurrence_day_out_of_range_is_400(user, day):
    validation_error(post(user, title="x", recurrence_pattern="monthly", recurrence_day=day),
                     "recurrence_day", "out_of_range")


@pytest.mark.parametrize("raw", [b"99999999999999999999999", b"-99999999999999999999999",
                                 b"18446744073709551617", b"1e400", b"-1e400", b"1e-400"])
def test_recurrence_day_huge_numbers_400(user, raw):
    r = user.http.post(user.path, content=b'{"title":"x","recurrence_pattern":"monthly",'
                       b'"recurrence_day":' + raw + b"}",
                       headers={"Content-Type": "application/json"})
    assert r.status_code == 400, r.text
    assert r.json()["code"] in ("VALIDATION_ERROR", "INVALID_JSON"), r.text
    assert user.list() == []


@pytest.mark.parametrize("day", ["2", 1.5, True, [2], {"d": 2}])
def test_recurrence_day_wrong_type(user, day):
    validation_error(post(user, title="x", recurrence_pattern="monthly", recurrence_day=day),
                     "recurrence_day", "wrong_type")


@pytest.mark.parametrize("pattern,day", [("weekly", 1), ("weekly", 7), ("monthly", 1),
                                         ("monthly", 31)])
def test_recurrence_day_bounds_ok(user, pattern, day):
    r = post(user, title="x", recurrence_pattern=pattern, recurrence_day=day)
    assert r.status_code == 201, r.text
    assert r.json()["recurrence_pattern"] == pattern and r.json()["recurrence_day"] == day


def test_read_only_keys_ignored_whatever_their_type(user):
    r = post(user, title="x", id="abc", user_id=5, completed="yes", completed_at=[1],
             created_at=None, updated_at={"a": 1})
    assert r.status_code == 201, r.text
    t = r.json()
    assert t["completed"] is False and t["user_id"] == user.uid and isinstance(t["id"], int)


@pytest.mark.parametrize("raw", [b"[]", b"null", b'"x"', b"7"])
def test_patch_and_complete_non_object_body_400(user, raw):
    t = user.create(title="x")
    h = {"Content-Type": "application/json"}
    for path in (user.task_path(t["id"]), user.task_path(t["id"]) + "/complete"):
        r = user.http.patch(path, content=raw, headers=h)
        assert r.status_code == 400, (path, r.text)
        assert r.json()["code"] in ("VALIDATION_ERROR", "INVALID_JSON"), r.text
    assert user.get(t["id"]) == t


def test_unknown_field_400(user):
    validation_error(post(user, title="x", colour="red"), "colour", "unknown_field")
    validation_error(post(user, title="x", Title="y"), "Title", "unknown_field")


# ------------------------------------------------------------------ rules across fields (422)

def test_due_time_needs_due_date(user):
    rule_error(post(user, title="x", due_time="09:00"), "due_time", "requires_field")
    assert user.list() == []


def test_recurrence_day_needs_pattern(user):
    rule_error(post(user, title="x", recurrence_day=3), "recurrence_day", "requires_field")


def test_daily_with_day_is_422(user):
    rule_error(post(user, title="x", recurrence_pattern="daily", recurrence_day=3),
               "recurrence_day")


@pytest.mark.parametrize("day", [8, 15, 31])
def test_weekly_day_must_fit(user, day):
    rule_error(post(user, title="x", recurrence_pattern="weekly", recurrence_day=day),
               "recurrence_day", "does_not_fit")


def test_all_rule_violations_listed(user):
    r = post(user, title="x", due_time="09:00", recurrence_pattern="weekly", recurrence_day=9)
    body = error_body(r, 422, "RULE_VIOLATION")
    got = errors_by_field(body)
    assert "requires_field" in got.get("due_time", set()), body
    assert "does_not_fit" in got.get("recurrence_day", set()), body


def test_weekly_day_from_due_date(user):
    t = user.create(title="x", due_date="2025-12-11", recurrence_pattern="weekly")  # Thursday
    assert t["recurrence_day"] == 4
    t = user.create(title="x", due_date="2025-12-14", recurrence_pattern="weekly")  # Sunday
    assert t["recurrence_day"] == 7


def test_monthly_day_from_due_date(user):
    t = user.create(title="x", due_date="2025-01-31", recurrence_pattern="monthly")
    assert t["recurrence_day"] == 31


def test_day_from_today_without_due_date(user):
    today = utc_today()
    w = user.create(title="x", recurrence_pattern="weekly")
    m = user.create(title="x", recurrence_pattern="monthly")
    d = user.create(title="x", recurrence_pattern="daily")
    assert w["recurrence_day"] == today.isoweekday()
    assert m["recurrence_day"] == today.day
    assert d["recurrence_day"] is None


def test_explicit_day_wins_over_due_date(user):
    t = user.create(title="x", due_date="2025-12-11", recurrence_pattern="weekly",
                    recurrence_day=2)
    assert t["recurrence_day"] == 2


def test_clearing_pattern_clears_day(user):
    t = user.create(title="x", due_date="2025-12-11", recurrence_pattern="weekly",
                    recurrence_day=2)
    p = user.patch(t["id"], {"recurrence_pattern": None})
    assert p.status_code == 200, p.text
    assert p.json()["recurrence_pattern"] is None and p.json()["recurrence_day"] is None
    assert user.get(t["id"])["recurrence_day"] is None


def test_patch_pattern_takes_day_from_existing_due_date(user):
    t = user.create(title="x", due_date="2025-03-17")  # a Monday
    p = user.patch(t["id"], {"recurrence_pattern": "monthly"}).json()
    assert p["recurrence_day"] == 17
    t2 = user.create(title="x", due_date="2025-03-19")  # a Wednesday
    p2 = user.patch(t2["id"], {"recurrence_pattern": "weekly"}).json()
    assert p2["recurrence_day"] == 3


def test_patch_checks_merged_task(user):
    t = user.create(title="x", due_date="2025-06-01", due_time="10:00")
    rule_error(user.patch(t["id"], {"due_date": None}), "due_time", "requires_field")
    assert user.get(t["id"]) == t
    ok = user.patch(t["id"], {"due_date": None, "due_time": None})
    assert ok.status_code == 200 and ok.json()["due_date"] is None
    bare = user.create(title="y")
    rule_error(user.patch(bare["id"], {"due_time": "10:00"}), "due_time", "requires_field")
    rule_error(user.patch(bare["id"], {"recurrence_day": 3}), "recurrence_day", "requires_field")
    w = user.create(title="w", recurrence_pattern="weekly", recurrence_day=2)
    rule_error(user.patch(w["id"], {"recurrence_day": 8}), "recurrence_day", "does_not_fit")
    assert user.get(w["id"]) == w
    m = user.create(title="m", recurrence_pattern="monthly", recurrence_day=20)
    ok = user.patch(m["id"], {"recurrence_day": 31})
    assert ok.status_code == 200 and ok.json()["recurrence_day"] == 31
    rule_error(user.patch(m["id"], {"recurrence_pattern": "daily", "recurrence_day": 5}),
               "recurrence_day")
    assert user.get(m["id"]) == ok.json()


def test_patch_pattern_to_daily_checks_kept_day(user):
    """API.md 4.2: rules are "checked on the task as it would be after the
    change (so on PATCH, on the merged task)"; only "clearing the pattern
    clears the day". monthly/20 patched to daily merges to daily/20: 422."""
    m = user.create(title="m", recurrence_pattern="monthly", recurrence_day=20)
    rule_error(user.patch(m["id"], {"recurrence_pattern": "daily"}), "recurrence_day")
    assert user.get(m["id"]) == m


def test_put_checks_rules(user):
    t = user.create(title="x", due_date="2025-06-01", due_time="10:00")
    rule_error(user.put(t["id"], {"title": "x", "due_time": "10:00"}), "due_time",
               "requires_field")
    assert user.get(t["id"]) == t


def test_patch_wrong_types(user):
    t = user.create(title="x")
    body = error_body(user.patch(t["id"], {"priority": 3, "tags": 5, "zzz": 1}), 400,
                      "VALIDATION_ERROR")
    assert set(errors_by_field(body)) == {"priority", "tags", "zzz"}, body
    assert user.get(t["id"]) == t
