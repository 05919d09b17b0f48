import { complianceV1 } from '@aperture/contracts';
import { serviceMetadata } from '@aperture/runtime';
import { credentials } from '@grpc/grpc-js';
import { ApiError } from '../errors';

export interface AuditEntryView {
  at: string;
  imageId: string;
  action: string;
  detail: string;
}

/** compliance's audit trail over gRPC (GetAuditTrail, as the service identity naming the tenant), the one place ingest talks to it. */
export class AuditRepository {
  private client: InstanceType<typeof complianceV1.ComplianceServiceClient> | undefined;

  constructor(
    private readonly address: string,
    private readonly serviceToken: string,
  ) {}

  /** The audit entries of one image of the tenant, oldest first. */
  imageTrail(tenantId: string, imageId: string): Promise<AuditEntryView[]> {
    this.client ??= new complianceV1.ComplianceServiceClient(this.address, credentials.createInsecure());
    const client = this.client;
    return new Promise((resolve, reject) =>
      client.getAuditTrail(
        // One image's entries fit one page (a handful per image: its decision, erasure, retention).
        { tenantId, imageId, pageSize: 1000, pageToken: '' },
        serviceMetadata(this.serviceToken),
        { deadline: Date.now() + 5_000 },
        (error, response) =>
          error
            ? reject(
                new ApiError('unavailable', `the audit trail is unavailable (compliance: ${error.details})`),
              )
            : resolve(
                response.entries.map(({ at, imageId: id, action, detail }) => ({
                  at,
                  imageId: id,
                  action,
                  detail,
                })),
              ),
      ),
    );
  }

  close(): void {
    this.client?.close();
    this.client = undefined;
  }
}
