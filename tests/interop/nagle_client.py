#!/usr/bin/env python3
"""New-connection HTTPS requests from a client that does NOT set TCP_NODELAY.

Usage: nagle_client.py HOST PORT CA_FILE [N] [TLS_VERSION]

Each request: a new TCP connection (Nagle left on, as by default), a TLS handshake
verifying the server's certificate against CA_FILE and the name 'localhost', one GET
with 'Connection: close', the whole response read to EOF. Prints one line per request
('ms <float>') and then 'p50_ms <float>'. Exit 1 on any failure.
"""
import socket
import ssl
import statistics
import sys
import time


def main():
    host, port, ca = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    n = int(sys.argv[4]) if len(sys.argv) > 4 else 20
    version = sys.argv[5] if len(sys.argv) > 5 else "1.3"
    ctx = ssl.create_default_context(cafile=ca)  # CERT_REQUIRED, check_hostname
    tls = ssl.TLSVersion.TLSv1_3 if version == "1.3" else ssl.TLSVersion.TLSv1_2
    ctx.minimum_version = ctx.maximum_version = tls
    request = b"GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
    times = []
    for _ in range(n):
        t0 = time.perf_counter()
        raw = socket.create_connection((host, port), timeout=5)
        assert raw.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) == 0
        with ctx.wrap_socket(raw, server_hostname="localhost") as s:
            if s.version() != ("TLSv1.3" if version == "1.3" else "TLSv1.2"):
                sys.exit("negotiated " + str(s.version()))
            s.sendall(request)
            response = b""
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                response += chunk
        ms = (time.perf_counter() - t0) * 1000
        if not response.startswith(b"HTTP/1.1 200"):
            sys.exit("bad response: " + repr(response[:80]))
        times.append(ms)
        print("ms %.3f" % ms)
    print("p50_ms %.3f" % statistics.median(times))


if __name__ == "__main__":
    main()
