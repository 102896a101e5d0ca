// A query counter for navbridge's processes: `--node-options="--import ./scripts/bench/count-queries.mjs"`
// (absolute path) makes every process that loads pg count its statements by text, with the time each
// took to answer, and write them every 2 s and at exit to $NB_QCOUNT_DIR (default /tmp/nb-qcount) as
// <pid>.json: { argv, pipelined, counts: [[text, n, ms], …] }, most frequent first; `pipelined` counts
// the statements written behind another still unanswered (no round trip of their own), so round
// trips = statements − pipelined. A measuring aid, not a part.
import { mkdirSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';

const dir = process.env.NB_QCOUNT_DIR ?? '/tmp/nb-qcount';
const require = createRequire(path.join(process.cwd(), 'package.json'));
let pg;
try {
  pg = require('pg');
} catch {
  pg = undefined;
}
if (pg) {
  mkdirSync(dir, { recursive: true });
  const counts = new Map();
  const wall = new Map();
  let pipelined = 0;
  const query = pg.Client.prototype.query;
  pg.Client.prototype.query = function (q, ...rest) {
    const text = typeof q === 'string' ? q : (q?.text ?? '?');
    const key = text.replace(/\s+/g, ' ').slice(0, 160);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    // Written while another query of this connection is unanswered (pipeline mode): no round trip
    // of its own (pg's queue of sent queries; absent in versions without pipelining).
    if (this._activeQuery || this._sentQueryQueue?.length) pipelined++;
    const t0 = performance.now();
    const answer = query.call(this, q, ...rest);
    if (answer && typeof answer.then === 'function')
      answer.then(
        () => wall.set(key, (wall.get(key) ?? 0) + performance.now() - t0),
        () => {},
      );
    return answer;
  };
  const dump = () =>
    writeFileSync(
      path.join(dir, `${process.pid}.json`),
      JSON.stringify({
        argv: process.argv.slice(2),
        pipelined,
        counts: [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => [k, n, Math.round(wall.get(k) ?? 0)]),
      }),
    );
  setInterval(dump, 2_000).unref();
  process.on('exit', dump);
}
