"""API.md 2, the framing paragraph (RFC 9112 6): ambiguous framing is 400 and
the connection is closed after the answer, so nothing sent behind it on that
connection is ever read as a request; more than 100 header fields is 431;
an absolute-form target is served by its path. Raw sockets throughout:
pipelined requests in one segment, heads split across segments, keep-alive.

Identical repeated Content-Length fields are accepted as one (RFC 9112 6.3
allows it; README "HTTP framing"), a comma list in one field is not plain
digits and is 400."""
import json
import time
from urllib.parse import urlparse

import pytest

from apiutil import ALLOWED_ORIGINS, REQUEST_ID_RE, RawConn

pytestmark = pytest.mark.usefixtures("check_alive")


def host_of(base_url):
    u = urlparse(base_url)
    return f"{u.hostname}:{u.port}"


def head(method, target, host, lines=(), version="HTTP/1.1"):
    """A request head from raw header lines (no Content-Length is added)."""
    out = f"{method} {target} {version}\r\nHost: {host}\r\n"
    out += "".join(line + "\r\n" for line in lines)
    return (out + "\r\n").encode("latin-1")


def create_request(user, host, title, rid="after"):
    body = json.dumps({"title": title}).encode()
    return head("POST", user.path, host, [f"Authorization: Bearer {user.token}",
                                          "Content-Type: application/json",
                                          f"Content-Length: {len(body)}",
                                          f"X-Request-ID: {rid}"]) + body


def expect_refused(c, status, code, rid=None):
    """The next answer on c is `status` with the API's error body and
    Connection: close, and then the server closes without another answer."""
    st, h, body, _ = c.read_response()
    assert st == status, (st, body)
    err = json.loads(body)
    assert err["code"] == code and err["detail"], err
    assert "field" not in err or err["field"] is None, err
    assert h.get("connection", "").lower() == "close", h
    assert h.get("content-type", "").startswith("application/json"), h
    assert REQUEST_ID_RE.match(h.get("x-request-id", "")), h
    if rid is not None:
        assert h["x-request-id"] == rid, h
    assert c.closed_by_peer(10.0), "the connection must be closed after the refusal"
    assert c.buf == b"", f"nothing may be answered after the refusal, got {c.buf[:300]!r}"
    return h


def send_refused(base_url, data, status=400, code="VALIDATION_ERROR", split=False, rid=None):
    """Sends data (with split, its head one byte per segment, then the rest)
    and expects the refusal."""
    c = RawConn(base_url, timeout=10.0)
    try:
        if split:
            end = data.index(b"\r\n\r\n") + 4
            for i in range(end):
                c.send(data[i:i + 1])
                time.sleep(0.005)
            data = data[end:]
        try:
            c.send(data)
        except OSError:
            pass  # the server may have closed already
        return expect_refused(c, status, code, rid)
    finally:
        c.close()


# ------------------------------------------------------------------ the 400 cases

