import type { Schema } from 'mongoose';
import { translateWriteError } from './errors';

// Error-handling middleware (mongoose calls it only when the operation failed): it passes on the
// typed error in place of the driver's.
type ErrorHandler = (error: unknown, result: unknown, next: (error?: unknown) => void) => void;
const translate: ErrorHandler = (error, _result, next) => next(translateWriteError(error));

const queryWrites = ['updateOne', 'updateMany', 'replaceOne', 'findOneAndUpdate', 'findOneAndReplace'] as const;

/**
 * A mongoose plugin that turns every unique-index violation raised by a write into a
 * DuplicateKeyError, so callers catch one typed error whatever the operation and server.
 */
export function duplicateKeyErrorPlugin(schema: Schema): void {
  schema.post('save', translate as never);
  schema.post('insertMany', translate as never);
  schema.post('bulkWrite', translate as never);
  // updateOne and friends exist as document and as query middleware; these are the Model/Query calls.
  schema.post(queryWrites as unknown as string[], { document: false, query: true }, translate as never);
}
