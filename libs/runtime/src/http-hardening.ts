import { type ConfigOf, int } from '@aperture/config';
import type { INestApplication } from '@nestjs/common';
import { type IncomingMessage, type Server, type ServerResponse, STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody, tooLargeMessage } from './http-errors';

/** How deeply a JSON body may nest arrays and objects (no API of ours goes past 8). */
export const MAX_JSON_DEPTH = 32;

/** The HTTP limits every service reads from its environment. */
export const httpLimitsSchema = {
  /** The largest JSON (or form) request body, in bytes: 413 too_large beyond. Default 256 KiB. */
  MAX_JSON_BODY_BYTES: int({ fallback: 256 * 1024, min: 1024, max: 64 * 1024 * 1024 }),
  /**
   * A client sending a body that sends nothing for this long (while the service is ready to read)
   * gets 408 request_timeout and its connection closed. Default 30 s.
   */
  BODY_IDLE_TIMEOUT_MS: int({ fallback: 30_000, min: 100, max: 10 * 60_000 }),
};
export type HttpLimits = ConfigOf<typeof httpLimitsSchema>;

/** A route whose body is not JSON and has a limit of its own (ingest's multipart upload). */
export interface BodyLimitRoute {
  method: string;
  path: RegExp;
  maxBytes: number;
}

export interface HardenHttpOptions {
  limits: HttpLimits;
  /** Routes with a larger body limit than MAX_JSON_BODY_BYTES; every other route has that one. */
  bodyLimitRoutes?: readonly BodyLimitRoute[];
  /** Keep each parsed request's raw body as `request.rawBody` (a webhook's signature covers it). */
  rawBody?: boolean;
}

type Request = IncomingMessage & { rawBody?: Buffer };

/**
 * The HTTP defences every service shares, on its Nest (Express) app before it listens:
 * - no `X-Powered-By` banner;
 * - a Content-Length over the route's limit is 413 `too_large` at once, before authentication and
 *   before a byte of the body is read (the connection is then closed);
 * - a client that stops sending its body gets 408 `request_timeout` after
 *   BODY_IDLE_TIMEOUT_MS, and its connection is closed (which fails whatever was reading it);
 * - a method a known route does not serve (TRACE, OPTIONS, ...) is 405 `method_not_allowed`
 *   with `Allow`, not 404;
 * - JSON and form bodies at most MAX_JSON_BODY_BYTES, and JSON nested at most MAX_JSON_DEPTH
 *   deep (400 `invalid_request`, checked on the bytes before parsing, so no validator recurses
 *   through 5,000 nested arrays);
 * - a NUL character in the URL or a JSON body is 400 `invalid_request` (no stored string may hold
 *   one: PostgreSQL's jsonb, under FerretDB, refuses it);
 * - a request Node cannot parse gets a JSON 400 (431 for oversized headers), not a bare one.
 * Errors raised on the way (body-parser's) reach the service's exception filter, which answers
 * them with `httpErrorResponse`; the ones answered here use the same `{"error": {code, message}}`.
 */
export function hardenHttp(app: INestApplication, options: HardenHttpOptions): void {
  const express = app.getHttpAdapter().getInstance() as ExpressApp;
  express.disable('x-powered-by');
  const { MAX_JSON_BODY_BYTES: jsonLimit, BODY_IDLE_TIMEOUT_MS: idleMs } = options.limits;
  const limitOf = (request: IncomingMessage) =>
    options.bodyLimitRoutes?.find(
      (route) => route.method === request.method && route.path.test(pathOf(request)),
    )?.maxBytes ?? jsonLimit;

  app.use((request: Request, response: ServerResponse, next: () => void) => {
    const limit = limitOf(request);
    const declared = Number(request.headers['content-length'] ?? 0);
    if (declared > limit) {
      answerAndClose(response, 413, 'too_large', tooLargeMessage(limit));
      return;
    }
    if (/%00|\0/.test(request.url ?? '')) {
      // No id or parameter holds NUL, and the database (FerretDB on PostgreSQL's jsonb) cannot
      // even compare with one: answered here instead of failing as a database error.
      answerAndClose(response, 400, 'invalid_request', 'the URL contains a NUL character');
      return;
    }
    const allowed = allowedMethods(express, pathOf(request));
    if (allowed && !allowed.includes(request.method ?? '')) {
      response.setHeader('Allow', allowed.join(', '));
      answerAndClose(
        response,
        405,
        'method_not_allowed',
        `${request.method} is not allowed here: use ${allowed.join(', ')}`,
      );
      return;
    }
    if (declared > 0 || request.headers['transfer-encoding'] !== undefined) {
      watchBodyIdle(request, response, idleMs);
    }
    next();
  });

  const verify = (request: Request, _response: ServerResponse, body: Buffer) => {
    if (options.rawBody) request.rawBody = body;
  };
  const nest = app as unknown as NestExpressParsers;
  nest.useBodyParser('json', {
    limit: jsonLimit,
    verify: (request: Request, response: ServerResponse, body: Buffer) => {
      if (jsonDepthExceeds(body, MAX_JSON_DEPTH)) {
        throw Object.assign(new Error(`the JSON body is nested more than ${MAX_JSON_DEPTH} levels deep`), {
          status: 400,
          type: 'entity.too.deep',
        });
      }
      if (jsonHasNul(body)) {
        throw Object.assign(new Error('the JSON body contains a NUL character (\\u0000)'), {
          status: 400,
          type: 'entity.nul',
        });
      }
      verify(request, response, body);
    },
  });
  nest.useBodyParser('urlencoded', { limit: jsonLimit, extended: true, verify });

  (app.getHttpServer() as Server).on('clientError', answerClientError);
}

