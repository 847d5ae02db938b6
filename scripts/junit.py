#!/usr/bin/python3
"""JUnit XML helpers for scripts/test.sh (standard library only).

  junit.py meson TESTLOG_JSON OUT_XML SUITE
      One JUnit file from meson's meson-logs/testlog.json, with one test case
      per cmocka test case (cmocka's TAP output, CMOCKA_MESSAGE_OUTPUT=TAP), or
      one per meson test for tests that print no TAP. A meson test that failed
      without reporting a failing case, or before reporting every case its
      TAP plan announced (a crash, a sanitizer abort, a timeout), adds one
      failing case of its own, so a failure is never lost.

  junit.py case OUT_XML SUITE NAME pass|fail|skip [MESSAGE_FILE]
      A file with one test case (a build step, a runner that died, a fuzz run).

  junit.py check-pytest XML RC SUITE
      After a pytest run with exit code RC: when XML is missing, or RC says
      something failed (5: no tests collected) while XML lists no failure,
      writes XML's sibling SUITE.runner.xml with one failing case.

  junit.py summary DIR
      Counts every test case in DIR/*.xml (failure or error: failed; skipped:
      skipped; else passed), prints one line per file, then the last line
      'N passed, N failed'. Exits 1 when something failed or nothing passed.
"""

import glob
import json
import os
import re
import sys
import xml.etree.ElementTree as ET

TAP_LINE = re.compile(r"^(not ok|ok)\b\s*(\d+)?\s*(?:-\s*)?(.*)$")
MESSAGE_LIMIT = 20000


def clean(text):
    """Drops characters XML 1.0 cannot hold and keeps the tail of long text."""
    text = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]", "?", text or "")
    if len(text) > MESSAGE_LIMIT:
        text = "[...]\n" + text[-MESSAGE_LIMIT:]
    return text


def write_suite(path, suite, cases):
    """cases: list of (name, status, message) with status pass|fail|skip."""
    failures = sum(1 for c in cases if c[1] == "fail")
    skipped = sum(1 for c in cases if c[1] == "skip")
    root = ET.Element("testsuites")
    ts = ET.SubElement(root, "testsuite", name=suite, tests=str(len(cases)),
                       failures=str(failures), errors="0", skipped=str(skipped))
    for name, status, message in cases:
        tc = ET.SubElement(ts, "testcase", classname=suite, name=clean(name))
        if status == "fail":
            el = ET.SubElement(tc, "failure", message=clean(message.splitlines()[0]
                                                            if message else "failed"))
            el.text = clean(message)
        elif status == "skip":
            ET.SubElement(tc, "skipped", message=clean(message or "skipped"))
    os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def cases_from_meson(log_path):
    cases = []
    with open(log_path, encoding="utf-8", errors="replace") as f:
        entries = [json.loads(line) for line in f if line.strip()]
    for e in entries:
        test = e.get("name", "?")
        result = e.get("result", "ERROR")
        output = (e.get("stdout") or "") + (e.get("stderr") or "")
        tap = []
        planned = 0
        lines = output.splitlines()
        for i, line in enumerate(lines):
            plan = re.match(r"^1\.\.(\d+)", line)
            if plan:
                planned += int(plan.group(1))
                continue
            m = TAP_LINE.match(line)
            if not m:
                continue
            desc = m.group(3).strip()
            num = m.group(2) or str(len(tap) + 1)
            name = "%s/%s" % (test, re.sub(r"\s*#.*$", "", desc) or num)
            if re.search(r"#\s*(SKIP|TODO)", desc, re.I):
                tap.append((name, "skip", desc))
            elif m.group(1) == "ok":
                tap.append((name, "pass", ""))
            else:
                # The diagnostics are the '#' lines that follow.
                diag = []
                for nxt in lines[i + 1:]:
                    if not nxt.startswith("#"):
                        break
                    diag.append(nxt)
                tap.append((name, "fail", "\n".join(diag) or "not ok"))
        # The group summary line "# ok - group" is a comment, not a case.
        cases.extend(tap)
        failed_cases = any(c[1] == "fail" for c in tap)
        if result in ("OK", "EXPECTEDFAIL"):
            if not tap:
                cases.append((test, "pass", ""))
        elif result == "SKIP":
            if not tap:
                cases.append((test, "skip", "skipped by the test (exit 77)"))
        elif not failed_cases or len(tap) < planned:
            # Crashed, timed out or died in a sanitizer: the cases it never
            # reported are one more failure.
            cases.append((test + " [%s, exit code %s, %d of %d cases reported]"
                          % (result, e.get("returncode"), len(tap), planned),
                          "fail", output))
    return cases


def count(path):
    passed = failed = skipped = 0
    try:
        root = ET.parse(path).getroot()
    except (ET.ParseError, OSError) as exc:
        print("junit: %s: unreadable (%s): counted as 1 failure" % (path, exc))
        return 0, 1, 0
    for tc in root.iter("testcase"):
        tags = {child.tag for child in tc}
        if tags & {"failure", "error"}:
            failed += 1
        elif "skipped" in tags:
            skipped += 1
        else:
            passed += 1
    return passed, failed, skipped


def main(argv):
    if len(argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    cmd = argv[1]
    if cmd == "meson" and len(argv) == 5:
        log_path, out, suite = argv[2:5]
        if not os.path.exists(log_path):
            cases = [("meson test", "fail", "no test log at " + log_path)]
        else:
            cases = cases_from_meson(log_path)
        write_suite(out, suite, cases)
        return 0
    if cmd == "case" and len(argv) in (6, 7):
        out, suite, name, status = argv[2:6]
        message = ""
        if len(argv) == 7 and os.path.exists(argv[6]):
            with open(argv[6], encoding="utf-8", errors="replace") as f:
                message = f.read()
        write_suite(out, suite, [(name, status, message)])
        return 0
    if cmd == "check-pytest" and len(argv) == 5:
        xml, rc, suite = argv[2], int(argv[3]), argv[4]
        runner = os.path.join(os.path.dirname(xml), suite + ".runner.xml")
        reason = None
        if rc == 5:
            reason = "pytest collected no tests (exit code 5)"
        elif not os.path.exists(xml):
            reason = "pytest wrote no JUnit file (exit code %d)" % rc
        elif rc != 0 and count(xml)[1] == 0:
            reason = "pytest exited with code %d but reported no failing test" % rc
        if reason:
            write_suite(runner, suite, [("pytest run", "fail", reason)])
        return 0
    if cmd == "summary" and len(argv) == 3:
        total_p = total_f = total_s = 0
        for path in sorted(glob.glob(os.path.join(argv[2], "*.xml"))):
            p, f, s = count(path)
            total_p, total_f, total_s = total_p + p, total_f + f, total_s + s
            print("  %-32s %5d passed, %d failed, %d skipped"
                  % (os.path.basename(path)[:-4], p, f, s))
        if total_s:
            print("(%d skipped, not counted as passed)" % total_s)
        if total_p + total_f == 0:
            print("no test ran: counted as a failure")
            total_f = 1
        print("%d passed, %d failed" % (total_p, total_f))
        return 1 if total_f else 0
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
