"""An SMTP server for the mailer's TLS tests: aiosmtpd requiring STARTTLS and then AUTH
(PLAIN or LOGIN) with one user and password, delivering into a Maildir.

    python3 smtp_tls_server.py PORT CERT KEY MAILDIR USER PASSWORD

Prints "ready" once it listens on 127.0.0.1:PORT; runs until killed.
"""

import ssl
import sys
import time

from aiosmtpd.controller import Controller
from aiosmtpd.handlers import Mailbox
from aiosmtpd.smtp import AuthResult, LoginPassword

port, cert, key, maildir, user, password = sys.argv[1:7]


def authenticate(server, session, envelope, mechanism, data):
    ok = (
        isinstance(data, LoginPassword)
        and data.login == user.encode()
        and data.password == password.encode()
    )
    # handled=False: aiosmtpd answers (235 or 535) itself.
    return AuthResult(success=ok, handled=False)


context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
context.load_cert_chain(cert, key)
controller = Controller(
    Mailbox(maildir),
    hostname="127.0.0.1",
    port=int(port),
    server_hostname="localhost",
    tls_context=context,
    require_starttls=True,
    authenticator=authenticate,
    auth_required=True,
    auth_require_tls=True,
)
controller.start()
print("ready", flush=True)
while True:
    time.sleep(3600)
