// bull-board at /admin/queues behind the admin credential: the queues in a browser (read-only). A
// browser cannot send a bearer token, so the admin token is also taken as the password of HTTP Basic
// authentication here (any user name), and a request without credentials gets a Basic challenge. The
// page sets its own Content-Security-Policy: its scripts, styles and fonts from itself only.

import { createBullBoard } from '@bull-board/api';
import type { BaseAdapter } from '@bull-board/api/baseAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { RequestHandler, Router } from 'express';
import { unauthorized, unavailable } from '../errors/index.js';

export const QUEUE_BOARD_PATH = '/admin/queues';

/** The board's queues, and whether Redis is connected (its calls would otherwise wait for Redis). */
export interface QueueBoard {
  adapters: BaseAdapter[];
  available(): boolean;
}

const BOARD_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; " +
  "font-src 'self' data:; connect-src 'self'; manifest-src 'self'; base-uri 'self'; frame-ancestors 'none'";

/** Basic credentials become the bearer token they carry as the password; none get a challenge. */
export const basicAsBearer: RequestHandler = (req, res, next) => {
  const header = req.get('authorization') ?? '';
  const basic = /^Basic\s+([A-Za-z0-9+/=]+)\s*$/i.exec(header)?.[1];
  if (basic) {
    const decoded = Buffer.from(basic, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    req.headers.authorization = `Bearer ${colon === -1 ? decoded : decoded.slice(colon + 1)}`;
  } else if (!header && req.get('x-api-key') === undefined) {
    res.set('WWW-Authenticate', 'Basic realm="navbridge admin", charset="UTF-8"');
    return next(unauthorized('credentials are required (the admin token)'));
  }
  next();
};

export const boardCsp: RequestHandler = (_req, res, next) => {
  res.set('Content-Security-Policy', BOARD_CSP);
  next();
};

/** While Redis is down the board answers 503 at once (its Redis calls have no timeout of their own). */
export function boardAvailable(board: QueueBoard): RequestHandler {
  return (_req, _res, next) =>
    next(
      board.available() ? undefined : unavailable('Redis is not connected: the queue board is unavailable'),
    );
}

export function queueBoardRouter(adapters: BaseAdapter[]): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: { uiConfig: { boardTitle: 'navbridge queues' } },
  });
  return serverAdapter.getRouter() as Router;
}
