import { connect, type Socket } from 'node:net';

/** What a server answered on a raw connection. */
export interface RawHttpAnswer {
  status: number;
  headers: Record<string, string>;
  body: string;
  /** Milliseconds from the first byte sent to the whole answer read. */
  elapsedMs: number;
}

export interface RawHttpOptions {
  /** Bytes of the body to send (written right after the head); the rest is never sent. */
  body?: Buffer | string;
  /** What to do once the head and body are written: keep the connection open (default) or cut it. */
  then?: 'wait' | 'destroy';
  /** Give up after this long without a whole answer (rejects). Default 10 s. */
  timeoutMs?: number;
}

/**
 * Sends a hand-made HTTP/1.1 request on a plain TCP socket: a head whose Content-Length need not
 * match what follows, a body cut short, a connection held open without sending more. Supertest
 * and fetch cannot send such requests, and these are what hostile clients do. Resolves with the
 * answer once a whole one arrived (by its Content-Length, or the connection's end); with
 * `then: 'destroy'` the socket is destroyed after writing and the promise resolves to undefined.
 */
export function rawHttp(
  port: number,
  head: string,
  options: RawHttpOptions = {},
): Promise<RawHttpAnswer | undefined> {
  const started = Date.now();
  return new Promise((resolve, reject) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no whole answer within ${options.timeoutMs ?? 10_000} ms`));
    }, options.timeoutMs ?? 10_000);
    const done = (answer: RawHttpAnswer | undefined) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(answer);
    };
    const tryParse = (ended: boolean) => {
      const answer = parseAnswer(Buffer.concat(chunks), ended, Date.now() - started);
      if (answer) done(answer);
      else if (ended) {
        clearTimeout(timer);
        reject(
          new Error(
            `the connection ended without a whole answer: ${JSON.stringify(String(Buffer.concat(chunks)))}`,
          ),
        );
      }
    };
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      tryParse(false);
    });
    socket.on('end', () => tryParse(true));
    socket.on('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    socket.on('connect', () => {
      socket.write(head.replace(/\r?\n/g, '\r\n').replace(/(\r\n)*$/, '\r\n\r\n'));
      socket.write(options.body ?? '', () => {
        if (options.then === 'destroy') done(undefined);
      });
    });
  });
}

/** An answer once it is whole (an interim 100 Continue skipped), else undefined. */
function parseAnswer(bytes: Buffer, ended: boolean, elapsedMs: number): RawHttpAnswer | undefined {
  let text = bytes.toString('latin1');
  while (/^HTTP\/1\.1 100 /.test(text)) {
    const end = text.indexOf('\r\n\r\n');
    if (end < 0) return undefined;
    text = text.slice(end + 4);
  }
  const headEnd = text.indexOf('\r\n\r\n');
  if (headEnd < 0) return undefined;
  const [statusLine, ...lines] = text.slice(0, headEnd).split('\r\n');
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
  }
  const body = Buffer.from(text.slice(headEnd + 4), 'latin1');
  const length = headers['content-length'];
  if (length !== undefined ? body.length < Number(length) : !ended) return undefined;
  return {
    status: Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine ?? '')?.[1]),
    headers,
    body: body.toString('utf8'),
    elapsedMs,
  };
}