def bad_heads(host):
    """name -> a refused request (head and the body its sender meant)."""
    p = "/api/someone/tasks"
    return {
        "cl_then_te": head("POST", p, host, ["Content-Length: 5",
                                             "Transfer-Encoding: chunked"]) + b"0\r\n\r\n",
        "te_then_cl": head("POST", p, host, ["Transfer-Encoding: chunked",
                                             "Content-Length: 5"]) + b"0\r\n\r\n",
        # as chunked, "abc" would be a chunk size (2748) still waiting for its data
        "cl_te_stalls_as_chunked": head("POST", p, host, ["Content-Length: 3",
                                                          "Transfer-Encoding: chunked"]) + b"abc",
        "two_lengths_smaller_first": head("POST", p, host, ["Content-Length: 2",
                                                            "Content-Length: 7"]) + b'{"a":1}',
        "two_lengths_larger_first": head("POST", p, host, ["Content-Length: 7",
                                                           "Content-Length: 2"]) + b"{}",
        "three_lengths": head("POST", p, host, ["Content-Length: 2", "Content-Length: 2",
                                                "Content-Length: 3"]) + b"{} ",
        "length_list_in_one_field": head("POST", p, host, ["Content-Length: 5, 6"]) + b"{}{}{}",
        "length_list_same_values": head("POST", p, host, ["Content-Length: 2, 2"]) + b"{}",
        "length_plus": head("POST", p, host, ["Content-Length: +2"]) + b"{}",
        "length_negative": head("POST", p, host, ["Content-Length: -2"]) + b"{}",
        "length_hex": head("POST", p, host, ["Content-Length: 0x2"]) + b"{}",
        "length_letters": head("POST", p, host, ["Content-Length: 2a"]) + b"{}",
        "length_empty": head("POST", p, host, ["Content-Length: "]),
        "length_decimal_point": head("POST", p, host, ["Content-Length: 2.0"]) + b"{}",
        "length_inner_space": head("POST", p, host, ["Content-Length: 1 1"]) + b"{}",
        "length_huge": head("POST", p, host, ["Content-Length: 99999999999999999999999"]),
        "te_gzip": head("POST", p, host, ["Transfer-Encoding: gzip"]) + b"0\r\n\r\n",
        "te_identity": head("POST", p, host, ["Transfer-Encoding: identity"]) + b"{}",
        "te_gzip_chunked": head("POST", p, host, ["Transfer-Encoding: gzip, chunked"])
        + b"0\r\n\r\n",
        "te_chunked_chunked": head("POST", p, host, ["Transfer-Encoding: chunked, chunked"])
        + b"0\r\n\r\n",
        "te_twice": head("POST", p, host, ["Transfer-Encoding: chunked",
                                           "Transfer-Encoding: chunked"]) + b"0\r\n\r\n",
        "te_xchunked": head("POST", p, host, ["Transfer-Encoding: xchunked"]) + b"0\r\n\r\n",
        "obs_fold_space": head("GET", "/health", host, ["X-Request-ID: abc", " def"]),
        "obs_fold_tab": head("GET", "/health", host, ["X-Note: one", "\ttwo"]),
        "obs_fold_content_length": head("POST", p, host, ["Content-Length:", " 2"]) + b"{}",
    }


CASES = sorted(bad_heads("x"))


@pytest.mark.parametrize("name", CASES)
def test_ambiguous_framing_400_and_close(base_url, name):
    send_refused(base_url, bad_heads(host_of(base_url))[name])


@pytest.mark.parametrize("name", CASES)
def test_refused_request_hides_what_follows(base_url, user, name):
    """A request pipelined behind a refused one, in the same segment, is
    neither answered nor executed."""
    host = host_of(base_url)
    data = bad_heads(host)[name] + create_request(user, host, "smuggled")
    send_refused(base_url, data)
    assert user.list() == []


@pytest.mark.parametrize("name", ["cl_then_te", "two_lengths_smaller_first", "obs_fold_space",
                                  "te_gzip", "length_list_in_one_field"])
def test_refused_when_split_across_segments(base_url, user, name):
    host = host_of(base_url)
    data = bad_heads(host)[name] + create_request(user, host, "smuggled")
    send_refused(base_url, data, split=True)
    assert user.list() == []


def test_smuggling_classic_cl_te(base_url, user):
    """The textbook CL.TE attack: as Content-Length the body holds a second
    request; as chunked it ends at 0. Neither framing may be chosen."""
    host = host_of(base_url)
    smuggled = create_request(user, host, "smuggled")
    body = b"0\r\n\r\n" + smuggled
    data = head("POST", user.path, host, [f"Authorization: Bearer {user.token}",
                                          "Content-Type: application/json",
                                          f"Content-Length: {len(body)}",
                                          "Transfer-Encoding: chunked"]) + body
    send_refused(base_url, data)
    assert user.list() == []


def test_refusal_keeps_request_id_and_cors(base_url):
    host = host_of(base_url)
    origin = ALLOWED_ORIGINS[0]
    data = head("POST", "/api/u/tasks", host, ["X-Request-ID: framing-1", f"Origin: {origin}",
                                               "Content-Length: 1", "Content-Length: 2"]) + b"{}"
    h = send_refused(base_url, data, rid="framing-1")
    assert h.get("access-control-allow-origin") == origin, h
    data = head("POST", "/api/u/tasks", host, ["Origin: https://evil.example",
                                               "Transfer-Encoding: gzip"])
    h = send_refused(base_url, data)
    assert "access-control-allow-origin" not in h, h


# ------------------------------------------------------------------ pipelining and keep-alive

