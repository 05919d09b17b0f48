import {
  ApiError,
  findAnnotator,
  findApiKey,
  grpcError,
  secretsEqual,
  SERVICE_ANNOTATOR_HEADER,
  SERVICE_TENANT_HEADER,
  SERVICE_TOKEN_HEADER,
} from '@aperture/runtime';
import type * as grpc from '@grpc/grpc-js';
import type { StageContext } from './run-stage';

/**
 * Who calls a stage's API (REST or gRPC), resolved from its credential and nothing else:
 * - service: another Aperture service (the shared APERTURE_SERVICE_TOKEN); the only caller that may
 *   name the tenant (and annotator) it acts for;
 * - tenant: the tenant's API key (x-api-key);
 * - annotator: an annotator's own token (x-annotator-token), created by the tenant, scoped to tasks;
 * - collector: a stage's own credential (campaigns: a collector's x-collector-token).
 */
export type Caller =
  | { kind: 'service'; tenantId: string; annotatorId: string }
  | { kind: 'tenant'; tenantId: string }
  | { kind: 'annotator'; tenantId: string; annotatorId: string }
  | { kind: 'collector'; tenantId: string; collectorId: string };
export type CallerKind = Caller['kind'];

/** A header (HTTP) or metadata value (gRPC) by its lower-case name. */
export type HeaderOf = (name: string) => string | undefined;

/** A stage's own credential (e.g. a collector's token), tried before the shared ones. */
export type ExtraCredential = (header: HeaderOf) => Promise<Caller | undefined>;

export const API_KEY_HEADER = 'x-api-key';
export const ANNOTATOR_TOKEN_HEADER = 'x-annotator-token';

/**
 * Resolves the caller of one request from its credential headers, in this order: the service
 * token (compared in constant time; a wrong one is refused, never ignored), the stage's own
 * credential, an annotator token, an API key. No credential is `unauthenticated`; a caller of a
 * kind the route does not `allow` is `forbidden`.
 */
export async function authenticateCaller(
  ctx: StageContext,
  header: HeaderOf,
  allow: readonly CallerKind[],
  extra?: ExtraCredential,
): Promise<Caller> {
  const caller = await resolveCaller(ctx, header, extra);
  if (!allow.includes(caller.kind))
    throw new ApiError('forbidden', `this call is not open to ${caller.kind} credentials`);
  return caller;
}

async function resolveCaller(ctx: StageContext, header: HeaderOf, extra?: ExtraCredential): Promise<Caller> {
  const serviceToken = header(SERVICE_TOKEN_HEADER);
  if (serviceToken !== undefined) {
    if (!secretsEqual(serviceToken, ctx.serviceToken))
      throw new ApiError('unauthenticated', 'invalid service token');
    return {
      kind: 'service',
      tenantId: header(SERVICE_TENANT_HEADER) ?? '',
      annotatorId: header(SERVICE_ANNOTATOR_HEADER) ?? '',
    };
  }
  const own = await extra?.(header);
  if (own) return own;
  const annotatorToken = header(ANNOTATOR_TOKEN_HEADER);
  // API keys and annotator tokens are ingest's, checked by the one lookup every service uses.
  if (annotatorToken)
    return { kind: 'annotator', ...(await findAnnotator(ctx.pipeline.connection, annotatorToken)) };
  const { tenantId } = await findApiKey(ctx.pipeline.connection, header(API_KEY_HEADER));
  return { kind: 'tenant', tenantId };
}

const TENANT_ID = /^[A-Za-z0-9_-]{1,64}$/;

/**
 * The tenant a call acts for: the credential's, whatever the request says; only the service
 * identity names it (the request's tenant_id, or the x-aperture-tenant header over REST).
 */
export function tenantFor(caller: Caller, requested = ''): string {
  if (caller.kind !== 'service') return caller.tenantId;
  const tenantId = requested || caller.tenantId;
  if (!TENANT_ID.test(tenantId))
    throw new ApiError('invalid_request', 'tenant_id is required for an internal call');
  return tenantId;
}

/**
 * The annotator a task call acts as: an annotator's own id (whatever the request says); the
 * service identity's named annotator (x-aperture-annotator: the console's annotator session) before
 * the request's; the tenant's key names one in the request (its own tools).
 */
export function annotatorFor(caller: Caller, requested = ''): string {
  if (caller.kind === 'annotator') return caller.annotatorId;
  if (caller.kind === 'service') return caller.annotatorId || requested;
  return requested;
}

/** The header reader of gRPC metadata. */
export const metadataHeaders =
  (metadata: grpc.Metadata): HeaderOf =>
  (name) =>
    metadata.get(name)[0]?.toString();

/** The header reader of an HTTP request's headers (a repeated header counts as absent: ambiguous). */
export const httpHeaders =
  (headers: Record<string, string | string[] | undefined>): HeaderOf =>
  (name) => {
    const value = headers[name];
    return typeof value === 'string' ? value : undefined;
  };

/** The gRPC authentication of a stage: every method's allowed callers; refusals as gRPC statuses. */
export function grpcAuthenticator(
  ctx: StageContext,
  access: Record<string, readonly CallerKind[]>,
  extra?: ExtraCredential,
) {
  return async (metadata: grpc.Metadata, method: string): Promise<Caller> => {
    const allow = access[method];
    if (!allow) throw new Error(`no access rule for gRPC method ${method}`);
    try {
      return await authenticateCaller(ctx, metadataHeaders(metadata), allow, extra);
    } catch (error) {
      if (error instanceof ApiError) throw grpcError(error.grpcStatus, error.message);
      ctx.log.error({ err: error, method }, 'gRPC authentication failed');
      throw error;
    }
  };
}
