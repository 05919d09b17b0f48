import { qualityV1 } from '@aperture/contracts';
import { serviceMetadata } from '@aperture/runtime';
import * as grpc from '@grpc/grpc-js';

/** The quality stage's verdict on demand, for an upload that asks for it synchronously. */
export interface QualityAssessor {
  assess(request: qualityV1.AssessRequest): Promise<qualityV1.AssessResponse>;
  close(): void;
}

/** A verdict later than this is not worth waiting for: the upload answers without it. */
const ASSESS_DEADLINE_MS = 10_000;

/** QualityService.Assess over gRPC (services/quality), one channel per process, as the service identity. */
export function grpcQualityAssessor(address: string, serviceToken: string): QualityAssessor {
  const client = new qualityV1.QualityServiceClient(address, grpc.credentials.createInsecure(), {
    // A 12 MP JPEG is ~5 MB; grpc-js refuses messages above 4 MiB by default.
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  return {
    assess: (request) =>
      new Promise((resolve, reject) => {
        client.assess(
          request,
          serviceMetadata(serviceToken),
          { deadline: new Date(Date.now() + ASSESS_DEADLINE_MS) },
          (error, response) => (error ? reject(error) : resolve(response)),
        );
      }),
    close: () => client.close(),
  };
}