def test_pipelined_before_refusal_answered_after_not(base_url, user):
    host = host_of(base_url)
    data = (head("GET", "/health", host, ["X-Request-ID: p1"])
            + create_request(user, host, "before", rid="p2")
            + head("POST", "/api/u/tasks", host, ["X-Request-ID: p3", "Content-Length: 2",
                                                   "Transfer-Encoding: chunked"]) + b"0\r\n\r\n"
            + create_request(user, host, "after", rid="p4")
            + head("GET", "/health", host, ["X-Request-ID: p5"]))
    c = RawConn(base_url, timeout=10.0)
    try:
        c.send(data)
        st, h, _, _ = c.read_response()
        assert (st, h.get("x-request-id")) == (200, "p1")
        st, h, body, _ = c.read_response()
        assert (st, h.get("x-request-id")) == (201, "p2"), body
        expect_refused(c, 400, "VALIDATION_ERROR", rid="p3")
    finally:
        c.close()
    assert [t["title"] for t in user.list()] == ["before"]


def test_every_request_on_a_kept_alive_connection_is_checked(base_url, user):
    host = host_of(base_url)
    c = RawConn(base_url, timeout=10.0)
    try:
        for i in range(3):
            c.send(head("GET", "/health", host, [f"X-Request-ID: ka-{i}"]))
            st, h, _, _ = c.read_response()
            assert st == 200 and h.get("x-request-id") == f"ka-{i}"
            assert h.get("connection", "").lower() != "close"
        # a chunked body whose data looks like a refused head is only data
        chunk = b"Content-Length: 1\r\nContent-Length: 2\r\n"
        c.send(head("POST", "/nope", host, ["Transfer-Encoding: chunked"])
               + b"%x\r\n" % len(chunk) + chunk + b"\r\n0\r\nX-Trailer: yes\r\n\r\n")
        assert c.read_response()[0] == 404
        c.send(create_request(user, host, "kept", rid="ka-create"))
        assert c.read_response()[0] == 201
        c.send(head("GET", "/health", host, ["Content-Length: 0", "Content-Length: 1"])
               + b"x" + create_request(user, host, "smuggled"))
        expect_refused(c, 400, "VALIDATION_ERROR")
    finally:
        c.close()
    assert [t["title"] for t in user.list()] == ["kept"]


def test_refused_head_split_after_good_requests_in_one_segment(base_url):
    """The refused head starts in one segment and ends in the next, behind
    good requests that came in the first."""
    host = host_of(base_url)
    good = head("GET", "/health", host, ["X-Request-ID: s1"])
    bad = head("POST", "/api/u/tasks", host, ["X-Request-ID: s2", "Content-Length: 2",
                                               "Content-Length: 3"]) + b"{} "
    c = RawConn(base_url, timeout=10.0)
    try:
        c.send(good + bad[:25])
        time.sleep(0.1)
        c.send(bad[25:] + good)
        st, h, _, _ = c.read_response()
        assert (st, h.get("x-request-id")) == (200, "s1")
        expect_refused(c, 400, "VALIDATION_ERROR", rid="s2")
    finally:
        c.close()


def test_body_bytes_are_not_heads(base_url, user):
    """Bytes inside a Content-Length body that look like a refused head are
    the body: the request is answered (400 bad JSON) and the connection lives."""
    host = host_of(base_url)
    body = b"GET / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n"
    c = RawConn(base_url, timeout=10.0)
    try:
        c.send(head("POST", user.path, host, [f"Authorization: Bearer {user.token}",
                                              "Content-Type: application/json",
                                              f"Content-Length: {len(body)}"]) + body
               + head("GET", "/health", host, ["X-Request-ID: next"]))
        st, _, resp, _ = c.read_response()
        assert st == 400 and json.loads(resp)["code"] == "INVALID_JSON", resp
        st, h, _, _ = c.read_response()
        assert (st, h.get("x-request-id")) == (200, "next")
    finally:
        c.close()


def test_identical_content_lengths_accepted(base_url, user):
    host = host_of(base_url)
    body = b'{"title": "twice"}'
    c = RawConn(base_url, timeout=10.0)
    try:
        c.send(head("POST", user.path, host, [f"Authorization: Bearer {user.token}",
                                              "Content-Type: application/json",
                                              f"Content-Length: {len(body)}",
                                              f"content-length: {len(body)}"]) + body
               + head("GET", "/health", host))
        st, _, resp, _ = c.read_response()
        assert st == 201, resp
        assert c.read_response()[0] == 200
    finally:
        c.close()
    assert [t["title"] for t in user.list()] == ["twice"]