/**
 * Whether JSON text nests arrays and objects deeper than `maxDepth`: one pass over the bytes,
 * brackets inside strings ignored. (UTF-8 multi-byte characters never contain these bytes.)
 */
export function jsonDepthExceeds(text: Buffer, maxDepth: number): boolean {
  let depth = 0;
  let inString = false;
  let escaped = false;
  for (const byte of text) {
    if (inString) {
      if (escaped) escaped = false;
      else if (byte === 0x5c) escaped = true;
      else if (byte === 0x22) inString = false;
    } else if (byte === 0x22) inString = true;
    else if (byte === 0x5b || byte === 0x7b) {
      if (++depth > maxDepth) return true;
    } else if (byte === 0x5d || byte === 0x7d) depth--;
  }
  return false;
}

/**
 * Whether JSON text holds a NUL character (a raw 0x00 byte or the escape `\u0000`), which no
 * stored string may contain (PostgreSQL's jsonb refuses it). An escaped backslash before `u0000`
 * is literal text, not NUL.
 */
export function jsonHasNul(text: Buffer): boolean {
  if (text.includes(0)) return true;
  for (let at = text.indexOf('u0000'); at !== -1; at = text.indexOf('u0000', at + 1)) {
    let backslashes = 0;
    while (at - backslashes - 1 >= 0 && text[at - backslashes - 1] === 0x5c) backslashes++;
    if (backslashes % 2 === 1) return true;
  }
  return false;
}

/**
 * Answers 408 when a client that is sending a body stops for `idleMs`: no new byte on the
 * connection while the service is ready to read (a request paused or with data waiting is the
 * service's own back-pressure, not the client's silence). Closing the connection then fails the
 * reader of the body (an upload's blob is removed, nothing is recorded).
 */
function watchBodyIdle(request: IncomingMessage, response: ServerResponse, idleMs: number): void {
  const socket = request.socket;
  let lastBytes = socket.bytesRead;
  let lastProgress = Date.now();
  const timer = setInterval(
    () => {
      if (request.complete) return stop();
      const waitingOnService = request.readableLength > 0 || request.isPaused();
      if (socket.bytesRead !== lastBytes || waitingOnService) {
        lastBytes = socket.bytesRead;
        lastProgress = Date.now();
      } else if (Date.now() - lastProgress >= idleMs) {
        stop();
        // Whatever reads the body learns that it will not come ('aborted', 'close') once the
        // answer is out: Node itself would leave an answered request's reader waiting.
        if (response.headersSent) request.destroy();
        else {
          response.once('finish', () => request.destroy());
          answerAndClose(
            response,
            408,
            'request_timeout',
            `no data from the client for ${idleMs} ms: the request body is incomplete`,
          );
        }
      }
    },
    Math.max(25, Math.min(1000, idleMs / 4)),
  );
  timer.unref();
  const stop = () => clearInterval(timer);
  request.once('end', stop);
  request.once('close', stop);
  response.once('close', stop);
}

/** Answers with the standard error body and closes the connection once the answer is out. */
function answerAndClose(response: ServerResponse, status: number, code: string, message: string): void {
  const body = JSON.stringify(errorBody(code, message));
  response.statusCode = status;
  response.setHeader('Content-Type', 'application/json; charset=utf-8');
  response.setHeader('Content-Length', Buffer.byteLength(body));
  // The unread body is not wanted: Node closes the connection once this answer is out.
  response.setHeader('Connection', 'close');
  response.end(body);
}

/** Node's answer to a request it cannot parse, in the API's shape. */
function answerClientError(error: NodeJS.ErrnoException, socket: Socket): void {
  if (error.code === 'ECONNRESET' || !socket.writable) {
    socket.destroy();
    return;
  }
  const [status, code, message] =
    error.code === 'HPE_HEADER_OVERFLOW'
      ? [431, 'too_large', 'the request headers are too large']
      : error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? [408, 'request_timeout', 'the request took too long to arrive']
        : [400, 'invalid_request', 'malformed HTTP request'];
  const body = JSON.stringify(errorBody(code, message));
  socket.end(
    `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
      `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
  );
}

const pathOf = (request: IncomingMessage) => (request.url ?? '/').split('?')[0] ?? '/';

interface RouteLayer {
  route?: { methods: Record<string, boolean> };
  match(path: string): unknown;
}
interface ExpressApp {
  disable(setting: string): void;
  router: { stack: RouteLayer[] };
}
interface NestExpressParsers {
  useBodyParser(type: 'json' | 'urlencoded', options: Record<string, unknown>): void;
}

/**
 * The methods the routes matching `path` serve (HEAD wherever GET is), or undefined when no route
 * matches: middleware-served paths (static files) and unknown paths stay the router's to answer.
 */
function allowedMethods(express: ExpressApp, path: string): string[] | undefined {
  const methods = new Set<string>();
  for (const layer of express.router.stack) {
    if (!layer.route || !layer.match(path)) continue;
    for (const [method, on] of Object.entries(layer.route.methods)) {
      if (!on) continue;
      if (method === '_all') return undefined;
      methods.add(method.toUpperCase());
      if (method === 'get') methods.add('HEAD');
    }
  }
  return methods.size > 0 ? [...methods].sort() : undefined;
}
