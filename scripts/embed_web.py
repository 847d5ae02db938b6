#!/usr/bin/env python3
"""Embeds the web app (web/) into a C file (used by web/meson.build).

    embed_web.py --src DIR --out FILE.c [--depfile FILE.d] [--budget BYTES]
                 [--manifest FILE.json]

Reads DIR/index.html and every file it serves from DIR (*.css, *.svg and the
JavaScript modules under DIR/js/). Each file except index.html gets a
content-hashed name, `name.<10 hex digits of SHA-256>.ext`, and every
reference to it is rewritten: in index.html (`app/name.ext`) and in the
modules' own imports (`from './name.js'`), so a module's hash covers the
hashes of what it imports (modules are hashed leaves first; an import cycle
is an error). Each file gets a gzip copy made here (level 9, mtime 0, so the
build is reproducible), and the C file defines `webapp_files[]` and
`webapp_files_count` (src/http/webapp.h), index.html first.

The build fails when all the files gzipped together exceed --budget bytes
(API.md section 8's budget), or when index.html names a file that is not
there. The depfile lists every file read and the folders, so that ninja
reruns this when anything in web/ changes.
"""
import argparse
import gzip
import hashlib
import json
import os
import re
import sys

TYPES = {
    ".html": "text/html; charset=utf-8",
    ".css": "text/css; charset=utf-8",
    ".js": "text/javascript; charset=utf-8",
    ".svg": "image/svg+xml",
}
# An import or export ... from './x.js' (static), or import('./x.js').
IMPORT_RE = re.compile(r"""((?:\bfrom|\bimport)\s*\(?\s*)(['"])\./([A-Za-z0-9_.-]+\.js)\2""")
# A reference from index.html: href="app/x.css" or src="app/x.js".
HTML_REF_RE = re.compile(r"""((?:href|src)=")app/([A-Za-z0-9_.-]+)(")""")


def fail(msg):
    sys.stderr.write("embed_web: " + msg + "\n")
    sys.exit(1)


def hashed(name, data):
    stem, ext = os.path.splitext(name)
    return f"{stem}.{hashlib.sha256(data).hexdigest()[:10]}{ext}"


def gz(data):
    return gzip.compress(data, compresslevel=9, mtime=0)


def read_sources(src):
    """{served name: bytes} for every servable file, and the paths read."""
    files, paths, dirs = {}, [], [src]
    for sub in ("", "js"):
        folder = os.path.join(src, sub)
        if not os.path.isdir(folder):
            continue
        if sub:
            dirs.append(folder)
        for entry in sorted(os.listdir(folder)):
            path = os.path.join(folder, entry)
            ext = os.path.splitext(entry)[1]
            if not os.path.isfile(path) or ext not in TYPES:
                continue
            if sub == "" and ext == ".js":
                continue  # config files next to package.json, not the app
            if sub == "js" and ext != ".js":
                continue
            if entry in files:
                fail(f"two files are served as {entry}")
            if not re.match(r"^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$", entry):
                fail(f"{path}: names may hold letters, digits, '_', '-' and dots only")
            with open(path, "rb") as f:
                files[entry] = f.read()
            paths.append(path)
    if "index.html" not in files:
        fail(f"{src}/index.html is missing")
    return files, paths, dirs


def hash_modules(files):
    """Gives each file its hashed name, rewriting module imports, leaves first."""
    final = {}  # source name -> (hashed name, bytes)
    visiting = set()

    def visit(name, chain):
        if name in final:
            return final[name][0]
        if name not in files:
            fail(f"{chain[-1]} imports ./{name}, which is not in web/js/")
        if name in visiting:
            fail("import cycle: " + " -> ".join(chain + [name]))
        visiting.add(name)
        data = files[name]
        if name.endswith(".js"):
            text = data.decode("utf-8")
            text = IMPORT_RE.sub(lambda m: m.group(1) + m.group(2) + "./"
                                 + visit(m.group(3), chain + [name]) + m.group(2), text)
            data = text.encode("utf-8")
        visiting.discard(name)
        final[name] = (hashed(name, data), data)
        return final[name][0]

    for name in sorted(files):
        if name != "index.html":
            visit(name, [])
    return final


