import {
  cookieValue,
  hashSessionId,
  isSafeMethod,
  looksLikeSessionId,
  newSessionId,
  sessionCookie,
  signInRefusal,
} from './session';

describe('console session cookie', () => {
  it('finds one cookie among several and decodes it', () => {
    expect(cookieValue('a=1; aperture_console=abc%2Ddef; b=2', 'aperture_console')).toBe('abc-def');
    expect(cookieValue(['a=1', 'aperture_console=x'], 'aperture_console')).toBe('x');
    expect(cookieValue('aperture_consoleX=1', 'aperture_console')).toBeUndefined();
    expect(cookieValue(undefined, 'aperture_console')).toBeUndefined();
    expect(cookieValue('aperture_console=%E0%A4%A', 'aperture_console')).toBeUndefined();
  });

  it('is a random id, stored only as its hash', () => {
    const id = newSessionId();
    expect(looksLikeSessionId(id)).toBe(true);
    expect(newSessionId()).not.toBe(id);
    expect(hashSessionId(id)).toMatch(/^[0-9a-f]{64}$/);
    expect(hashSessionId(id)).not.toContain(id);
    expect(looksLikeSessionId('client:apk_abc')).toBe(false);
    expect(looksLikeSessionId(undefined)).toBe(false);
  });

  it('is HttpOnly and SameSite=Strict always, Secure only over TLS, and round-trips', () => {
    const id = newSessionId();
    const cookie = sessionCookie(id, false);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure');
    expect(sessionCookie(id, true)).toContain('; Secure');
    expect(cookieValue(cookie.split(';')[0], 'aperture_console')).toBe(id);
    expect(sessionCookie(undefined, false)).toMatch(/^aperture_console=; Max-Age=0/);
  });

  it('asks the CSRF header of every method but the safe ones', () => {
    expect(['GET', 'HEAD', 'OPTIONS'].every(isSafeMethod)).toBe(true);
    expect(['POST', 'PUT', 'DELETE', 'PATCH', undefined].some(isSafeMethod)).toBe(false);
  });
});

describe('sign-in (login CSRF)', () => {
  const json = { 'content-type': 'application/json', host: 'console.example:8080' };
  it('takes the page’s own JSON sign-in, and a client without a browser', () => {
    expect(signInRefusal(json)).toBeUndefined();
    expect(
      signInRefusal({ ...json, origin: 'http://console.example:8080', 'sec-fetch-site': 'same-origin' }),
    ).toBeUndefined();
    expect(signInRefusal({ ...json, 'content-type': 'application/json; charset=utf-8' })).toBeUndefined();
  });

  it('refuses a form post, a foreign origin and a cross-site fetch', () => {
    expect(signInRefusal({ ...json, 'content-type': 'application/x-www-form-urlencoded' })).toMatch(/JSON/);
    expect(signInRefusal({ ...json, 'content-type': 'text/plain' })).toMatch(/JSON/);
    expect(signInRefusal({ host: json.host })).toMatch(/JSON/);
    expect(signInRefusal({ ...json, origin: 'https://evil.example' })).toMatch(/another origin/);
    expect(signInRefusal({ ...json, origin: 'null' })).toMatch(/another origin/);
    expect(signInRefusal({ ...json, 'sec-fetch-site': 'cross-site' })).toMatch(/another site/);
    expect(signInRefusal({ ...json, 'sec-fetch-site': 'same-site' })).toMatch(/another site/);
  });
});
