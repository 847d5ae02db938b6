#!/usr/bin/python3
"""Follows a list's Link: rel="next" headers (API.md section 4.3, `cursor`)
from the first page until the page that starts at offset OFFSET or just
before it, and prints that page's path (with its cursor): the deep page
reached the way a client reaches it. Prints "n/a" when the server's first
answer has no Link header (no keyset paging).

usage: follow_cursor.py BASE_URL TOKEN PATH_WITH_QUERY OFFSET
(PATH_WITH_QUERY is the first page, e.g. /api/u/tasks?limit=20)"""
import http.client
import re
import sys
import urllib.parse


def main():
    base, token, path, offset = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    url = urllib.parse.urlsplit(base)
    conn = http.client.HTTPConnection(url.hostname, url.port, timeout=60)
    headers = {"Authorization": "Bearer " + token}
    limit = int(urllib.parse.parse_qs(urllib.parse.urlsplit(path).query)["limit"][0])
    at = 0
    while at + limit <= offset:
        conn.request("GET", path, headers=headers)
        resp = conn.getresponse()
        body = resp.read()
        if resp.status != 200:
            sys.exit(f"follow_cursor.py: {path} answered {resp.status}: {body[:200]!r}")
        link = resp.getheader("Link")
        if link is None:
            if at == 0:
                print("n/a")
                return
            sys.exit(f"follow_cursor.py: no Link at offset {at} before {offset}")
        m = re.search(r'<([^>]*)>\s*;\s*rel="?next"?', link)
        if m is None:
            sys.exit(f"follow_cursor.py: no rel=next in Link: {link}")
        nxt = urllib.parse.urlsplit(m.group(1))
        path = nxt.path + ("?" + nxt.query if nxt.query else "")
        at += limit
    print(path)


if __name__ == "__main__":
    main()
