# SPDX-License-Identifier: GPL-2.0
# Copyright (C) 2026 The ckpt authors.
#
# A Python asyncio program on Unix sockets, for sock_test: an echo server
# on a Unix path and a client of its own connected to it, in one event
# loop (whose self-pipe is a socket pair), with work on the default
# executor's threads. Every tick the client sends a line, the server
# answers with its digest computed on a worker thread, and the client
# prints the answer; one line per tick, in order, then "done".
# argv[1]: ticks, argv[2]: the socket's path, or tcp:PORT for a TCP server
# on 127.0.0.1 (a loopback connection of the program's own).
import asyncio
import hashlib
import os
import sys

N = int(sys.argv[1]) if len(sys.argv) > 1 else 20
PATH = sys.argv[2] if len(sys.argv) > 2 else "/tmp/sock-asyncio.sock"


def digest(line):
    return hashlib.sha256(line).hexdigest()[:16]


async def serve(reader, writer):
    loop = asyncio.get_running_loop()
    while line := await reader.readline():
        d = await loop.run_in_executor(None, digest, line)
        writer.write(line.rstrip(b"\n") + b" " + d.encode() + b"\n")
        await writer.drain()
    writer.close()


async def main():
    if PATH.startswith("tcp:"):
        port = int(PATH[4:])
        server = await asyncio.start_server(serve, "127.0.0.1", port)
        reader, writer = await asyncio.open_connection("127.0.0.1", port)
    else:
        try:
            os.unlink(PATH)
        except FileNotFoundError:
            pass
        server = await asyncio.start_unix_server(serve, PATH)
        reader, writer = await asyncio.open_unix_connection(PATH)
    for n in range(1, N + 1):
        await asyncio.sleep(0.1)
        writer.write(b"tick %03d\n" % n)
        await writer.drain()
        answer = await reader.readline()
        os.write(1, answer)
    os.write(1, b"done\n")
    writer.close()
    server.close()
    await server.wait_closed()


asyncio.run(main())
