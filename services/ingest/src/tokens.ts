import type { BlobStore } from '@aperture/blob-store';
import type { ImageRecords } from '@aperture/persistence';
import type { Logger } from '@aperture/telemetry';
import type { Connection } from 'mongoose';
import type { BatchTallies } from './batches/batch-tallies';
import type { CampaignGate } from './clients/campaigns.client';
import type { QualityAssessor } from './clients/quality.client';
import type { IngestConfig } from './config';

/** What the Nest app is given by bootstrap: connections are made (and closed) outside Nest. */
export interface IngestDeps {
  config: IngestConfig;
  connection: Connection;
  records: ImageRecords;
  /** Batch counts, tallied from the status topic by ingest's consumer. */
  tallies: BatchTallies;
  blobs: BlobStore;
  log: Logger;
  /** The campaigns service (CheckUpload), asked before a campaign upload is stored. */
  campaigns: CampaignGate;
  /** The quality stage's Assess, for uploads that ask for the verdict synchronously. */
  quality: QualityAssessor;
}

export const INGEST_DEPS = Symbol('INGEST_DEPS');
