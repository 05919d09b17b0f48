import type { Logger } from '@aperture/telemetry';
import * as grpc from '@grpc/grpc-js';
import { ApiError } from './api-error';
import { grpcError } from './grpc-server';

/**
 * A failure as the gRPC status every service answers: an ApiError with the status of the code
 * table and its message with details (a campaign or collector refusal names its code first, so a
 * capture app can tell "cell full" from "not verified"); anything else is logged and INTERNAL,
 * its message kept out of the answer.
 */
export function grpcStatusOf(error: unknown, log: Pick<Logger, 'error'>, method: string): grpc.ServiceError {
  if (error instanceof ApiError) {
    const named = /^(campaign|collector)_/.test(error.code) ? `${error.code}: ` : '';
    return grpcError(error.grpcStatus, `${named}${error.fullMessage}`);
  }
  log.error({ err: error, method }, 'gRPC call failed');
  return grpcError(grpc.status.INTERNAL, 'internal error');
}

/**
 * The one promise-to-gRPC adapter: a unary method (or a client stream's answer) written as an async
 * function of its call, answered by `grpcStatusOf` when it throws (synchronously or not).
 */
export function unary<Req, Res>(
  log: Pick<Logger, 'error'>,
  method: string,
  work: (call: grpc.ServerUnaryCall<Req, Res>) => Promise<Res>,
): grpc.handleUnaryCall<Req, Res> {
  return (call, callback) => {
    Promise.resolve(call)
      .then(work)
      .then(
        (response) => callback(null, response),
        (error: unknown) => callback(grpcStatusOf(error, log, method)),
      );
  };
}
