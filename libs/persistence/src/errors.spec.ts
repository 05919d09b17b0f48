import { DuplicateKeyError, isDuplicateKeyError, translateWriteError } from '@aperture/persistence';

describe('translateWriteError', () => {
  it('turns a server duplicate-key error into DuplicateKeyError with its key', () => {
    const serverError = Object.assign(new Error('E11000 duplicate key error collection: db.images'), {
      code: 11000,
      keyPattern: { tenantId: 1, sha256: 1 },
      keyValue: { tenantId: 't1', sha256: 'ab' },
    });
    const translated = translateWriteError(serverError);
    expect(translated).toBeInstanceOf(DuplicateKeyError);
    expect(translated).toMatchObject({
      keyPattern: { tenantId: 1, sha256: 1 },
      keyValue: { tenantId: 't1', sha256: 'ab' },
      cause: serverError,
    });
    expect((translated as Error).message).toBe(
      'duplicate key on tenantId, sha256: E11000 duplicate key error collection: db.images',
    );
  });

  it("recognises the plugin's DuplicateKeyError itself (a model's write throws it already translated)", () => {
    const translated = translateWriteError({ code: 11000, message: 'E11000 duplicate key error' });
    expect(isDuplicateKeyError(translated)).toBe(true);
    expect(translateWriteError(translated)).toBe(translated);
  });

  it('recognises duplicate keys inside a bulk write error', () => {
    expect(isDuplicateKeyError({ code: 65, writeErrors: [{ err: { code: 11000 } }] })).toBe(true);
    expect(isDuplicateKeyError({ code: 65, writeErrors: [{ code: 121 }] })).toBe(false);
  });

  it("recognises FerretDB-on-PostgreSQL's InternalError for a unique violation caused by an update", () => {
    // The message FerretDB 1.24.2 on PostgreSQL 15 answered (abridged).
    const ferretError = Object.assign(
      new Error(
        '[msg_update.go:133 handler.(*Handler).updateDocument] [collection.go:218 postgresql.(*collection).UpdateAll.func1] ' +
          'ERROR: duplicate key value violates unique constraint "u__0542a986_key___63bdb4e8_idx" (SQLSTATE 23505)',
      ),
      { code: 1, codeName: 'InternalError' },
    );
    expect(translateWriteError(ferretError)).toBeInstanceOf(DuplicateKeyError);
    expect(isDuplicateKeyError(Object.assign(new Error('disk I/O error'), { code: 1 }))).toBe(false);
  });

  it('returns every other error unchanged', () => {
    const other = Object.assign(new Error('not primary'), { code: 10107 });
    expect(translateWriteError(other)).toBe(other);
    expect(translateWriteError('text')).toBe('text');
    expect(isDuplicateKeyError(null)).toBe(false);
  });
});
