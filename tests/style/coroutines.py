#!/usr/bin/env python3
"""The g++ 12 coroutine rule (docs/internals.md, "The g++ 12 coroutine rule"), checked in
server/src: a coroutine (a function returning boost::asio::awaitable) has one co_return, at its
function scope, so no object of a nested scope is co_returned after a co_await. Exit 1 with every
violation listed."""

import re
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SIGNATURE = re.compile(r"awaitable<.*>\s*[\w:~]+\s*\(")


def coroutines(lines):
    """(first line number, body indentation, body lines) of each coroutine definition."""
    i = 0
    while i < len(lines):
        if SIGNATURE.search(lines[i]) and not lines[i].lstrip().startswith("//"):
            j = i
            while j < len(lines) and not lines[j].rstrip().endswith(("{", ";")):
                j += 1
            if j < len(lines) and lines[j].rstrip().endswith("{"):
                indent = len(lines[i]) - len(lines[i].lstrip())
                closing = " " * indent + "}"
                k = j + 1
                while k < len(lines) and not lines[k].rstrip() == closing:
                    k += 1
                yield i + 1, indent + 4, lines[j + 1:k], j + 2
                i = k
        i += 1


def main() -> int:
    files = subprocess.run(["git", "ls-files", "server/src/*.cpp", "server/src/*.hpp"], cwd=ROOT,
                           capture_output=True, text=True, check=True).stdout.split()
    problems = []
    for name in files:
        lines = (ROOT / name).read_text().splitlines()
        for start, indent, body, first in coroutines(lines):
            returns = [(first + n, line) for n, line in enumerate(body) if re.search(r"\bco_return\b", line)
                       and not line.lstrip().startswith("//")]
            for line_no, line in returns:
                if len(line) - len(line.lstrip()) != indent:
                    problems.append(f"{name}:{line_no}: co_return inside a nested scope: {line.strip()}")
            if len(returns) > 1:
                problems.append(f"{name}:{start}: coroutine with {len(returns)} co_returns (one, at function scope)")
    for p in problems:
        print(p)
    if problems:
        print("coroutines: the g++ 12 rule is broken (docs/internals.md, \"The g++ 12 coroutine rule\")")
        return 1
    print("coroutines: ok")
    return 0


if __name__ == "__main__":
    sys.exit(main())
