#!/usr/bin/env python3
"""PostgreSQL calls in extension/src run inside PgGuard, or are on the list in
extension/src/pg_guard.hpp ("PostgreSQL calls allowed outside PgGuard"). A call is a name followed
by "(" that PostgreSQL's server headers declare or define (functions and function-like macros) and
that extension/src does not define itself; it is guarded when it lies between the parentheses of a
PgGuard(...) call. Exit 1 with every unguarded, unlisted call."""

import os
import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
GUARD_HEADER = ROOT / "extension/src/pg_guard.hpp"
NOT_CALLS = {"if", "for", "while", "switch", "return", "sizeof", "alignof", "decltype", "noexcept", "catch",
             "static_assert", "static_cast", "reinterpret_cast", "const_cast", "PgGuard", "CatchAll", "char",
             "void", "int", "bool", "long", "unsigned", "signed", "short", "double", "float", "auto", "operator",
             "new", "delete", "defined", "alignas", "typeid"}


def server_includes() -> Path:
    pg_config = os.environ.get("PG_CONFIG") or str(Path(os.environ.get("PG_BIN", "/usr/lib/postgresql/15/bin"))
                                                   / "pg_config")
    out = subprocess.run([pg_config, "--includedir-server"], capture_output=True, text=True, check=True)
    return Path(out.stdout.strip())


def without_comments_and_strings(src: str) -> str:
    """The source with comments, string and character literals blanked (offsets and lines kept)."""
    return re.sub(r'//[^\n]*|/\*.*?\*/|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'',
                  lambda m: re.sub(r"[^\n]", " ", m.group(0)), src, flags=re.S)


def allowed_list():
    """(never_raise names, plain-C files, plain-C (file, function) pairs) from pg_guard.hpp: the
    names on the "//     " lines under "never-raise:" and "plain-c:"."""
    lists, key = {"never-raise": [], "plain-c": []}, None
    for line in GUARD_HEADER.read_text().splitlines():
        m = re.match(r"//   (never-raise|plain-c):", line)
        if m:
            key = m.group(1)
        elif key and line.startswith("//     "):
            lists[key].extend(line[2:].split())
        elif key and not line.startswith("//    "):
            key = None
    if not lists["never-raise"] or not lists["plain-c"]:
        sys.exit("pg_calls: the list \"PostgreSQL calls allowed outside PgGuard\" is missing from pg_guard.hpp")
    plain = lists["plain-c"]
    return (set(lists["never-raise"]), {w for w in plain if ":" not in w},
            {tuple(w.split(":")) for w in plain if ":" in w})


def guarded_ranges(code: str):
    """(start, end) offsets of the argument list of every PgGuard(...) call."""
    for m in re.finditer(r"\bPgGuard\s*\(", code):
        depth, i = 0, m.end() - 1
        while i < len(code):
            depth += {"(": 1, ")": -1}.get(code[i], 0)
            if depth == 0:
                break
            i += 1
        yield m.end(), i


def functions(code: str):
    """(start, end, name) of every function body at namespace scope."""
    depth_kinds, last_stop = [], 0
    start_name = None
    for i, c in enumerate(code):
        if c == "{":
            header = code[last_stop:i]
            if all(k == "ns" for k in depth_kinds):
                if re.search(r'\bnamespace\b|extern\s+"C"\s*$|^\s*extern\s*$', header) or "(" not in header:
                    depth_kinds.append("ns")
                else:
                    name = re.findall(r"(\w+)\s*\(", header)
                    start_name = (i, name[0] if name else "?")
                    depth_kinds.append("fn")
            else:
                depth_kinds.append("block")
            last_stop = i + 1
        elif c == "}":
            kind = depth_kinds.pop() if depth_kinds else "ns"
            if kind == "fn" and start_name:
                yield start_name[0], i, start_name[1]
            last_stop = i + 1
        elif c == ";" and all(k == "ns" for k in depth_kinds):
            last_stop = i + 1


def main() -> int:
    headers = server_includes()
    if not headers.is_dir():
        sys.exit(f"pg_calls: no PostgreSQL server headers at {headers}")
    pg_names = set()
    for h in headers.rglob("*.h"):
        pg_names.update(re.findall(r"\b([A-Za-z_]\w*)\s*\(", h.read_text(errors="replace")))
    never_raise, plain_files, plain_functions = allowed_list()
    files = subprocess.run(["git", "ls-files", "extension/src/*.cpp", "extension/src/*.hpp"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    sources = {name: without_comments_and_strings((ROOT / name).read_text()) for name in files}
    ours = set()  # names extension/src defines or declares itself
    for code in sources.values():
        ours.update(re.findall(r"\b[\w:<>*&]+[\s*&]+(?:\w+::)*([A-Za-z_]\w*)\s*\([^;{]*\)\s*(?:const\s*)?"
                               r"(?:noexcept\s*)?[;{]", code))
    problems = []
    for name, code in sources.items():
        base = Path(name).name
        if base in plain_files:
            continue
        guards = list(guarded_ranges(code))
        bodies = list(functions(code))
        for m in re.finditer(r"(?<![\w.>:])([A-Za-z_]\w*)\s*\(", code):
            call = m.group(1)
            if call in NOT_CALLS or call not in pg_names or call in ours or call in never_raise:
                continue
            before = code[:m.start()].rstrip()
            if (re.search(r"[\w>]\s*[*&]?$", before) and not re.search(r"&&$|\b(return|else|case|throw)$", before)):
                continue  # a declaration (a type precedes the name), not a call
            if any(a <= m.start() <= b for a, b in guards):
                continue
            fn = next((f for a, b, f in bodies if a <= m.start() <= b), None)
            if (base, fn) in plain_functions:
                continue
            line = code.count("\n", 0, m.start()) + 1
            problems.append(f"{name}:{line}: {call}() outside PgGuard (in {fn or 'file scope'})")
    for p in problems:
        print(p)
    if problems:
        print("pg_calls: wrap these in PgGuard, or, if they cannot ereport or run where no C++ object "
              "is live, add them to \"PostgreSQL calls allowed outside PgGuard\" in extension/src/pg_guard.hpp")
        return 1
    print("pg_calls: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
