import { campaignsV1 } from '@aperture/contracts';
import { grpcError } from '@aperture/runtime';
import type { StageContext } from '@aperture/stage-runtime';
import * as grpc from '@grpc/grpc-js';
import { tenantOfEither } from './auth';
import type { CampaignStore } from './campaigns.store';
import { CampaignError } from './errors';

/** How often a watch re-reads the counts; a change is sent at most this long after it happens. */
export const WATCH_INTERVAL_MS = 1000;

function toStatus(ctx: StageContext, error: unknown): grpc.ServiceError {
  if (error instanceof CampaignError) return grpcError(error.grpcStatus, error.message);
  ctx.log.error({ err: error }, 'gRPC call failed');
  return grpcError(grpc.status.INTERNAL, 'internal error');
}

const header = (metadata: grpc.Metadata, name: string) => metadata.get(name)[0]?.toString();

/** CampaignService: CheckUpload for ingest, GetCampaign and the WatchCampaign stream for capture apps. */
export function campaignsGrpc(ctx: StageContext, store: CampaignStore): campaignsV1.CampaignServiceServer {
  const tenantOf = (call: { metadata: grpc.Metadata }) =>
    tenantOfEither(
      ctx,
      store,
      header(call.metadata, 'x-api-key'),
      header(call.metadata, 'x-collector-token'),
    );
  return {
    checkUpload: (call, callback) => {
      store.checkUpload(call.request).then(
        (answer) => callback(null, answer),
        (error: unknown) => callback(toStatus(ctx, error)),
      );
    },
    getCampaign: (call, callback) => {
      tenantOf(call)
        .then((tenantId) => store.campaign(tenantId, call.request.campaignId))
        .then((campaign) => store.progress(campaign))
        .then(
          (progress) => callback(null, { progress }),
          (error: unknown) => callback(toStatus(ctx, error)),
        );
    },
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
        call.emit('error', toStatus(ctx, error));
      };
      tenantOf(call)
        .then((tenantId) => tick(tenantId))
        .catch(fail);
    },
  };
}
