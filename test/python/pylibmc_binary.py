"""Drives a server with pylibmc (libmemcached) over the binary protocol, optionally with SASL.

Usage: pylibmc_binary.py HOST:PORT [USER PASSWORD]. Prints one line per check, "ok <name>" or
"FAIL <name>: <detail>", then "done"; the Node test asserts on these lines.
"""
import sys

import pylibmc

server = sys.argv[1]
creds = {}
if len(sys.argv) == 4:
    creds = {"username": sys.argv[2], "password": sys.argv[3]}
mc = pylibmc.Client([server], binary=True, behaviors={"cas": True}, **creds)


def check(name, fn):
    try:
        got = fn()
        print(f"ok {name}" if got is True else f"FAIL {name}: {got!r}")
    except Exception as exc:  # report, do not stop: the test wants every line
        print(f"FAIL {name}: {type(exc).__name__}: {exc}")


check("set/get str", lambda: mc.set("s", "hello") and mc.get("s") == "hello" or mc.get("s"))
check("bytes", lambda: mc.set("b", b"\x00\x01\xff") and mc.get("b") == b"\x00\x01\xff")
check("int (flags)", lambda: mc.set("i", 42) and mc.get("i") == 42)
check("pickled (flags)", lambda: mc.set("d", {"a": [1, 2]}) and mc.get("d") == {"a": [1, 2]})
check("miss", lambda: mc.get("nope") is None)
check("add existing", lambda: mc.add("s", "x") is False)


def replace_missing():
    # Over the binary protocol libmemcached reports the server's "Not found" as NotFound.
    try:
        mc.replace("nope", "x")
    except pylibmc.NotFound:
        return True
    return "no NotFound"


check("replace missing", replace_missing)
check("append", lambda: mc.append("s", " world") and mc.get("s") == "hello world")
check("prepend", lambda: mc.prepend("s", ">") and mc.get("s") == ">hello world")
check("incr creates nothing", lambda: mc.set("n", "10") and mc.incr("n", 5) == 15)
check("decr floors at 0", lambda: mc.decr("n", 100) == 0)
check("delete", lambda: mc.delete("s") and mc.get("s") is None)
check(
    "multi",
    lambda: mc.set_multi({"m1": "a", "m2": "b"}) == []
    and mc.get_multi(["m1", "m2", "m3"]) == {"m1": "a", "m2": "b"},
)
check(
    "cas",
    lambda: (lambda v, cas: mc.cas("i", 43, cas) and mc.get("i") == 43 and not mc.cas("i", 44, cas))(
        *mc.gets("i")
    ),
)
check("touch", lambda: mc.touch("i", 100))
check("large value", lambda: mc.set("big", b"z" * 500000) and mc.get("big") == b"z" * 500000)
check("flush", lambda: mc.flush_all() and mc.get("i") is None)
print("done")