def test_chunked_body_then_pipelined_request(base_url, user):
    host = host_of(base_url)
    body = b'{"title": "chunky"}'
    c = RawConn(base_url, timeout=10.0)
    try:
        c.send(head("POST", user.path, host, [f"Authorization: Bearer {user.token}",
                                              "Content-Type: application/json",
                                              "Transfer-Encoding: chunked"])
               + b"5;ext=1\r\n" + body[:5] + b"\r\n%x\r\n" % (len(body) - 5) + body[5:]
               + b"\r\n0\r\n\r\n" + head("GET", "/health", host, ["X-Request-ID: after-chunked"]))
        st, _, resp, _ = c.read_response()
        assert st == 201, resp
        st, h, _, _ = c.read_response()
        assert (st, h.get("x-request-id")) == (200, "after-chunked")
    finally:
        c.close()


# ------------------------------------------------------------------ header count and size

def test_hundred_header_fields_accepted(base_url):
    host = host_of(base_url)
    # Host plus 99 more: 100 fields
    c = RawConn(base_url, timeout=10.0)
    try:
        c.send(head("GET", "/health", host, [f"X-H{i}: v" for i in range(99)]))
        st, _, body, _ = c.read_response()
        assert st == 200, body
    finally:
        c.close()


@pytest.mark.parametrize("count", [101, 150, 2000])
def test_more_than_hundred_header_fields_431_and_close(base_url, user, count):
    host = host_of(base_url)
    data = (head("GET", "/health", host, ["X-Request-ID: many"]
                 + [f"X-H{i}: v" for i in range(count - 2)])
            + create_request(user, host, "smuggled"))
    send_refused(base_url, data, 431, "HEADERS_TOO_LARGE", rid="many")
    assert user.list() == []


def test_huge_head_431_and_close(base_url):
    host = host_of(base_url)
    c = RawConn(base_url, timeout=10.0)
    try:
        try:
            c.send(head("GET", "/health", host, ["X-Big: " + "a" * 100000]))
        except OSError:
            pass  # the server may close while we still send
        expect_refused(c, 431, "HEADERS_TOO_LARGE")
    finally:
        c.close()


def test_huge_head_in_pieces_431_and_server_stays_up(base_url):
    """A head refused after h2o has already seen part of it over several reads
    (this crashed the server once: h2o resumed parsing past the end of the
    stand-in head)."""
    host = host_of(base_url)
    data = head("GET", "/health", host, ["X-Big: " + "a" * 100000])
    for attempt in range(5):
        c = RawConn(base_url, timeout=10.0)
        try:
            try:
                for i in range(0, len(data), 8192):
                    c.send(data[i:i + 8192])
                    time.sleep(0.002)
            except OSError:
                pass  # the server may close while we still send
            expect_refused(c, 431, "HEADERS_TOO_LARGE")
        finally:
            c.close()


def test_refused_head_seen_in_parts_longer_than_the_answer(base_url, user):
    """An ambiguous head of several KB, sent in pieces: still 400 and close."""
    host = host_of(base_url)
    filler = ["X-Fill-%d: %s" % (i, "f" * 200) for i in range(20)]
    data = head("POST", user.path, host, filler + ["Content-Length: 5",
                                                   "Transfer-Encoding: chunked"]) + b"0\r\n\r\n"
    c = RawConn(base_url, timeout=10.0)
    try:
        for i in range(0, len(data), 700):
            c.send(data[i:i + 700])
            time.sleep(0.01)
        expect_refused(c, 400, "VALIDATION_ERROR")
    finally:
        c.close()
    assert user.list() == []


# ------------------------------------------------------------------ absolute form

@pytest.mark.parametrize("scheme", ["http", "https", "HTTP"])
def test_absolute_form_served_by_path(base_url, user, scheme):
    host = host_of(base_url)
    t = user.create(title="absolute")
    c = RawConn(base_url, timeout=10.0)
    try:
        c.send(head("GET", f"{scheme}://{host}/health", host))
        st, _, body, _ = c.read_response()
        assert st == 200 and json.loads(body) == {"status": "ok"}
        c.send(head("GET", f"{scheme}://{host}{user.path}/{t['id']}?x=1", host,
                    [f"Authorization: Bearer {user.token}"]))
        st, _, body, _ = c.read_response()
        assert st == 200 and json.loads(body)["title"] == "absolute", body
        c.send(head("GET", f"{scheme}://other.example{user.path}?completed=true", host,
                    [f"Authorization: Bearer {user.token}"]))
        st, _, body, _ = c.read_response()
        assert st == 200 and json.loads(body) == [], body
        c.send(head("GET", f"{scheme}://{host}/nope", host))
        assert c.read_response()[0] == 404
    finally:
        c.close()
