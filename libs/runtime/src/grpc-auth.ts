import { createHash, timingSafeEqual } from 'node:crypto';
import * as grpc from '@grpc/grpc-js';

/**
 * The header (gRPC metadata or HTTP) carrying the shared secret of internal calls, the service
 * identity: APERTURE_SERVICE_TOKEN, the same value in every service of one installation.
 */
export const SERVICE_TOKEN_HEADER = 'x-service-token';
/** With the service identity over REST, the tenant the call acts for (gRPC requests carry tenant_id). */
export const SERVICE_TENANT_HEADER = 'x-aperture-tenant';
/** With the service identity over REST, the annotator the call acts for (the console's annotator). */
export const SERVICE_ANNOTATOR_HEADER = 'x-aperture-annotator';

/**
 * Constant-time comparison of two secrets of any length: both are hashed to 32 bytes first, so
 * timingSafeEqual always compares equal lengths (it throws otherwise, and an early length check
 * would leak the secret's length), and the time taken does not depend on where the two first differ.
 */
export function secretsEqual(given: string | undefined, expected: string): boolean {
  if (given === undefined) return false;
  const a = createHash('sha256').update(given).digest();
  const b = createHash('sha256').update(expected).digest();
  return timingSafeEqual(a, b);
}

/** The metadata an internal caller sends: its service identity. */
export function serviceMetadata(serviceToken: string): grpc.Metadata {
  const metadata = new grpc.Metadata();
  metadata.set(SERVICE_TOKEN_HEADER, serviceToken);
  return metadata;
}

/** Resolves who is calling, from the metadata, for one method; rejects with a grpc status error. */
export type Authenticate<Caller> = (metadata: grpc.Metadata, method: string) => Promise<Caller>;

const callers = new WeakMap<object, unknown>();

/** The caller `authenticatedService` resolved for this call (set before the handler runs). */
export function callerOf<Caller>(call: object): Caller {
  if (!callers.has(call)) throw new Error('callerOf: the call was not authenticated (authenticatedService)');
  return callers.get(call) as Caller;
}

const isServiceError = (error: unknown): error is grpc.ServiceError =>
  error instanceof Error && typeof (error as Partial<grpc.ServiceError>).code === 'number';

/**
 * Wraps every method of a service implementation so that its handler runs only once `authenticate`
 * has resolved the caller (read in the handler with `callerOf(call)`); a refusal ends the call with
 * its status (UNAUTHENTICATED, PERMISSION_DENIED) before the handler sees anything. A method left
 * unimplemented stays so (grpc-js answers UNIMPLEMENTED): no handler runs unauthenticated.
 */
export function authenticatedService<Caller>(
  definition: grpc.ServiceDefinition,
  implementation: grpc.UntypedServiceImplementation,
  authenticate: Authenticate<Caller>,
): grpc.UntypedServiceImplementation {
  const wrapped: grpc.UntypedServiceImplementation = {};
  for (const [method, spec] of Object.entries(definition)) {
    const handler = implementation[method] as ((call: object, callback?: unknown) => void) | undefined;
    if (!handler) continue;
    const refusal = (error: unknown): grpc.ServiceError =>
      isServiceError(error)
        ? error
        : Object.assign(new Error('authentication is unavailable; retry'), {
            code: grpc.status.UNAVAILABLE,
            details: 'authentication is unavailable; retry',
            metadata: new grpc.Metadata(),
          });
    if (spec.responseStream) {
      // Server and bidirectional streams: the status of an emitted error ends the call.
      wrapped[method] = (call: grpc.ServerWritableStream<unknown, unknown>) => {
        authenticate(call.metadata, method).then(
          (caller) => {
            callers.set(call, caller);
            handler(call);
          },
          (error: unknown) => call.emit('error', refusal(error)),
        );
      };
    } else {
      // Unary and client streams answer through the callback (a client stream's messages wait
      // in its buffer until the handler reads them).
      wrapped[method] = (
        call: grpc.ServerUnaryCall<unknown, unknown>,
        callback: grpc.sendUnaryData<unknown>,
      ) => {
        authenticate(call.metadata, method).then(
          (caller) => {
            callers.set(call, caller);
            handler(call, callback);
          },
          (error: unknown) => callback(refusal(error)),
        );
      };
    }
  }
  return wrapped;
}
