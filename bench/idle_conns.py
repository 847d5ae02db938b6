#!/usr/bin/python3
"""Opens COUNT keep-alive connections to a server, makes one GET /health on
each, holds them all open, runs CMD (e.g. a memory reading) while they are
open, then closes them. Prints how many were open when CMD ran, and CMD's output.

usage: idle_conns.py BASE_URL COUNT CMD..."""
import asyncio
import subprocess
import sys
import urllib.parse


async def one(host, port, opened):
    reader, writer = await asyncio.open_connection(host, port)
    writer.write(f"GET /health HTTP/1.1\r\nHost: {host}:{port}\r\n\r\n".encode())
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":")[1])
    await reader.readexactly(length)
    opened.append(writer)


async def main():
    url = urllib.parse.urlsplit(sys.argv[1])
    count, cmd = int(sys.argv[2]), sys.argv[3:]
    opened = []
    for start in range(0, count, 500):  # in waves, under the listen backlog
        await asyncio.gather(*(one(url.hostname, url.port, opened)
                               for _ in range(start, min(count, start + 500))))
    out = subprocess.run(cmd, capture_output=True, text=True, check=False).stdout.strip()
    print(f"open={len(opened)} {out}")
    for w in opened:
        w.close()


if __name__ == "__main__":
    asyncio.run(main())
