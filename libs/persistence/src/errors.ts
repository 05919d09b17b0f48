/** A write broke a unique index: the caller can answer 409, or treat a redelivered event as done. */
export class DuplicateKeyError extends Error {
  constructor(
    /** The index's fields, such as { tenantId: 1, name: 1 }, where the server says (MongoDB does; FerretDB may not). */
    readonly keyPattern: Record<string, unknown> | undefined,
    /** The duplicated values, where the server says. */
    readonly keyValue: Record<string, unknown> | undefined,
    override readonly cause: unknown,
  ) {
    super(
      `duplicate key${keyPattern ? ` on ${Object.keys(keyPattern).join(', ')}` : ''}: ` +
        (cause instanceof Error ? cause.message : String(cause)),
    );
    this.name = 'DuplicateKeyError';
  }
}

const duplicateKeyCodes = new Set([11000, 11001]);

interface MongoLikeError {
  code?: unknown;
  message?: unknown;
  keyPattern?: Record<string, unknown>;
  keyValue?: Record<string, unknown>;
  writeErrors?: Array<{ code?: unknown; err?: { code?: unknown } }>;
}

// FerretDB 1.x on PostgreSQL reports a unique violation caused by an *update* as InternalError
// (code 1) carrying PostgreSQL's own error (SQLSTATE 23505, unique_violation) instead of E11000.
const postgresUniqueViolation = /\(SQLSTATE 23505\)/;

/**
 * True for a unique-index violation: the server's error, single or in a bulk write, or the
 * DuplicateKeyError the persistence plugin already turned it into (what a model's write throws).
 */
export function isDuplicateKeyError(error: unknown): boolean {
  if (error instanceof DuplicateKeyError) return true;
  if (typeof error !== 'object' || error === null) return false;
  const candidate = error as MongoLikeError;
  if (duplicateKeyCodes.has(Number(candidate.code))) return true;
  if (Number(candidate.code) === 1 && postgresUniqueViolation.test(String(candidate.message))) return true;
  return (candidate.writeErrors ?? []).some(
    (writeError) =>
      duplicateKeyCodes.has(Number(writeError.code)) || duplicateKeyCodes.has(Number(writeError.err?.code)),
  );
}

/** The typed error for a duplicate-key server error; any other error is returned unchanged. */
export function translateWriteError(error: unknown): unknown {
  if (error instanceof DuplicateKeyError || !isDuplicateKeyError(error)) return error;
  const { keyPattern, keyValue } = error as MongoLikeError;
  return new DuplicateKeyError(keyPattern, keyValue, error);
}
