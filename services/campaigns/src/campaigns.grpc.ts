import { campaignsV1 } from '@aperture/contracts';
import { callerOf, grpcStatusOf, unary } from '@aperture/runtime';
import { type Caller, type StageContext, tenantFor } from '@aperture/stage-runtime';
import type { CampaignStore } from './campaigns.store';

/** How often a watch re-reads the counts; a change is sent at most this long after it happens. */
export const WATCH_INTERVAL_MS = 1000;

/**
 * CampaignService: CheckUpload for ingest, GetCampaign and the WatchCampaign stream for capture
 * apps. Each caller is authenticated before its handler runs (the stage's `access`); the tenant is
 * the credential's, or the one a service caller names (CheckUpload's tenant_id, else x-aperture-tenant).
 */
export function campaignsGrpc(ctx: StageContext, store: CampaignStore): campaignsV1.CampaignServiceServer {
  // A promise, so that a refusal (a service caller naming no tenant) takes the error path.
  const tenantOf = (call: object) => Promise.resolve(call).then((c) => tenantFor(callerOf<Caller>(c)));
  return {
    // Only ingest (the service identity) asks, naming the tenant of the upload.
    checkUpload: unary(ctx.log, 'CheckUpload', (call) =>
      store.checkUpload({
        ...call.request,
        tenantId: tenantFor(callerOf<Caller>(call), call.request.tenantId),
      }),
    ),
    getCampaign: unary(ctx.log, 'GetCampaign', async (call) => {
      const campaign = await store.campaign(tenantFor(callerOf<Caller>(call)), call.request.campaignId);
      return { progress: await store.progress(campaign) };
    }),
    watchCampaign: (call) => {
      let stopped = false;
      let timer: NodeJS.Timeout | undefined;
      const stop = () => {
        stopped = true;
        if (timer) clearTimeout(timer);
      };
      call.on('cancelled', stop);
      call.on('close', stop);
      let last = '';
      const tick = async (tenantId: string) => {
        if (stopped) return;
        const progress = await store.progress(await store.campaign(tenantId, call.request.campaignId));
        // Only a change is news: the time of reading is left out of the comparison.
        const fingerprint = JSON.stringify({ ...progress, updatedAt: '' });
        if (fingerprint !== last) {
          last = fingerprint;
          call.write({ progress });
        }
        if (progress.state !== 'open') {
          stop();
          call.end();
          return;
        }
        timer = setTimeout(() => void tick(tenantId).catch(fail), WATCH_INTERVAL_MS);
      };
      const fail = (error: unknown) => {
        if (stopped) return;
        stop();
        // grpc-js ends a server stream with the status of an emitted error.
        call.emit('error', grpcStatusOf(error, ctx.log, 'WatchCampaign'));
      };
      tenantOf(call)
        .then((tenantId) => tick(tenantId))
        .catch(fail);
    },
  };
}
