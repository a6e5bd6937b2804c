#!/usr/bin/env python3
"""An SMTP server for the email sender's integration tests (aiosmtpd, Debian python3-aiosmtpd).

Binds 127.0.0.1 on a port the kernel picks (so parallel tests never race for one), prints that port on
stdout, and appends every message it accepts as one JSON line to --messages: the envelope sender, the
recipients, the data, and whether STARTTLS and AUTH were in effect. The C++ fixture
(smtp_server.cpp) starts it, reads the port, and kills it at the end.
"""

import argparse
import asyncio
import json
import ssl
import warnings

from aiosmtpd.smtp import SMTP, AuthResult, LoginPassword


class Recorder:
    """Writes each accepted message as a JSON line; flushed at once because the test reads it while we run."""

    def __init__(self, path):
        self.path = path

    async def handle_DATA(self, server, session, envelope):
        record = {
            "mail_from": envelope.mail_from,
            "rcpt_tos": envelope.rcpt_tos,
            "data": envelope.content.decode("utf-8", errors="replace"),
            "tls": session.ssl is not None,
            "authenticated": bool(session.authenticated),
        }
        with open(self.path, "a", encoding="utf-8") as out:
            out.write(json.dumps(record) + "\n")
        return "250 2.0.0 OK: queued"


def fixed_login(user, password):
    """An authenticator accepting one user and password (PLAIN and LOGIN both hand a LoginPassword)."""

    def authenticate(server, session, envelope, mechanism, auth_data):
        ok = (
            isinstance(auth_data, LoginPassword)
            and auth_data.login == user.encode()
            and auth_data.password == password.encode()
        )
        # handled=False: aiosmtpd then answers a refusal with 535 itself (its default would answer nothing).
        return AuthResult(success=ok, handled=False)

    return authenticate


def smtp_options(args):
    options = {"hostname": "localhost"}
    if args.tls_cert:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(args.tls_cert, args.tls_key)
        options["tls_context"] = context
        options["require_starttls"] = args.require_starttls
    if args.auth:
        user, _, password = args.auth.partition(":")
        options["authenticator"] = fixed_login(user, password)
        options["auth_required"] = True
        options["auth_require_tls"] = True  # never offer AUTH over a connection in clear
    return options


async def serve(args):
    loop = asyncio.get_running_loop()
    recorder = Recorder(args.messages)
    options = smtp_options(args)
    server = await loop.create_server(lambda: SMTP(recorder, loop=loop, **options), host="127.0.0.1", port=0)
    print(server.sockets[0].getsockname()[1], flush=True)
    await server.serve_forever()


def main():
    # aiosmtpd 1.4 warns about its own use of Session.login_data on every login: noise in the test's log.
    warnings.filterwarnings("ignore", message="Session.login_data")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--messages", required=True, help="file to append one JSON line per message to")
    parser.add_argument("--tls-cert", help="certificate (PEM): offer STARTTLS")
    parser.add_argument("--tls-key", help="its private key (PEM)")
    parser.add_argument("--require-starttls", action="store_true", help="refuse mail before STARTTLS")
    parser.add_argument("--auth", metavar="USER:PASSWORD", help="require AUTH (PLAIN/LOGIN) with these credentials")
    args = parser.parse_args()
    if bool(args.tls_cert) != bool(args.tls_key):
        parser.error("--tls-cert and --tls-key go together")
    asyncio.run(serve(args))


if __name__ == "__main__":
    main()
