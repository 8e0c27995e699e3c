"""A private Dovecot IMAP server on a free loopback port, for the polling tests."""

from __future__ import annotations

import grp
import imaplib
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import time
from pathlib import Path

DOVECOT = Path("/usr/sbin/dovecot")
USER = "soporte@tienda.example"
PASSWORD = "secreto-de-prueba"


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def _accounts() -> tuple[str, str, str, int, int]:
    """login user, internal user, internal group, mail uid, mail gid."""
    if os.geteuid() != 0:
        me = pwd.getpwuid(os.geteuid())
        group = grp.getgrgid(os.getegid()).gr_name
        return me.pw_name, me.pw_name, group, os.geteuid(), os.getegid()
    # Dovecot refuses to run its login and mail processes as root.
    owner = pwd.getpwnam("dovecot")
    return "dovenull", "dovecot", "dovecot", owner.pw_uid, owner.pw_gid


class Dovecot:
    def __init__(self) -> None:
        self.port = _free_port()
        # Not under pytest's tmp dir: that one is private to root, and the mail
        # processes run as an unprivileged user.
        self.root = Path(tempfile.mkdtemp(prefix="ventanilla-dovecot-"))
        self._process: subprocess.Popen[bytes] | None = None

    def _write_config(self) -> Path:
        login, internal, group, uid, gid = _accounts()
        self.root.chmod(0o755)
        for sub in ("run", "state", "mail"):
            (self.root / sub).mkdir()
        os.chown(self.root / "mail", uid, gid)
        (self.root / "passwd").write_text(f"{USER}:{{PLAIN}}{PASSWORD}::::::\n")
        config = self.root / "dovecot.conf"
        config.write_text(
            f"""base_dir = {self.root}/run
state_dir = {self.root}/state
log_path = {self.root}/dovecot.log
protocols = imap
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain
default_login_user = {login}
default_internal_user = {internal}
default_internal_group = {group}
first_valid_uid = 0
first_valid_gid = 0
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {self.root}/passwd
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={self.root}/mail/%u
}}
mail_location = maildir:{self.root}/mail/%u/Maildir
service imap-login {{
  inet_listener imap {{
    address = 127.0.0.1
    port = {self.port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
"""
        )
        return config

    def start(self) -> None:
        config = self._write_config()
        self._process = subprocess.Popen(
            [str(DOVECOT), "-F", "-c", str(config)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 15
        while time.monotonic() < deadline:
            try:
                with self.client():
                    return
            except (OSError, imaplib.IMAP4.error):
                time.sleep(0.1)
        self.stop()
        raise RuntimeError("Dovecot did not start")

    def stop(self) -> None:
        if self._process is not None:
            self._process.terminate()
            try:
                self._process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        shutil.rmtree(self.root, ignore_errors=True)

    def client(self) -> imaplib.IMAP4:
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=5)
        client.login(USER, PASSWORD)
        client.select("INBOX")
        return client

    def deliver(self, raw: bytes, seen: bool = False) -> None:
        """Put a message in the mailbox, as the company's mail server would."""
        with self.client() as client:
            status, _ = client.append("INBOX", "(\\Seen)" if seen else None, None, raw)
            assert status == "OK"

    def unseen(self) -> int:
        with self.client() as client:
            _, data = client.uid("SEARCH", "UNSEEN")
            return len(data[0].split()) if data and data[0] else 0

    def mark_all_unseen(self) -> None:
        with self.client() as client:
            client.uid("STORE", "1:*", "-FLAGS.SILENT", "(\\Seen)")
