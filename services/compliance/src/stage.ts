import { complianceV1, Topics } from '@aperture/contracts';
import type { StageContext, StageOptions } from '@aperture/stage-runtime';
import { registerAuditModels } from './audit/audit-log';
import { handleStandardized } from './compliance.consumer';
import { complianceGrpc } from './compliance.grpc';
import { consentModel } from './consents/consent.store';
import { complianceDeps } from './deps';
import { erasureModel } from './erasure/erasure';
import { ComplianceHttpModule } from './http';
import { sweepRetention } from './retention/retention';

/** How often pending erasures are resumed and raw uploads past retention deleted. */
const SWEEP_INTERVAL_MS = 60_000;

/** The privacy models loaded; erasures left pending by a crash are finished at start; retention and erasure sweeps run every minute. */
async function startBackgroundWork(ctx: StageContext): Promise<() => Promise<void>> {
  const deps = complianceDeps(ctx);
  // The models are checked and loaded before the first image, not on it.
  await deps.people.start();
  let sweeping: Promise<void> | undefined;
  const sweep = () => {
    sweeping ??= (async () => {
      try {
        await deps.erasures.resumePending();
        const retention = await sweepRetention(ctx, deps.audit, new Date());
        if (retention.deleted + retention.released > 0) ctx.log.info(retention, 'retention sweep');
      } catch (error) {
        ctx.log.warn({ err: error }, 'compliance sweep failed; next one in a minute');
      } finally {
        sweeping = undefined;
      }
    })();
    return sweeping;
  };
  void sweep();
  const timer = setInterval(() => void sweep(), SWEEP_INTERVAL_MS);
  timer.unref();
  return async () => {
    clearInterval(timer);
    await sweeping;
    await deps.people.close();
  };
}

export const complianceStage: StageOptions = {
  service: 'compliance',
  inputTopic: Topics.imageStandardized,
  httpPort: 8083,
  grpc: {
    port: 50054,
    name: 'aperture.compliance.v1.ComplianceService',
    definition: complianceV1.ComplianceServiceService,
    implementation: complianceGrpc,
    // ingest's console (service identity, naming the tenant), or the tenant's own key.
    access: {
      registerConsent: ['service', 'tenant'],
      getConsent: ['service', 'tenant'],
      revokeConsent: ['service', 'tenant'],
      requestErasure: ['service', 'tenant'],
      getErasure: ['service', 'tenant'],
      getAuditTrail: ['service', 'tenant'],
    },
  },
  http: (ctx) => ComplianceHttpModule.register(ctx),
  start: startBackgroundWork,
  registerModels: (connection) => {
    consentModel(connection);
    erasureModel(connection);
    registerAuditModels(connection);
  },
  handle: handleStandardized,
};
