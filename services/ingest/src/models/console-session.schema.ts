import { type Connection, type Model, Schema } from 'mongoose';

/**
 * A web console session. The cookie holds a random id; only its SHA-256 is stored (a database
 * reader cannot sign in with it). The session names the credential it was opened with, checked
 * again on every request, so revoking the API key or the annotator ends the session at once.
 */
export interface ConsoleSessionRecord {
  /** Lower-case hex SHA-256 of the session id in the cookie. */
  _id: string;
  tenantId: string;
  role: 'client' | 'annotator';
  /** client: the API key signed in with. */
  keyId: string | null;
  /** annotator: the annotator signed in as. */
  annotatorId: string | null;
  createdAt: Date;
  /**
   * Past it the session is over. Expired sessions are deleted when a session is opened (FerretDB
   * refuses TTL indexes, "expireAfterSeconds is not implemented"), and never accepted before that.
   */
  expiresAt: Date;
}

const consoleSessionSchema = new Schema<ConsoleSessionRecord>(
  {
    _id: { type: String, required: true },
    tenantId: { type: String, required: true },
    role: { type: String, required: true, enum: ['client', 'annotator'] },
    keyId: { type: String, default: null },
    annotatorId: { type: String, default: null },
    createdAt: { type: Date, required: true },
    expiresAt: { type: Date, required: true },
  },
  { collection: 'console_sessions', versionKey: false },
);
consoleSessionSchema.index({ expiresAt: 1 }, { name: 'expiry' });
consoleSessionSchema.index({ annotatorId: 1 }, { name: 'annotator' });

export function consoleSessionModel(connection: Connection): Model<ConsoleSessionRecord> {
  return (
    (connection.models['IngestConsoleSession'] as Model<ConsoleSessionRecord> | undefined) ??
    connection.model<ConsoleSessionRecord>('IngestConsoleSession', consoleSessionSchema)
  );
}
