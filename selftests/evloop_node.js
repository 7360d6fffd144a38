// SPDX-License-Identifier: GPL-2.0
// Copyright (C) 2026 The ckpt authors.
//
// An event loop for evloop_test: a setInterval timer whose every tick runs
// a resolved promise chain, a read on libuv's thread pool and a pbkdf2
// there too; one line per tick, in order, then "done". argv[2]: ticks.
'use strict';
const crypto = require('crypto');
const fs = require('fs');
const N = +(process.argv[2] || 20);
let ticks = 0;
// Each tick's line waits for the one before: the thread pool may finish
// two ticks' work in either order (a slow guest runs several at once),
// and the output must not depend on that.
let prev = Promise.resolve();
const t = setInterval(() => {
  const n = ++ticks;
  if (n === N) clearInterval(t);
  const work = Promise.resolve(n).then((x) => x * 2).then((x) => new Promise((res) => {
    fs.readFile(__filename, (err, src) => {
      if (err) throw err;
      crypto.pbkdf2('pw' + x, src.subarray(0, 64), 500, 8, 'sha256', (e, key) => res(key.toString('hex')));
    });
  }));
  prev = prev.then(() => work).then((hex) => {
    fs.writeSync(1, `tick ${String(n).padStart(3, '0')} ${hex}\n`);
    if (n === N) fs.writeSync(1, 'done\n');
  });
}, 100);
