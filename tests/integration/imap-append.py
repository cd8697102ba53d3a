#!/usr/bin/env python3
"""imap-append.py -- IMAP fixtures and probes for the integration tests.

Talks to the private Dovecot of tests/integration/dovecot over implicit TLS
(the test CA verifies it) as user info/secret, unless told otherwise.

  imap-append.py -d DIR append FOLDER FILE...   append each FILE unseen,
                                                print the new UIDs
  imap-append.py -d DIR list                    print every folder name
  imap-append.py -d DIR flags FOLDER            print "UID FLAG..." a line
  imap-append.py -d DIR count FOLDER            print the message count
  imap-append.py -d DIR delete FOLDER           delete it (and children)
  imap-append.py -d DIR empty FOLDER            expunge every message
  imap-append.py fake --port-file F MODE        a hostile fake server

-d DIR reads the TLS port from DIR/ports and the CA from DIR/pki/ca.pem.
--done-file F writes time.monotonic() to F once the command is done (the
test compares it with CLOCK_MONOTONIC to time IDLE wake-ups).

The fake server (plaintext, 127.0.0.1, one connection) answers the greeting,
CAPABILITY, LOGIN, SELECT and UID SEARCH like a server would; on UID FETCH:
  literal-eof   sends "{1000}" and 10 bytes of it, then closes the socket
  drip          sends "{1000000}" and then one byte every 0.2 s, forever
  silent        never answers the UID FETCH
  nul           answers with a 9-byte literal body holding NULs
  quoted        answers with the body as a quoted string, "hi"
and, for STARTTLS (it never really starts TLS):
  nostarttls    answers STARTTLS with BAD
  inject        answers STARTTLS with OK and an untagged line after it
  preauth       greets with PREAUTH
It writes its port to F once listening, and exits after one connection.
--log L appends every command line it receives to L.
"""

import argparse
import imaplib
import os
import re
import socket
import ssl
import sys
import time


def connect(args):
    with open(os.path.join(args.dir, "ports")) as f:
        _plain, tls = f.read().split()
    ctx = ssl.create_default_context(cafile=os.path.join(args.dir, "pki",
                                                         "ca.pem"))
    m = imaplib.IMAP4_SSL("localhost", int(tls), ssl_context=ctx, timeout=20)
    m.login(args.user, args.password)
    return m


def quote(name):
    return '"' + name.replace("\\", "\\\\").replace('"', '\\"') + '"'


def check(typ, data, what):
    if typ != "OK":
        sys.exit("imap-append: %s: %s %r" % (what, typ, data))
    return data


def cmd_append(m, args):
    for path in args.files:
        with open(path, "rb") as f:
            raw = f.read()
        typ, data = m.append(quote(args.folder), "()", None, raw)
        check(typ, data, "append " + path)
        uid = re.search(rb"APPENDUID \d+ (\d+)", data[0] or b"")
        print(uid.group(1).decode() if uid else "?")


def cmd_list(m, _args):
    for line in check(*m.list(), "list"):
        if line is None:
            continue
        mt = re.match(rb'\(.*?\) (?:"(.)"|NIL) (.*)$', line)
        if mt:
            name = mt.group(2)
            if name.startswith(b'"') and name.endswith(b'"'):
                name = name[1:-1]
            print(name.decode())


def select(m, folder, readonly=True):
    check(*m.select(quote(folder), readonly=readonly), "select " + folder)


def cmd_flags(m, args):
    select(m, args.folder)
    typ, data = m.uid("FETCH", "1:*", "(FLAGS)")
    check(typ, data, "fetch flags")
    for item in data:
        if not item:
            continue
        if isinstance(item, tuple):
            item = item[0]
        uid = re.search(rb"UID (\d+)", item)
        flags = re.search(rb"FLAGS \(([^)]*)\)", item)
        if uid and flags:
            print(uid.group(1).decode(), flags.group(1).decode())


def cmd_count(m, args):
    typ, data = m.select(quote(args.folder), readonly=True)
    check(typ, data, "select " + args.folder)
    print(int(data[0]))


def cmd_delete(m, args):
    typ, data = m.list('""', quote(args.folder + "*"))
    names = []
    for line in data or []:
        if line is None:
            continue
        mt = re.match(rb'\(.*?\) (?:"."|NIL) "?(.*?)"?$', line)
        if mt:
            names.append(mt.group(1).decode())
    for name in sorted(names, key=len, reverse=True):
        m.unsubscribe(quote(name))
        check(*m.delete(quote(name)), "delete " + name)


def cmd_empty(m, args):
    select(m, args.folder, readonly=False)
    typ, data = m.uid("SEARCH", None, "ALL")
    check(typ, data, "search")
    if data and data[0]:
        uids = b",".join(data[0].split()).decode()
        check(*m.uid("STORE", uids, "+FLAGS.SILENT", r"(\Deleted)"), "store")
        check(*m.expunge(), "expunge")


