import type { CallbackError, MongooseQueryMiddleware, Schema } from 'mongoose';
import { translateWriteError } from './errors';

// Error-handling middleware (mongoose calls it only when the operation failed): it passes on the
// typed error in place of the driver's.
const translate = (error: unknown, _result: unknown, next: (error?: CallbackError) => void): void =>
  next(translateWriteError(error) as CallbackError);

// updateOne and friends exist as document and as query middleware; these are the Model/Query calls.
const queryWrites: MongooseQueryMiddleware[] = [
  'updateOne',
  'updateMany',
  'replaceOne',
  'findOneAndUpdate',
  'findOneAndReplace',
];

/**
 * A mongoose plugin that turns every unique-index violation raised by a write into a
 * DuplicateKeyError, so callers catch one typed error whatever the operation and server.
 */
export function duplicateKeyErrorPlugin(schema: Schema): void {
  schema.post('save', { errorHandler: true }, translate);
  schema.post('insertMany', { errorHandler: true }, translate);
  schema.post('bulkWrite', { errorHandler: true }, translate);
  schema.post(queryWrites, { errorHandler: true, document: false, query: true }, translate);
}
