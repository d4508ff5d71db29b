# SPDX-License-Identifier: MIT
"""CONNECT and CONNACK byte by byte against mqttwire-broker: every return code (0 with and
without Session Present, 1 to 5), in 3.1 and 3.1.1, and the keep-alive watchdog (1.5 times the
keep-alive without a byte closes the connection; PINGREQ keeps it open)."""
import os
import time

from harness import Broker, check, temp_dir
from test_faults import closed_by_peer, connect_packet, raw


def connack(port, packet):
    """The 4 bytes the broker answers `packet` with, and whether it then closed the socket."""
    s = raw(port, packet)
    s.settimeout(3)
    data = b""
    while len(data) < 4:
        chunk = s.recv(4 - len(data))
        if not chunk:
            break
        data += chunk
    return data, s


def expect(port, packet, want, closes, what):
    got, s = connack(port, packet)
    check(got == bytes.fromhex(want), "%s: CONNACK %s, want %s" % (what, got.hex(), want))
    if closes:
        check(closed_by_peer(s, 3), what + ": not closed after the refusal")
    return s


def v31(client_id, flags=0x02):
    return connect_packet(client_id, name=b"MQIsdp", level=3, flags=flags)


def main():
    users = os.path.join(temp_dir(), "users")
    with open(users, "w") as f:
        f.write("# name:password\nalice:secret\n")
    with Broker("--users", users, "--max-connections", "1") as b:
        def ok(cid, password, level=4, name=b"MQTT"):
            return with_credentials(cid, b"alice", password, level, name)

        first = expect(b.port, ok(b"one", b"secret"), "20020000", False, "accepted")
        expect(b.port, ok(b"two", b"secret"), "20020003", True, "3 server unavailable")
        expect(b.port, ok(b"three", b"guess"), "20020004", True, "4 bad user name or password")
        expect(b.port, connect_packet(b"four"), "20020005", True, "5 not authorized")
        expect(b.port, ok(b"five", b"guess", 3, b"MQIsdp"), "20020004", True, "3.1: code 4")
        first.close()
        b.wait_for(r"^refused client=two code=server_unavailable from=127\.0\.0\.1:\d+$")
        b.wait_for(r"^refused client=three code=bad_username_or_password from=")
        b.wait_for(r"^refused client=four code=not_authorized from=")
        print("ok: CONNACK 3, 4 and 5 (max connections, credentials), logged")

    with Broker() as b:
        expect(b.port, connect_packet(b"v5", level=5), "20020001", True, "1 unacceptable version")
        expect(b.port, connect_packet(b"", flags=0x00), "20020002", True, "2: empty id, Clean 0")
        expect(b.port, v31(b""), "20020002", True, "2: 3.1 empty id")
        expect(b.port, v31(b"x" * 30), "20020000", False, "3.1 long id accepted").close()
        s = expect(b.port, connect_packet(b"", flags=0x02), "20020000", False, "assigned id")
        s.close()
        b.wait_for(r"^connect client=mqttwire-1 version=3\.1\.1 clean=1 ")
        expect(b.port, connect_packet(b"keep", flags=0x00), "20020000", False, "new session").close()
        b.wait_for(r"^disconnect client=keep reason=connection_lost$")
        expect(b.port, connect_packet(b"keep", flags=0x00), "20020100", False, "present").close()
        b.wait_for(r"^refused client=\? code=unacceptable_protocol_version from=")
        b.wait_for(r'^refused client="" code=identifier_rejected from=')
        print("ok: CONNACK 0 (Session Present 0 and 1), 1 and 2, in 3.1 and 3.1.1")

        # Keep-alive 1 s: silent, the broker closes after 1.5 s; pinging, it stays open.
        t = time.monotonic()
        s = expect(b.port, connect_packet(b"quiet", keepalive=1), "20020000", False, "quiet")
        check(closed_by_peer(s, 4), "keep-alive: a silent client was not closed")
        took = time.monotonic() - t
        check(1.4 <= took <= 2.5, "keep-alive: closed after %.2f s, not 1.5" % took)
        b.wait_for(r"^disconnect client=quiet reason=keep_alive_timeout$")
        s = expect(b.port, connect_packet(b"pinger", keepalive=1), "20020000", False, "pinger")
        s.settimeout(2)
        for _ in range(6):
            time.sleep(0.5)
            s.sendall(b"\xc0\x00")
            check(s.recv(2) == b"\xd0\x00", "PINGRESP")
        s.close()
        check(b.count(r"^disconnect client=pinger reason=keep_alive_timeout") == 0, "pinger cut")
        print("ok: keep-alive: a silent client closed after %.2f s, a pinging one kept for 3 s" % took)


def with_credentials(client_id, user, password, level, name):
    """A CONNECT with Clean Session, a user name and a password (flags 0xC2)."""
    body = (len(name).to_bytes(2, "big") + name + bytes([level, 0xC2]) + (0).to_bytes(2, "big") +
            len(client_id).to_bytes(2, "big") + client_id + len(user).to_bytes(2, "big") + user +
            len(password).to_bytes(2, "big") + password)
    return b"\x10" + bytes([len(body)]) + body


if __name__ == "__main__":
    main()