# -- the fake server ---------------------------------------------------------

GREETING = b"* OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE] fake ready\r\n"


def fake(args):
    srv = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    tmp = args.port_file + ".tmp"
    with open(tmp, "w") as f:
        f.write("%d\n" % srv.getsockname()[1])
    os.rename(tmp, args.port_file)
    srv.settimeout(30)
    try:
        conn, _ = srv.accept()
    except socket.timeout:
        return
    conn.settimeout(60)
    f = conn.makefile("rb")
    out = conn.sendall
    if args.mode == "preauth":
        out(b"* PREAUTH [CAPABILITY IMAP4rev1 STARTTLS] fake\r\n")
    else:
        out(GREETING)
    log = open(args.log, "ab") if args.log else None
    try:
        serve(f, out, args.mode, log)
    except (BrokenPipeError, ConnectionResetError, socket.timeout):
        pass
    conn.close()


def serve(f, out, mode, log):
    while True:
        line = f.readline()
        if not line:
            return
        if log:
            log.write(line)
            log.flush()
        parts = line.split(None, 2)
        if len(parts) < 2:
            continue
        tag, verb = parts[0], parts[1].upper()
        rest = parts[2] if len(parts) > 2 else b""
        if verb == b"STARTTLS":
            if mode == "nostarttls":
                out(tag + b" BAD STARTTLS not here\r\n")
            elif mode == "inject":
                out(tag + b" OK Begin TLS\r\n* OK [ALERT] injected\r\n")
            else:
                out(tag + b" NO no TLS in this fake\r\n")
        elif verb == b"CAPABILITY":
            out(b"* CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE\r\n")
            out(tag + b" OK done\r\n")
        elif verb == b"LOGIN":
            out(tag + b" OK [CAPABILITY IMAP4rev1 IDLE UIDPLUS MOVE] in\r\n")
        elif verb in (b"SELECT", b"EXAMINE"):
            out(b"* 1 EXISTS\r\n* 0 RECENT\r\n"
                b"* OK [UIDVALIDITY 7] ok\r\n* OK [UIDNEXT 2] ok\r\n"
                b"* OK [PERMANENTFLAGS (\\Seen \\*)] ok\r\n")
            out(tag + b" OK [READ-WRITE] selected\r\n")
        elif verb == b"UID" and rest.upper().startswith(b"SEARCH"):
            out(b"* SEARCH 1\r\n" + tag + b" OK done\r\n")
        elif verb == b"UID" and rest.upper().startswith(b"FETCH"):
            if mode == "literal-eof":
                out(b"* 1 FETCH (UID 1 BODY[] {1000}\r\n" + b"x" * 10)
                return
            if mode == "drip":
                out(b"* 1 FETCH (UID 1 BODY[] {1000000}\r\n")
                while True:
                    out(b"x")
                    time.sleep(0.2)
            if mode == "silent":
                time.sleep(3600)
            if mode == "nul":
                out(b"* 1 FETCH (UID 1 BODY[] {9}\r\nA\0B\r\n\0\0\r\n)\r\n")
            if mode == "quoted":
                out(b'* 1 FETCH (UID 1 BODY[] "hi")\r\n')
            out(tag + b" OK done\r\n")
        elif verb == b"LOGOUT":
            out(b"* BYE bye\r\n" + tag + b" OK done\r\n")
            return
        else:
            out(tag + b" OK done\r\n")


def main():
    p = argparse.ArgumentParser(description="IMAP fixtures for the tests")
    p.add_argument("-d", "--dir", help="the Dovecot test directory")
    p.add_argument("-u", "--user", default="info")
    p.add_argument("-p", "--password", default="secret")
    p.add_argument("--done-file")
    sub = p.add_subparsers(dest="cmd", required=True)
    a = sub.add_parser("append")
    a.add_argument("folder")
    a.add_argument("files", nargs="+")
    sub.add_parser("list")
    for name in ("flags", "count", "delete", "empty"):
        s = sub.add_parser(name)
        s.add_argument("folder")
    fk = sub.add_parser("fake")
    fk.add_argument("--port-file", required=True)
    fk.add_argument("--log")
    fk.add_argument("mode", choices=["literal-eof", "drip", "silent", "nul",
                                     "quoted", "nostarttls", "inject",
                                     "preauth"])
    args = p.parse_args()

    if args.cmd == "fake":
        fake(args)
        return
    if not args.dir:
        p.error("-d DIR is required")
    m = connect(args)
    try:
        {"append": cmd_append, "list": cmd_list, "flags": cmd_flags,
         "count": cmd_count, "delete": cmd_delete,
         "empty": cmd_empty}[args.cmd](m, args)
        if args.done_file:
            with open(args.done_file, "w") as f:
                f.write("%.6f\n" % time.monotonic())
    finally:
        try:
            m.logout()
        except (imaplib.IMAP4.error, OSError):
            pass


if __name__ == "__main__":
    main()
