import { createHash, randomBytes } from 'node:crypto';

/**
 * The console's session: a random id in an HttpOnly cookie (never readable by the page's scripts,
 * never in local storage), standing for a server-side record (`console_sessions`, stored by the
 * id's SHA-256). The cookie carries no credential. Pure functions; the controller and the guard
 * apply them.
 */

export const SESSION_COOKIE = 'aperture_console';
/** How long a session lasts: a working day. */
export const SESSION_SECONDS = 43_200;
/**
 * Cookie-authenticated requests that change something must carry this header. A cross-site form
 * or image cannot set a custom header, and SameSite=Strict already keeps the cookie off
 * cross-site requests: two independent guards against CSRF.
 */
export const CSRF_HEADER = 'x-aperture-console';

/**
 * client: the tenant's own people (signed in with the tenant's API key), who uploaded the images
 * and may see the raw files.
 * annotator: signed in with an annotator's own token; leases and submits tasks and sees the
 * redacted derivatives, nothing raw (DESIGN.md: annotators never see an unredacted face).
 */
export type ConsoleRole = 'client' | 'annotator';
export const consoleRoles: readonly ConsoleRole[] = ['client', 'annotator'];

/** A new session id: 256 random bits, base64url. */
export const newSessionId = (): string => randomBytes(32).toString('base64url');

/** What is stored for a session id (never the id itself). */
export const hashSessionId = (sessionId: string): string =>
  createHash('sha256').update(sessionId, 'utf8').digest('hex');

/** A plausible session id (what newSessionId makes), worth a database lookup. */
export const looksLikeSessionId = (value: string | undefined): value is string =>
  value !== undefined && /^[A-Za-z0-9_-]{43}$/.test(value);

/** The value of one cookie in a Cookie header, or undefined. */
export function cookieValue(header: string | string[] | undefined, name: string): string | undefined {
  const text = Array.isArray(header) ? header.join('; ') : (header ?? '');
  for (const part of text.split(';')) {
    const at = part.indexOf('=');
    if (at < 0 || part.slice(0, at).trim() !== name) continue;
    try {
      return decodeURIComponent(part.slice(at + 1).trim());
    } catch {
      return undefined;
    }
  }
  return undefined;
}

/** The Set-Cookie header that opens (or, with no session id, ends) the session. */
export function sessionCookie(sessionId: string | undefined, secure: boolean): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  if (!sessionId) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
  return [`${SESSION_COOKIE}=${sessionId}`, `Max-Age=${SESSION_SECONDS}`, ...attributes].join('; ');
}

/** Methods that change nothing need no CSRF header. */
export const isSafeMethod = (method: string | undefined) =>
  method === 'GET' || method === 'HEAD' || method === 'OPTIONS';

type Headers = Record<string, string | string[] | undefined>;
const one = (value: string | string[] | undefined) => (Array.isArray(value) ? value[0] : value);

/**
 * Why a sign-in must be refused as a possible login CSRF (an attacker's page signing the victim's
 * browser into the attacker's account), or undefined: the page signs in with `fetch` and a JSON
 * body, from its own origin. A form post (any other content type), a foreign `Origin`, or a
 * `Sec-Fetch-Site` other than same-origin (or none: typed by hand) is refused. Browsers always
 * send Origin on a cross-site POST, so a missing one is a non-browser client, which cannot be
 * abused this way.
 */
export function signInRefusal(headers: Headers): string | undefined {
  const type = (one(headers['content-type']) ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/json') return 'sign in with a JSON body (content-type: application/json)';
  const site = one(headers['sec-fetch-site']);
  if (site !== undefined && site !== 'same-origin' && site !== 'none')
    return `a sign-in from another site is refused (sec-fetch-site: ${site})`;
  const origin = one(headers['origin']);
  if (origin !== undefined) {
    const host = one(headers['x-forwarded-host']) ?? one(headers['host']);
    let originHost: string;
    try {
      originHost = new URL(origin).host;
    } catch {
      return 'a sign-in from another origin is refused';
    }
    if (!host || originHost !== host) return `a sign-in from another origin is refused (${origin})`;
  }
  return undefined;
}
