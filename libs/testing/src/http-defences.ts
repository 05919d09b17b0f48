import { type RawHttpAnswer, rawHttp } from './raw-http';

/** What one hostile request got: enough to compare across services. */
export interface DefenceAnswer {
  status: number;
  code: string | undefined;
  message: string | undefined;
  /** The X-Powered-By header (a framework banner), null when absent. */
  poweredBy: string | null;
  /** The Allow header, null when absent. */
  allow: string | null;
  /** Answered within 2 s of sending (a refusal that did not wait for a body that never comes). */
  prompt: boolean;
}

export interface DefenceProbeOptions {
  /** A route that takes a JSON body (POST), e.g. /v1/projects. */
  jsonRoute: string;
  /** The caller's credentials, as headers (e.g. {'x-api-key': key}). */
  credentials: Record<string, string>;
  /** A route that exists, and the methods it serves (`Allow`, e.g. "GET, HEAD"). */
  knownRoute: { path: string; allow: string };
  /** The service's MAX_JSON_BODY_BYTES. */
  maxJsonBodyBytes: number;
  /** The service's BODY_IDLE_TIMEOUT_MS, when the probe of a client that stops sending should run. */
  idleTimeoutMs?: number;
}

/** 5,000 nested arrays (10 KB): the body that overflowed a validator's stack (issue 19, finding 5). */
export const DEEP_JSON = '['.repeat(5000) + ']'.repeat(5000);
/** A Content-Length no service accepts, sent with a two-byte body (issue 19, finding 7). */
export const HUGE_CONTENT_LENGTH = 1_000_000_000_000;

/**
 * Sends the requests of issue 19's HTTP findings to a running service on raw sockets: deeply nested
 * JSON, malformed JSON, a huge Content-Length with a tiny body (with and without credentials), a
 * chunked body over the limit, an unknown route, TRACE on a known route, bytes that are not HTTP
 * and, optionally, a body that stops arriving. Every service should answer them alike: compare with `expectedDefences`.
 */
export async function probeHttpDefences(
  port: number,
  options: DefenceProbeOptions,
): Promise<Record<string, DefenceAnswer>> {
  const credentials = Object.entries(options.credentials).map(([name, value]) => `${name}: ${value}`);
  const head = (method: string, path: string, headers: string[]) =>
    [`${method} ${path} HTTP/1.1`, 'Host: 127.0.0.1', ...headers].join('\r\n');
  const json = (body: string, withCredentials = true) => [
    ...(withCredentials ? credentials : []),
    'Content-Type: application/json',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  const send = async (method: string, path: string, headers: string[], body = '', timeoutMs = 10_000) =>
    summarize(await rawHttp(port, head(method, path, headers), { body, timeoutMs }));
  const hugeHeaders = (withCredentials: boolean) => [
    ...(withCredentials ? credentials : []),
    'Content-Type: application/json',
    `Content-Length: ${HUGE_CONTENT_LENGTH}`,
  ];
  const over = `"${'x'.repeat(options.maxJsonBodyBytes)}"`;
  const answers: Record<string, DefenceAnswer> = {
    deepJson: await send('POST', options.jsonRoute, json(DEEP_JSON), DEEP_JSON),
    malformedJson: await send('POST', options.jsonRoute, json('{"name":'), '{"name":'),
    hugeContentLength: await send('POST', options.jsonRoute, hugeHeaders(true), '{}'),
    hugeContentLengthNoCredentials: await send('POST', options.jsonRoute, hugeHeaders(false), '{}'),
    chunkedOverLimit: await send(
      'POST',
      options.jsonRoute,
      [...credentials, 'Content-Type: application/json', 'Transfer-Encoding: chunked'],
      `${over.length.toString(16)}\r\n${over}\r\n0\r\n\r\n`,
    ),
    unknownRoute: await send('GET', '/v1/no-such-route', credentials),
    traceKnownRoute: await send('TRACE', options.knownRoute.path, credentials),
    notHttp: summarize(await rawHttp(port, 'NOT AN HTTP REQUEST')),
  };
  if (options.idleTimeoutMs !== undefined) {
    const stalled = [...credentials, 'Content-Type: application/json', 'Content-Length: 100'];
    const answer = await rawHttp(port, head('POST', options.jsonRoute, stalled), {
      body: '{"name":',
      timeoutMs: options.idleTimeoutMs + 10_000,
    });
    const elapsed = answer?.elapsedMs ?? 0;
    answers['stalledBody'] = {
      ...summarize(answer),
      // Not before the idle time, and not much after it.
      prompt: elapsed >= options.idleTimeoutMs - 100 && elapsed < options.idleTimeoutMs + 3000,
    };
  }
  return answers;
}

/** What `probeHttpDefences` must find on every service. */
export function expectedDefences(options: DefenceProbeOptions): Record<string, DefenceAnswer> {
  const answer = (status: number, code: string, message?: string, allow: string | null = null) => ({
    status,
    code,
    message,
    poweredBy: null,
    allow,
    prompt: true,
  });
  const tooLarge = `the request body is larger than the limit of ${options.maxJsonBodyBytes} bytes`;
  return {
    deepJson: answer(400, 'invalid_request', 'the JSON body is nested more than 32 levels deep'),
    malformedJson: answer(400, 'invalid_request', 'malformed JSON body'),
    hugeContentLength: answer(413, 'too_large', tooLarge),
    hugeContentLengthNoCredentials: answer(413, 'too_large', tooLarge),
    chunkedOverLimit: answer(413, 'too_large', tooLarge),
    unknownRoute: answer(404, 'not_found', 'Cannot GET /v1/no-such-route'),
    traceKnownRoute: answer(
      405,
      'method_not_allowed',
      `TRACE is not allowed here: use ${options.knownRoute.allow}`,
      options.knownRoute.allow,
    ),
    notHttp: answer(400, 'invalid_request', 'malformed HTTP request'),
    ...(options.idleTimeoutMs !== undefined && {
      stalledBody: answer(
        408,
        'request_timeout',
        `no data from the client for ${options.idleTimeoutMs} ms: the request body is incomplete`,
      ),
    }),
  };
}

function summarize(answer: RawHttpAnswer | undefined): DefenceAnswer {
  if (!answer) throw new Error('no answer');
  let error: { code?: string; message?: string } = {};
  try {
    error = (JSON.parse(answer.body) as { error?: typeof error }).error ?? {};
  } catch {
    // not JSON: code and message stay undefined, which no expectation accepts
  }
  return {
    status: answer.status,
    code: error.code,
    message: error.message,
    poweredBy: answer.headers['x-powered-by'] ?? null,
    allow: answer.headers['allow'] ?? null,
    prompt: answer.elapsedMs < 2000,
  };
}
