import { cookieValue, isSafeMethod, parseSession, sessionCookie } from './session';

describe('console session cookie', () => {
  it('finds one cookie among several and decodes it', () => {
    expect(cookieValue('a=1; aperture_console=client%3Aapk_x; b=2', 'aperture_console')).toBe('client:apk_x');
    expect(cookieValue(['a=1', 'aperture_console=x'], 'aperture_console')).toBe('x');
    expect(cookieValue('aperture_consoleX=1', 'aperture_console')).toBeUndefined();
    expect(cookieValue(undefined, 'aperture_console')).toBeUndefined();
    expect(cookieValue('aperture_console=%E0%A4%A', 'aperture_console')).toBeUndefined();
  });

  it('parses a role and a key, and nothing else', () => {
    expect(parseSession('annotator:apk_abc:def')).toEqual({ role: 'annotator', apiKey: 'apk_abc:def' });
    expect(parseSession('admin:apk_abc')).toBeUndefined();
    expect(parseSession('client:')).toBeUndefined();
    expect(parseSession('apk_abc')).toBeUndefined();
  });

  it('is HttpOnly and SameSite=Strict always, Secure only over TLS, and round-trips', () => {
    const cookie = sessionCookie({ role: 'client', apiKey: 'apk_1;2' }, false);
    expect(cookie).toContain('HttpOnly');
    expect(cookie).toContain('SameSite=Strict');
    expect(cookie).not.toContain('Secure');
    expect(sessionCookie({ role: 'client', apiKey: 'k' }, true)).toContain('; Secure');
    const value = cookieValue(cookie.split(';')[0], 'aperture_console');
    expect(parseSession(value)).toEqual({ role: 'client', apiKey: 'apk_1;2' });
    expect(sessionCookie(undefined, false)).toMatch(/^aperture_console=; Max-Age=0/);
  });

  it('asks the CSRF header of every method but the safe ones', () => {
    expect(['GET', 'HEAD', 'OPTIONS'].every(isSafeMethod)).toBe(true);
    expect(['POST', 'PUT', 'DELETE', 'PATCH', undefined].some(isSafeMethod)).toBe(false);
  });
});
