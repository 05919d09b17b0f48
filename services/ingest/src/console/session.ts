/**
 * The console's session: the tenant's API key in an HttpOnly cookie (never readable by the page's
 * scripts, never in local storage), with the role the person signed in as. Pure functions; the
 * controller and the guard apply them.
 */

export const SESSION_COOKIE = 'aperture_console';
/**
 * Cookie-authenticated requests that change something must carry this header. A cross-site form
 * or image cannot set a custom header, and SameSite=Strict already keeps the cookie off
 * cross-site requests: two independent guards against CSRF.
 */
export const CSRF_HEADER = 'x-aperture-console';

/**
 * client: the tenant's own people, who uploaded the images and may see the raw files.
 * annotator: sees the redacted derivatives, the annotator and nothing raw (DESIGN.md: annotators
 * never see an unredacted face).
 */
export type ConsoleRole = 'client' | 'annotator';
export const consoleRoles: readonly ConsoleRole[] = ['client', 'annotator'];

export interface Session {
  apiKey: string;
  role: ConsoleRole;
}

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

/** "role:key" → the session; anything else is no session. */
export function parseSession(value: string | undefined): Session | undefined {
  if (!value) return undefined;
  const at = value.indexOf(':');
  const role = value.slice(0, at) as ConsoleRole;
  if (at < 0 || !consoleRoles.includes(role)) return undefined;
  const apiKey = value.slice(at + 1);
  return apiKey ? { apiKey, role } : undefined;
}

/** The Set-Cookie header that opens (or, with no session, ends) the session. */
export function sessionCookie(session: Session | undefined, secure: boolean): string {
  const attributes = ['Path=/', 'HttpOnly', 'SameSite=Strict', ...(secure ? ['Secure'] : [])];
  if (!session) return [`${SESSION_COOKIE}=`, 'Max-Age=0', ...attributes].join('; ');
  const value = encodeURIComponent(`${session.role}:${session.apiKey}`);
  // A working day; the key itself stays valid until revoked, the cookie does not.
  return [`${SESSION_COOKIE}=${value}`, 'Max-Age=43200', ...attributes].join('; ');
}

/** Methods that change nothing need no CSRF header. */
export const isSafeMethod = (method: string | undefined) =>
  method === 'GET' || method === 'HEAD' || method === 'OPTIONS';
