import { SERVICE_ANNOTATOR_HEADER, SERVICE_TENANT_HEADER, SERVICE_TOKEN_HEADER } from '@aperture/runtime';
import { ApiError, type ApiErrorCode } from '../errors';

export interface ForwardedResponse {
  status: number;
  contentType: string;
  body: Buffer;
}

/** The codes a neighbour's error answer may carry that ingest's API also knows (errors.ts). */
const knownCodes = new Set<ApiErrorCode>([
  'invalid_request',
  'unauthenticated',
  'forbidden',
  'not_found',
  'conflict',
  'rate_limited',
  'campaign_not_found',
  'campaign_closed',
  'unavailable',
]);

/**
 * A neighbour's error answer (`{"error": {"code", "message"}}`) as ingest's own ApiError, for the
 * places that cannot relay the answer as it came (an event stream already open). A code ingest
 * does not know becomes `unavailable`, so the stream ends rather than retry something broken.
 */
export function errorOfForwarded(service: string, forwarded: ForwardedResponse): ApiError {
  let body: { error?: { code?: unknown; message?: unknown } } = {};
  try {
    body = JSON.parse(forwarded.body.toString('utf8')) as typeof body;
  } catch {
    // not JSON: the status says enough
  }
  const code = body.error?.code;
  const message = typeof body.error?.message === 'string' ? body.error.message : `status ${forwarded.status}`;
  return knownCodes.has(code as ApiErrorCode)
    ? new ApiError(code as ApiErrorCode, message)
    : new ApiError('unavailable', `${service} answered ${forwarded.status}: ${message}`);
}

/** Who a forwarded call acts for: the request's tenant, and an annotator session's annotator. */
export interface ActingFor {
  tenantId: string;
  /** '' for a client. */
  annotatorId: string;
}

/**
 * A neighbour's REST API (annotation-router, campaigns), called as ingest (the service identity)
 * for the tenant ingest has authenticated (and, for an annotator session, as its annotator): the
 * console holds no key to pass on (its sessions are server-side ids), and the neighbour answers
 * only for the tenant named, so the console sees there exactly what that tenant may see.
 */
export class ServiceRepository {
  constructor(
    private readonly service: string,
    private readonly baseUrl: string,
    private readonly serviceToken: string,
  ) {}

  async forward(
    method: 'GET' | 'POST',
    path: string,
    actingFor: ActingFor,
    body?: unknown,
  ): Promise<ForwardedResponse> {
    let response: Response;
    try {
      response = await fetch(new URL(path, this.baseUrl), {
        method,
        headers: {
          [SERVICE_TOKEN_HEADER]: this.serviceToken,
          [SERVICE_TENANT_HEADER]: actingFor.tenantId,
          ...(actingFor.annotatorId && { [SERVICE_ANNOTATOR_HEADER]: actingFor.annotatorId }),
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(30_000),
      });
    } catch (error) {
      throw new ApiError('unavailable', `${this.service} is unavailable (${(error as Error).message})`);
    }
    return {
      status: response.status,
      contentType: response.headers.get('content-type') ?? 'application/octet-stream',
      body: Buffer.from(await response.arrayBuffer()),
    };
  }

  /** A GET's JSON answer, or its error as an ApiError (for event streams). */
  async json(path: string, actingFor: ActingFor): Promise<unknown> {
    const forwarded = await this.forward('GET', path, actingFor);
    if (forwarded.status !== 200) throw errorOfForwarded(this.service, forwarded);
    return JSON.parse(forwarded.body.toString('utf8')) as unknown;
  }
}
