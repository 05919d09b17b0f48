import { campaignsV1, Topics } from '@aperture/contracts';
import type { StageOptions } from '@aperture/stage-runtime';
import { collectorCredential } from './auth';
import { handleCurated } from './campaigns.consumer';
import { campaignsGrpc } from './campaigns.grpc';
import { CampaignStore } from './campaigns.store';
import { type Clock, systemClock } from './clock';
import { CampaignsHttpModule } from './http';
import { campaignModels } from './models';

/**
 * The campaigns service as a stage: it consumes the curated-image topic (only curated images
 * count), serves REST (campaigns, collectors, the KYC webhook, assignments) and gRPC
 * (CheckUpload for ingest, GetCampaign, WatchCampaign). `clock` is a test seam.
 */
export function campaignsStage(clock: Clock = systemClock): StageOptions<{ store: CampaignStore }> {
  return {
    service: 'campaigns',
    // The one store of the process: the consumer, gRPC, REST and the collector credential share it.
    build: (ctx) => ({ store: new CampaignStore(ctx, clock) }),
    httpPort: 8085,
    grpc: {
      port: 50056,
      name: 'aperture.campaigns.v1.CampaignService',
      definition: campaignsV1.CampaignServiceService,
      implementation: (ctx) => campaignsGrpc(ctx, ctx.store),
      // CheckUpload is ingest's question (service identity); a capture app follows its campaign
      // with the tenant's key or its collector's token.
      access: {
        checkUpload: ['service'],
        getCampaign: ['service', 'tenant', 'collector'],
        watchCampaign: ['service', 'tenant', 'collector'],
      },
    },
    credential: (ctx) => collectorCredential(ctx.store),
    http: (ctx) => CampaignsHttpModule.register(ctx, ctx.store),
    rawBody: true,
    registerModels: (connection) => void campaignModels(connection),
    // Not a stage of the image record: it counts curated images into cells (campaigns.consumer.ts).
    consumes: { topic: Topics.imageCurated, handle: handleCurated },
  };
}
