"""Every response the API tests receive is checked against the server's own
OpenAPI document (GET /openapi.json), so the document cannot drift from the
behaviour: a status the operation does not list, a missing documented header,
a content type or a body that does not match the schema fails the test that
received the response.

How: importing this module wraps httpx.Client.send (every httpx call of the
tests goes through it, module-level httpx.get too); conftest.py imports the
three hook wrappers below, which fail the current test when one of its
responses broke the document. Raw-socket tests (apiutil.RawConn) are not
seen, on purpose: they speak broken HTTP.

Matching follows the router (src/http/router.c): a path is split into
segments, a {name} segment matches any non-empty one, and where several
templates fit, the one whose first differing segment is literal wins. A
known path with an unknown method must be 405 with Allow; an unknown path
404; both with the Error body. CORS preflights (OPTIONS, 204) are outside
the document. Bodies are validated with JSON Schema draft 2020-12 (the
dialect of OpenAPI 3.1); formats are not asserted, patterns are.
"""
from __future__ import annotations

import json
import threading
import urllib.error
import urllib.request
from typing import Any, Optional
from urllib.parse import urlsplit

import httpx
import jsonschema
import pytest

# Statuses the HTTP layer may answer for a path that matches no template.
UNMATCHED_STATUSES = {404, 413, 431, 500}

_lock = threading.Lock()
_problems: list[str] = []
_specs: dict[str, Optional["Spec"]] = {}


# --------------------------------------------------------------------- the document

def resolve_refs(node: Any, root: dict, depth: int = 0) -> Any:
    """A copy of node with every local $ref replaced by what it points at."""
    assert depth < 64, "reference cycle in the OpenAPI document"
    if isinstance(node, dict):
        if "$ref" in node:
            ref = node["$ref"]
            assert ref.startswith("#/"), f"non-local $ref {ref!r}"
            target: Any = root
            for part in ref[2:].split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            merged = dict(resolve_refs(target, root, depth + 1))
            merged.update({k: resolve_refs(v, root, depth + 1)
                           for k, v in node.items() if k != "$ref"})
            return merged
        return {k: resolve_refs(v, root, depth) for k, v in node.items()}
    if isinstance(node, list):
        return [resolve_refs(v, root, depth) for v in node]
    return node


class Route:
    def __init__(self, template: str, item: dict):
        self.template = template
        self.segments = template.strip("/").split("/") if template != "/" else [""]
        self.operations = {m.upper(): op for m, op in item.items()
                           if m in ("get", "put", "post", "delete", "options", "head", "patch")}
        rank = 0
        for i, seg in enumerate(self.segments):
            if not (seg.startswith("{") and seg.endswith("}")):
                rank |= 1 << (31 - i)
        self.rank = rank

    def matches(self, segments: list[str]) -> bool:
        if len(segments) != len(self.segments):
            return False
        for want, got in zip(self.segments, segments):
            if want.startswith("{") and want.endswith("}"):
                if got == "":
                    return False
            elif want != got:
                return False
        return True


class Spec:
    """The OpenAPI document of one server, ready to check responses."""

    def __init__(self, doc: dict):
        assert doc.get("openapi", "").startswith("3.1"), doc.get("openapi")
        self.doc = doc
        self.resolved = resolve_refs(doc, doc)
        self.routes = [Route(t, item) for t, item in self.resolved["paths"].items()]
        comps = self.resolved.get("components", {})
        self.error_schema = comps["schemas"]["Error"]
        self.error_responses = comps.get("responses", {})

    def find(self, method: str, path: str) -> tuple[Optional[Route], Optional[dict], set[str]]:
        """(route, operation, methods of the path) as the router would see it."""
        if not path.startswith("/"):
            return None, None, set()
        segments = path[1:].split("/")
        fits = [r for r in self.routes if r.matches(segments)]
        methods = {m for r in fits for m in r.operations}
        with_method = [r for r in fits if method in r.operations]
        if not with_method:
            return (fits[0] if fits else None), None, methods
        best = max(with_method, key=lambda r: r.rank)
        return best, best.operations[method], methods

    # ------------------------------------------------------------------ checks

    def check(self, method: str, url: str, status: int, headers: httpx.Headers,
              body: Optional[bytes]) -> list[str]:
        path = urlsplit(url).path
        where = f"{method} {path} -> {status}"
        if method == "HEAD":  # GET without the body (RFC 9110 section 9.3.2)
            method, body = "GET", None
        route, op, methods = self.find(method, path)
        if method == "OPTIONS" and status == 204 and op is None:
            return []  # a CORS preflight: outside the document
        if route is None:
            if status not in UNMATCHED_STATUSES:
                return [f"{where}: no route has this path, so only {sorted(UNMATCHED_STATUSES)} "
                        "may answer"]
            return self._check_error(where, status, headers, body)
        if op is None:
            problems = []
            if status not in UNMATCHED_STATUSES | {405}:
                problems.append(f"{where}: {route.template} has no {method} (it has "
                                f"{sorted(methods)}), so the answer must be 405")
            if status == 405:
                allow = {m.strip() for m in headers.get("allow", "").split(",") if m.strip()}
                if allow != methods:
                    problems.append(f"{where}: Allow {sorted(allow)} differs from the document's "
                                    f"methods {sorted(methods)} for {route.template}")
            return problems + self._check_error(where, status, headers, body)
        where = f"{method} {route.template} -> {status}"
        responses = op.get("responses", {})
        resp = responses.get(str(status)) or responses.get("default")
        if resp is None:
            return [f"{where}: status {status} is not in the document (it lists "
                    f"{', '.join(sorted(responses))})"]
        return self._check_response(where, resp, headers, body)

    def _check_error(self, where: str, status: int, headers: httpx.Headers,
                     body: Optional[bytes]) -> list[str]:
        resp = self.error_responses.get(f"Error{status}")
        if resp is None:
            resp = {"headers": {}, "content": {"application/json": {"schema": self.error_schema}}}
        return self._check_response(where, resp, headers, body)

    def _check_response(self, where: str, resp: dict, headers: httpx.Headers,
                        body: Optional[bytes]) -> list[str]:
        problems: list[str] = []
        for name, h in (resp.get("headers") or {}).items():
            value = headers.get(name)
            if value is None:
                if h.get("required"):
                    problems.append(f"{where}: header {name} is missing")
                continue
            problems += [f"{where}: header {name}: {p}"
                         for p in schema_problems(h.get("schema", {}), header_value(h, value))]
        content = resp.get("content")
        if not content:
            if body:
                problems.append(f"{where}: the document says no body, got {len(body)} bytes")
            return problems
        ctype = headers.get("content-type", "")
        base = ctype.split(";")[0].strip().lower()
        media = None
        for key, m in content.items():
            k = key.split(";")[0].strip().lower()
            if k == base or k == "*/*" or (k.endswith("/*") and base.startswith(k[:-1])):
                media = m
                break
        if media is None:
            problems.append(f"{where}: content type {ctype!r} is not one of {list(content)}")
            return problems
        if body is None or not (base == "application/json" or base.endswith("+json")):
            return problems
        try:
            value = json.loads(body)
        except ValueError as e:
            return problems + [f"{where}: the body is not JSON ({e}): {body[:200]!r}"]
        problems += [f"{where}: body: {p}" for p in schema_problems(media.get("schema", {}), value)]
        return problems