def rewrite_index(html, final):
    def sub(m):
        name = m.group(2)
        if name not in final:
            fail(f"index.html refers to app/{name}, which is not in web/")
        return m.group(1) + "app/" + final[name][0] + m.group(3)
    return HTML_REF_RE.sub(sub, html.decode("utf-8")).encode("utf-8")


def c_bytes(data):
    """A C string literal holding exactly data (split into lines)."""
    out, cur, width = [], [], 0
    for byte in data:
        ch = chr(byte)
        if ch == "\\":
            piece = "\\\\"
        elif ch == '"':
            piece = '\\"'
        elif ch == "\n":
            piece = "\\n"
        elif 0x20 <= byte < 0x7F and ch != "?":  # '?' could start a trigraph
            piece = ch
        else:
            piece = "\\%03o" % byte  # always 3 digits: a digit after it stays a digit
        cur.append(piece)
        width += len(piece)
        if width >= 96 or ch == "\n":
            out.append('"' + "".join(cur) + '"')
            cur, width = [], 0
    if cur or not out:
        out.append('"' + "".join(cur) + '"')
    return "\n    ".join(out)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--src", required=True)
    ap.add_argument("--out", required=True)
    ap.add_argument("--depfile")
    ap.add_argument("--manifest")
    ap.add_argument("--budget", type=int, default=50 * 1024)
    args = ap.parse_args()

    files, paths, dirs = read_sources(args.src)
    final = hash_modules(files)
    index = rewrite_index(files["index.html"], final)
    served = [("index.html", index)] + sorted(final.values())

    total_gz = 0
    out = ["/* Generated by scripts/embed_web.py from web/: do not edit. */",
           '#include "http/webapp.h"', ""]
    rows = []
    manifest = {"files": {}, "total_bytes": 0, "total_gzip_bytes": 0}
    for i, (name, data) in enumerate(served):
        packed = gz(data)
        total_gz += len(packed)
        ext = os.path.splitext(name)[1]
        out.append(f"static const char file{i}[] =\n    {c_bytes(data)};")
        out.append(f"static const char file{i}_gz[] =\n    {c_bytes(packed)};")
        rows.append(f'    {{"{name}", "{TYPES[ext]}", file{i}, sizeof(file{i}) - 1, '
                    f"file{i}_gz, sizeof(file{i}_gz) - 1}},")
        manifest["files"][name] = {"bytes": len(data), "gzip_bytes": len(packed)}
        manifest["total_bytes"] += len(data)
    manifest["total_gzip_bytes"] = total_gz
    if total_gz > args.budget:
        fail(f"the web app is {total_gz} bytes gzipped, over the budget of {args.budget}")
    out.append("")
    out.append("const webapp_file_t webapp_files[] = {")
    out.extend(rows)
    out.append("};")
    out.append(f"const size_t webapp_files_count = {len(served)};")
    out.append(f"const size_t webapp_gzip_total = {total_gz};")
    out.append("")

    with open(args.out, "w", encoding="utf-8") as f:
        f.write("\n".join(out))
    if args.manifest:
        with open(args.manifest, "w", encoding="utf-8") as f:
            json.dump(manifest, f, indent=1, sort_keys=True)
            f.write("\n")
    if args.depfile:
        def esc(p):
            return p.replace("\\", "\\\\").replace(" ", "\\ ").replace("$", "$$")
        with open(args.depfile, "w", encoding="utf-8") as f:
            deps = [os.path.abspath(p) for p in dirs + paths]
            f.write(esc(args.out) + ": " + " ".join(esc(p) for p in deps) + "\n")


if __name__ == "__main__":
    main()
