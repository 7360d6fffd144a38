// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The ckpt authors.
//
// Unix sockets in a real program, for sock_test: a node server listening
// on a Unix path with a client of its own connected to it, and a child
// (cat) whose stdin and stdout are socket pairs libuv made (uv_spawn's
// stdio pipes). Every tick the client asks the server for a digest of the
// tick's number, passes the answer through cat and prints what comes
// back; one line per tick, in order, then "done". argv[2]: ticks,
// argv[3]: the socket's path.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const net = require('net');
const { spawn } = require('child_process');

const N = +(process.argv[2] || 20);
const PATH = process.argv[3] || '/tmp/sock-node.sock';

// Newline-framed lines from a stream, each to the next waiting resolver.
function lines(stream) {
  let buf = '';
  const waiting = [];
  const ready = [];
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      if (waiting.length) waiting.shift()(line);
      else ready.push(line);
    }
  });
  return () => new Promise((res) => {
    if (ready.length) res(ready.shift());
    else waiting.push(res);
  });
}

try { fs.unlinkSync(PATH); } catch (e) { /* not there */ }
const server = net.createServer((conn) => {
  const next = lines(conn);
  (async () => {
    for (;;) {
      const n = await next();
      const d = crypto.createHash('sha256').update('tick' + n).digest('hex');
      conn.write(`${n} ${d.slice(0, 16)}\n`);
    }
  })();
});

server.listen(PATH, () => {
  const cat = spawn('cat', [], { stdio: ['pipe', 'pipe', 'inherit'] });
  const fromCat = lines(cat.stdout);
  const client = net.createConnection(PATH, () => {
    const fromServer = lines(client);
    let ticks = 0;
    let prev = Promise.resolve();
    const t = setInterval(() => {
      const n = ++ticks;
      if (n === N) clearInterval(t);
      prev = prev.then(async () => {
        client.write(`${n}\n`);
        const answer = await fromServer();
        cat.stdin.write(answer + '\n');
        const back = await fromCat();
        fs.writeSync(1, `tick ${String(n).padStart(3, '0')} ${back}\n`);
        if (n === N) {
          fs.writeSync(1, 'done\n');
          cat.stdin.end();
          client.end();
          server.close();
        }
      });
    }, 100);
  });
});