def header_value(h: dict, value: str) -> Any:
    """A header's text as the type its schema names (integers as int)."""
    if (h.get("schema") or {}).get("type") == "integer":
        try:
            return int(value)
        except ValueError:
            return value
    return value


def schema_problems(schema: dict, value: Any) -> list[str]:
    v = jsonschema.Draft202012Validator(schema)
    out = []
    for err in sorted(v.iter_errors(value), key=lambda e: list(e.absolute_path)):
        where = "/".join(str(p) for p in err.absolute_path) or "(top)"
        out.append(f"at {where}: {err.message[:300]}")
    return out[:10]


# --------------------------------------------------------------------- fetching documents

def spec_for(url: str) -> Optional[Spec]:
    """The document of the server at url's origin, fetched once; None when that
    origin serves none (not a todo-server, e.g. a test's JWKS server)."""
    parts = urlsplit(url)
    origin = f"{parts.scheme}://{parts.netloc}"
    with _lock:
        if origin in _specs:
            return _specs[origin]
    spec = None
    try:
        # urllib, not httpx: this fetch must not be checked against itself.
        with urllib.request.urlopen(origin + "/openapi.json", timeout=10) as r:
            spec = Spec(json.loads(r.read()))
    except (urllib.error.URLError, OSError, ValueError, AssertionError, KeyError):
        spec = None
    with _lock:
        _specs[origin] = spec
    return spec


def note(problem: str) -> None:
    with _lock:
        _problems.append(problem)


def check_response(response: httpx.Response, body_read: bool) -> None:
    request = response.request
    spec = spec_for(str(request.url))
    if spec is None:
        if "x-request-id" in response.headers:
            note(f"{request.method} {request.url.path}: the server answered but serves no "
                 "valid /openapi.json to check the answer against")
        return
    body = response.content if body_read else None
    for p in spec.check(request.method, str(request.url), response.status_code,
                        response.headers, body):
        note(p)


# --------------------------------------------------------------------- the httpx hook

_original_send = httpx.Client.send


def _checked_send(self, request, *args, **kwargs):
    response = _original_send(self, request, *args, **kwargs)
    stream = kwargs.get("stream", False)
    try:
        check_response(response, body_read=not stream)
    except Exception as e:  # a bug here must not look like a server bug
        note(f"openapi_validate failed on {request.method} {request.url}: {e!r}")
    return response


if not getattr(httpx.Client.send, "_openapi_checked", False):
    _checked_send._openapi_checked = True  # type: ignore[attr-defined]
    httpx.Client.send = _checked_send  # type: ignore[method-assign]


# --------------------------------------------------------------------- pytest hooks

def _take() -> list[str]:
    with _lock:
        out = list(_problems)
        _problems.clear()
    return out


def _fail_if_problems(outcome, phase: str) -> None:
    problems = _take()
    if problems and outcome.excinfo is None:
        shown = "\n  ".join(dict.fromkeys(problems))
        pytest.fail(f"{len(problems)} response(s) in {phase} do not match /openapi.json:\n  "
                    + shown, pytrace=False)


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_setup(item):
    _take()
    outcome = yield
    _fail_if_problems(outcome, "setup")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_call(item):
    _take()
    outcome = yield
    _fail_if_problems(outcome, "the test")


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_teardown(item, nextitem):
    _take()
    outcome = yield
    _fail_if_problems(outcome, "teardown")


def problems_for(response: httpx.Response) -> list[str]:
    """The problems of one response, for tests of this module itself."""
    spec = spec_for(str(response.request.url))
    assert spec is not None, "no OpenAPI document at " + str(response.request.url)
    return spec.check(response.request.method, str(response.request.url), response.status_code,
                      response.headers, response.content)


__all__ = ["pytest_runtest_setup", "pytest_runtest_call", "pytest_runtest_teardown", "Spec",
           "problems_for", "resolve_refs"]
