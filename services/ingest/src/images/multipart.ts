import busboy from 'busboy';
import type { IncomingMessage } from 'node:http';
import type { Readable } from 'node:stream';
import { ApiError } from '../errors';

/** Files one multipart request may carry. */
export const MAX_FILES_PER_REQUEST = 100;
/** Text fields one multipart request may carry, and the size of each. */
export const MAX_FIELDS_PER_REQUEST = 50;
export const MAX_FIELD_BYTES = 64 * 1024;

export interface UploadedFile {
  filename: string;
  stream: Readable;
  /** The text fields sent before this file (a field sent after the files applies to none). */
  fields: Readonly<Record<string, string>>;
}

/**
 * Streams the files of a multipart/form-data request, one after the other, to `handle`, which must
 * consume the stream. Nothing is buffered beyond the streams' own buffers. Parts must be named
 * "file"; text fields (a campaign upload's campaignId, category, ...) reach each later file. After the first failure the remaining parts are read and
 * discarded (so the client can read the answer), and that failure is thrown once the body is over.
 */
export function forEachUploadedFile(
  request: IncomingMessage,
  handle: (file: UploadedFile) => Promise<void>,
): Promise<number> {
  let parser: busboy.Busboy;
  try {
    parser = busboy({
      headers: request.headers,
      limits: {
        files: MAX_FILES_PER_REQUEST,
        fields: MAX_FIELDS_PER_REQUEST,
        fieldSize: MAX_FIELD_BYTES,
        parts: MAX_FILES_PER_REQUEST + MAX_FIELDS_PER_REQUEST,
      },
    });
  } catch {
    return Promise.reject(
      new ApiError(
        'unsupported_media_type',
        'the body must be multipart/form-data with files in fields named "file"',
      ),
    );
  }
  const malformed = (error: Error) =>
    new ApiError('malformed_multipart', `malformed multipart body: ${error.message}`);
  return new Promise<number>((resolve, reject) => {
    let failure: unknown;
    let files = 0;
    let queue = Promise.resolve();
    let settled = false;
    const fields: Record<string, string> = {};
    const fail = (error: unknown) => {
      failure ??= error;
    };
    const settle = () => {
      if (settled) return;
      settled = true;
      void queue.then(() => (failure === undefined ? resolve(files) : reject(failure as Error)));
    };

    parser.on('field', (name, value) => {
      fields[name] = value;
    });
    parser.on('file', (field, stream, info) => {
      // busboy destroys a file stream with an error when the body ends inside it ("Unexpected end
      // of form") or is cut off. The handler of this file may not have started yet (files are
      // handled in order, after asynchronous checks): without a listener from the start, that
      // 'error' would be unhandled and end the process.
      stream.on('error', (error) => fail(malformed(error)));
      if (failure !== undefined) {
        stream.resume();
        return;
      }
      if (field !== 'file') {
        fail(
          ApiError.invalid(
            `unexpected file field ${JSON.stringify(field)}: send images in fields named "file"`,
          ),
        );
        stream.resume();
        return;
      }
      files++;
      const fieldsNow = { ...fields };
      queue = queue.then(async () => {
        if (failure !== undefined || stream.destroyed) {
          stream.resume();
          return;
        }
        try {
          await handle({ filename: info.filename ?? '', stream, fields: fieldsNow });
        } catch (error) {
          fail(error);
          stream.resume();
        }
      });
    });
    parser.on('filesLimit', () =>
      fail(ApiError.invalid(`at most ${MAX_FILES_PER_REQUEST} files per request`)),
    );
    parser.on('partsLimit', () => fail(ApiError.invalid('too many parts in the multipart body')));
    parser.on('fieldsLimit', () =>
      fail(ApiError.invalid(`at most ${MAX_FIELDS_PER_REQUEST} text fields per request`)),
    );
    parser.on('error', (error: Error) => {
      fail(malformed(error));
      request.unpipe(parser);
      request.resume();
      settle();
    });
    parser.on('close', settle);
    // A client that goes away mid-upload: end the file stream in hand with an error, so the blob
    // store removes its temporary file and the handler returns.
    request.on('close', () => {
      if (!request.complete) {
        fail(ApiError.invalid('the upload was aborted'));
        parser.destroy(new Error('upload aborted by the client'));
        settle();
      }
    });
    request.pipe(parser);
  });
}
