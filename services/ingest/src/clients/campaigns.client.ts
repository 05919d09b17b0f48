import { campaignsV1 } from '@aperture/contracts';
import { serviceMetadata } from '@aperture/runtime';
import * as grpc from '@grpc/grpc-js';

/** What ingest asks the campaigns service before it stores a campaign upload. */
export interface CampaignGate {
  check(request: campaignsV1.CheckUploadRequest): Promise<campaignsV1.CheckUploadResponse>;
  close(): void;
}

/** How long an upload waits for the campaigns service's answer before it is refused as unavailable. */
const CHECK_DEADLINE_MS = 3000;

/**
 * The campaigns service's CheckUpload over gRPC (services/campaigns), one channel per process, as
 * the service identity (CheckUpload answers no other caller).
 */
export function grpcCampaignGate(address: string, serviceToken: string): CampaignGate {
  const client = new campaignsV1.CampaignServiceClient(address, grpc.credentials.createInsecure());
  return {
    check: (request) =>
      new Promise((resolve, reject) => {
        client.checkUpload(
          request,
          serviceMetadata(serviceToken),
          { deadline: new Date(Date.now() + CHECK_DEADLINE_MS) },
          (error, response) => (error ? reject(error) : resolve(response)),
        );
      }),
    close: () => client.close(),
  };
}
