import type { complianceV1 } from '@aperture/contracts';
import { ApiError, callerOf, unary } from '@aperture/runtime';
import { type Caller, tenantFor } from '@aperture/stage-runtime';
import type { ComplianceContext } from './context';
import { toErasure } from './erasure/erasure';
import { toAuditEntry } from './views';

/**
 * ComplianceService: consents, erasure and the tenant's audit trail. The tenant is the caller's API
 * key's; only an internal caller (the service identity: ingest's console) names it in tenant_id.
 */
export function complianceGrpc(ctx: ComplianceContext): complianceV1.ComplianceServiceServer {
  const { consents } = ctx;
  const actor = 'grpc';
  const tenantOf = (call: object, requested: string) => tenantFor(callerOf<Caller>(call), requested);

  return {
    registerConsent: unary(ctx.log, 'RegisterConsent', async (call) => ({
      consent: await consents.register(
        call.request.consent && {
          ...call.request.consent,
          tenantId: tenantOf(call, call.request.consent.tenantId),
        },
        actor,
      ),
    })),
    getConsent: unary(ctx.log, 'GetConsent', async (call) => ({
      consent: await consents.get(tenantOf(call, call.request.tenantId), call.request.consentId),
    })),
    revokeConsent: unary(ctx.log, 'RevokeConsent', (call) =>
      consents.revoke(tenantOf(call, call.request.tenantId), call.request.consentId, actor),
    ),
    requestErasure: unary(ctx.log, 'RequestErasure', async (call) => {
      const { tenantId, imageId, batchId, consentId } = call.request;
      const erasure = await ctx.erasures.request({
        tenantId: tenantOf(call, tenantId),
        ...(imageId && { imageId }),
        ...(batchId && { batchId }),
        ...(consentId && { consentId }),
        actor,
      });
      return { erasure: toErasure(erasure) };
    }),
    getErasure: unary(ctx.log, 'GetErasure', async (call) => {
      const erasure = await ctx.erasures.get(tenantOf(call, call.request.tenantId), call.request.erasureId);
      if (!erasure) throw new ApiError('not_found', `erasure ${call.request.erasureId} does not exist`);
      return { erasure: toErasure(erasure) };
    }),
    getAuditTrail: unary(ctx.log, 'GetAuditTrail', async (call) => {
      const { tenantId, imageId, pageSize, pageToken } = call.request;
      const page = await ctx.audit.page(tenantOf(call, tenantId), {
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
