"""A small TCP balancer: several servers behind one loopback port, for the team workload.

    .venv/bin/python bench/balancer.py LISTEN_PORT BACKEND_PORT [BACKEND_PORT ...]

Each accepted connection goes to the next backend in turn (round robin per connection, as
a TCP load balancer without health checks does) and bytes are copied both ways until
either side closes. Clients keep their connections alive, so the writers and readers are
spread evenly over the servers for the whole run. It costs CPU of its own (every byte
crosses one more process), which the servers behind it then lack on this 2-core machine.
"""

from __future__ import annotations

import asyncio
import itertools
import socket
import sys
from collections.abc import Iterator

from aio_http import run

HOST = "127.0.0.1"
CHUNK = 256 * 1024


async def pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    """Copy until EOF or an error on either side, then close the writing side."""
    try:
        while data := await reader.read(CHUNK):
            writer.write(data)
            await writer.drain()
    except OSError:
        pass
    finally:
        writer.close()


def _no_delay(writer: asyncio.StreamWriter) -> None:
    """Small requests and answers go out at once (no Nagle wait for the peer's ACK)."""
    sock = writer.get_extra_info("socket")
    if sock is not None:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)


async def serve(listen_port: int, backends: Iterator[int]) -> None:
    async def on_client(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(HOST, next(backends))
        except OSError:
            writer.close()
            return
        _no_delay(writer)
        _no_delay(up_writer)
        await asyncio.gather(pipe(reader, up_writer), pipe(up_reader, writer))

    server = await asyncio.start_server(on_client, HOST, listen_port, backlog=1024)
    async with server:
        await server.serve_forever()


def main(argv: list[str]) -> int:
    if len(argv) < 2:
        raise SystemExit(__doc__)
    listen_port, *ports = (int(arg) for arg in argv)
    run(serve(listen_port, itertools.cycle(ports)))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
