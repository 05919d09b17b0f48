import type { complianceV1 } from '@aperture/contracts';
import { callerOf, grpcError } from '@aperture/runtime';
import { type Caller, type StageContext, StageApiError, tenantFor } from '@aperture/stage-runtime';
import { type sendUnaryData, status } from '@grpc/grpc-js';
import { InvalidPageToken } from './audit/audit-log';
import { ConsentsService } from './consents/consents.service';
import { complianceDeps } from './deps';
import { toErasure } from './erasure/erasure';
import { ComplianceError } from './errors';
import { toAuditEntry } from './views';

/**
 * ComplianceService: consents, erasure and the tenant's audit trail. The tenant is the caller's API
 * key's; only an internal caller (the service identity: ingest's console) names it in tenant_id.
 */
export function complianceGrpc(ctx: StageContext): complianceV1.ComplianceServiceServer {
  const consents = new ConsentsService(ctx);
  const actor = 'grpc';
  /** Runs a call; refusals map to their status, anything else is logged and UNAVAILABLE. */
  function answer<T>(what: string, callback: sendUnaryData<T>, work: () => Promise<T>) {
    work().then(
      (value) => callback(null, value),
      (error: unknown) => {
        if (error instanceof StageApiError) return callback(grpcError(error.grpcStatus, error.fullMessage));
        if (error instanceof InvalidPageToken)
          return callback(grpcError(status.INVALID_ARGUMENT, error.message));
        ctx.log.error({ err: error }, `${what} failed`);
        callback(grpcError(status.UNAVAILABLE, `${what} failed; retry`));
      },
    );
  }
  const tenantOf = (call: object, requested: string) => tenantFor(callerOf<Caller>(call), requested);

  return {
    registerConsent: (call, callback) =>
      answer('RegisterConsent', callback, async () => ({
        consent: await consents.register(
          call.request.consent && {
            ...call.request.consent,
            tenantId: tenantOf(call, call.request.consent.tenantId),
          },
          actor,
        ),
      })),
    getConsent: (call, callback) =>
      answer('GetConsent', callback, async () => ({
        consent: await consents.get(tenantOf(call, call.request.tenantId), call.request.consentId),
      })),
    revokeConsent: (call, callback) =>
      answer('RevokeConsent', callback, () =>
        consents.revoke(tenantOf(call, call.request.tenantId), call.request.consentId, actor),
      ),
    requestErasure: (call, callback) =>
      answer('RequestErasure', callback, async () => {
        const { tenantId, imageId, batchId, consentId } = call.request;
        const erasure = await complianceDeps(ctx).erasures.request({
          tenantId: tenantOf(call, tenantId),
          ...(imageId && { imageId }),
          ...(batchId && { batchId }),
          ...(consentId && { consentId }),
          actor,
        });
        return { erasure: toErasure(erasure) };
      }),
    getErasure: (call, callback) =>
      answer('GetErasure', callback, async () => {
        const erasure = await complianceDeps(ctx).erasures.get(
          tenantOf(call, call.request.tenantId),
          call.request.erasureId,
        );
        if (!erasure)
          throw new ComplianceError('not_found', `erasure ${call.request.erasureId} does not exist`);
        return { erasure: toErasure(erasure) };
      }),
    getAuditTrail: (call, callback) =>
      answer('GetAuditTrail', callback, async () => {
        const { tenantId, imageId, pageSize, pageToken } = call.request;
        const page = await complianceDeps(ctx).audit.page(tenantOf(call, tenantId), {
          imageId,
          pageSize,
          pageToken,
        });
        return {
          entries: page.entries.map(toAuditEntry),
          nextPageToken: page.nextPageToken,
          headSeq: String(page.head.seq),
          headHash: page.head.hash,
        };
      }),
  };
}
