#!/usr/bin/python3
# smtp-sink.py -- an SMTP server for the integration tests (aiosmtpd).
#
# Listens on 127.0.0.1:PORT and stores each message byte for byte as it was
# received (dot-unstuffed, CRLF kept) in the Maildir DIR/new, with
# NAME.env beside it: {"mail_from": ..., "rcpt_tos": [...]} as JSON.
# Prints "ready" on stdout once listening; exits 0 on SIGTERM.
#
#   --port N              port to listen on (127.0.0.1 only)
#   --dir DIR             the Maildir (created with tmp/ new/ cur/)
#   --tls-cert F --tls-key K
#                         offer STARTTLS and require it before MAIL
#   --implicit-tls        TLS from the first byte instead (needs the above)
#   --auth USER:PASSFILE  require AUTH PLAIN/LOGIN with that user and the
#                         password in PASSFILE; MAIL without it gets 530.
#                         Without --auth the server offers no AUTH at all.
#   --reject-rcpt ADDR    answer 550 to RCPT TO:<ADDR> (repeatable)
#   --tempfail-rcpt ADDR  answer 451 to RCPT TO:<ADDR> (repeatable)
import argparse
import itertools
import json
import os
import signal
import ssl
import sys
import threading
import time

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword


class Sink:
    def __init__(self, maildir, reject, tempfail, auth):
        self.maildir = maildir
        self.reject = {a.lower() for a in reject}
        self.tempfail = {a.lower() for a in tempfail}
        self.auth = auth
        self.seq = itertools.count(1)

    async def handle_EHLO(self, server, session, envelope, hostname,
                          responses):
        session.host_name = hostname
        if self.auth is None:
            responses = [r for r in responses
                         if not r[4:].upper().startswith("AUTH")]
        return responses

    async def handle_MAIL(self, server, session, envelope, address,
                          mail_options):
        # When the transaction began, the files' time (_write): the client
        # was surely alive then (it waits for this 250 before it goes
        # on), while the data may come in after it was killed.
        envelope.mail_from = address
        envelope.mail_options.extend(mail_options)
        envelope.mail_at = time.time()
        return "250 OK"

    async def handle_RCPT(self, server, session, envelope, address,
                          rcpt_options):
        if address.lower() in self.reject:
            return "550 5.1.1 Recipient refused by test"
        if address.lower() in self.tempfail:
            return "451 4.3.0 Try again later (test)"
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):
        name = "%d.%d_%d.sink" % (time.time(), os.getpid(), next(self.seq))
        env = {"mail_from": envelope.mail_from,
               "rcpt_tos": envelope.rcpt_tos}
        at = getattr(envelope, "mail_at", time.time())
        self._write(name + ".env", json.dumps(env, sort_keys=True).encode(),
                    at)
        self._write(name, envelope.original_content, at)
        return "250 OK stored"

    def _write(self, name, data, at):
        tmp = os.path.join(self.maildir, "tmp", name)
        with open(tmp, "wb") as f:
            f.write(data)
        os.utime(tmp, (at, at))
        os.rename(tmp, os.path.join(self.maildir, "new", name))


def authenticator(user, password):
    def check(server, session, envelope, mechanism, auth_data):
        ok = (isinstance(auth_data, LoginPassword)
              and auth_data.login == user.encode()
              and auth_data.password == password.encode())
        return AuthResult(success=ok, handled=False)
    return check


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--dir", required=True)
    ap.add_argument("--tls-cert")
    ap.add_argument("--tls-key")
    ap.add_argument("--implicit-tls", action="store_true")
    ap.add_argument("--auth")
    ap.add_argument("--reject-rcpt", action="append", default=[])
    ap.add_argument("--tempfail-rcpt", action="append", default=[])
    a = ap.parse_args()

    for sub in ("tmp", "new", "cur"):
        os.makedirs(os.path.join(a.dir, sub), exist_ok=True)

    auth = None
    kw = {}
    if a.auth:
        user, passfile = a.auth.split(":", 1)
        with open(passfile) as f:
            password = f.read().strip()
        auth = (user, password)
        kw["authenticator"] = authenticator(user, password)
        kw["auth_required"] = True
    ctx = None
    if a.tls_cert:
        ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        ctx.load_cert_chain(a.tls_cert, a.tls_key)
    if a.implicit_tls:
        if ctx is None:
            ap.error("--implicit-tls needs --tls-cert and --tls-key")
        kw["ssl_context"] = ctx
        # aiosmtpd does not count an implicit TLS socket as TLS.
        kw["auth_require_tls"] = False
    elif ctx is not None:
        kw["tls_context"] = ctx
        kw["require_starttls"] = True

    handler = Sink(a.dir, a.reject_rcpt, a.tempfail_rcpt, auth)
    ctl = Controller(handler, hostname="127.0.0.1", port=a.port,
                     enable_SMTPUTF8=False, **kw)
    ctl.start()

    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    print("ready", flush=True)
    while not stop.wait(0.2):
        pass
    ctl.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
