import mongoose, { type Connection } from 'mongoose';
import { duplicateKeyErrorPlugin } from './plugins';

export interface MongoConnectionOptions {
  uri: string;
  /** Overrides the database named in the URI (tests use a database of their own). */
  dbName?: string;
  /** How long to wait for a server before an operation fails (default 10 s). */
  serverSelectionTimeoutMS?: number;
  /** Called with every command sent (the driver's command monitoring), e.g. to count round trips. */
  onCommand?: (command: { name: string; collection: string }) => void;
}

/**
 * Opens a mongoose connection of its own (not the global one, so a process or a test can hold
 * several) with the project's plugins applied to every model compiled on it.
 */
export async function connectMongo(options: MongoConnectionOptions): Promise<Connection> {
  const connection = mongoose.createConnection(options.uri, {
    ...(options.dbName !== undefined && { dbName: options.dbName }),
    serverSelectionTimeoutMS: options.serverSelectionTimeoutMS ?? 10_000,
    // Indexes are created on purpose by syncModelIndexes at start-up, not lazily by each model.
    autoIndex: false,
    autoCreate: true,
    ...(options.onCommand && { monitorCommands: true }),
  });
  const onCommand = options.onCommand;
  if (onCommand) {
    connection.on('commandStarted', (event: { commandName: string; command: Record<string, unknown> }) => {
      const target = event.command[event.commandName];
      onCommand({ name: event.commandName, collection: typeof target === 'string' ? target : '' });
    });
  }
  connection.plugin(duplicateKeyErrorPlugin);
  await connection.asPromise();
  return connection;
}

/**
 * Creates the indexes every model on the connection declares and drops the ones no model declares
 * any more, so a deploy is also the index migration. Returns the dropped index names per model.
 */
export async function syncModelIndexes(connection: Connection): Promise<Record<string, string[]>> {
  const dropped: Record<string, string[]> = {};
  for (const name of connection.modelNames()) {
    dropped[name] = await connection.model(name).syncIndexes();
  }
  return dropped;
}
