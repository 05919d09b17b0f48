import { campaignsV1, Topics } from '@aperture/contracts';
import type { StageContext, StageOptions } from '@aperture/stage-runtime';
import { collectorCredential } from './auth';
import { handleCurated } from './campaigns.consumer';
import { campaignsGrpc } from './campaigns.grpc';
import { CampaignStore } from './campaigns.store';
import { type Clock, systemClock } from './clock';
import { CampaignsErrorFilter, CampaignsHttpModule } from './http';
import { campaignModels } from './models';

/**
 * The campaigns service as a stage: it consumes the curated-image topic (only curated images
 * count), serves REST (campaigns, collectors, the KYC webhook, assignments) and gRPC
 * (CheckUpload for ingest, GetCampaign, WatchCampaign). `clock` is a test seam.
 */
export function campaignsStage(clock: Clock = systemClock): StageOptions {
  const stores = new WeakMap<StageContext, CampaignStore>();
  const storeOf = (ctx: StageContext) => {
    let store = stores.get(ctx);
    if (!store) stores.set(ctx, (store = new CampaignStore(ctx, clock)));
    return store;
  };
  return {
    service: 'campaigns',
    inputTopic: Topics.imageCurated,
    httpPort: 8085,
    grpc: {
      port: 50056,
      name: 'aperture.campaigns.v1.CampaignService',
      definition: campaignsV1.CampaignServiceService,
      implementation: (ctx) => campaignsGrpc(ctx, storeOf(ctx)),
      // CheckUpload is ingest's question (service identity); a capture app follows its campaign
      // with the tenant's key or its collector's token.
      access: {
        checkUpload: ['service'],
        getCampaign: ['service', 'tenant', 'collector'],
        watchCampaign: ['service', 'tenant', 'collector'],
      },
      credential: (ctx) => collectorCredential(storeOf(ctx)),
    },
    http: (ctx) => CampaignsHttpModule.register(ctx, storeOf(ctx)),
    httpErrorFilter: (ctx) => new CampaignsErrorFilter(ctx),
    rawBody: true,
    registerModels: (connection) => void campaignModels(connection),
    handle: (message, ctx) => handleCurated(message, ctx, storeOf(ctx)),
  };
}
