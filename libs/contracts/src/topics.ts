/**
 * The Kafka topics of the pipeline and the payload each carries. Names carry a prefix and a
 * version (DESIGN.md); every message is keyed by image id. A payload change that breaks its
 * contract gets a new topic version together with a new proto package version.
 */
export const Topics = {
  /** ingest → quality: aperture.ingest.v1.ImageIngested */
  imageIngested: 'aperture.image.ingested.v1',
  /** quality → standardize: aperture.quality.v1.ImageQualified */
  imageQualified: 'aperture.image.qualified.v1',
  /** standardize → compliance: aperture.standardize.v1.ImageStandardized */
  imageStandardized: 'aperture.image.standardized.v1',
  /** compliance → annotation-router: aperture.compliance.v1.ImageCleared */
  imageCleared: 'aperture.image.cleared.v1',
  /** annotation-router → downstream ML teams: aperture.curated.v1.ImageCurated */
  imageCurated: 'aperture.image.curated.v1',
  /** quality or compliance → everyone who follows a batch: aperture.common.v1.ImageRejected */
  imageRejected: 'aperture.image.rejected.v1',
  /** compliance → downstream consumers, who delete their copies: aperture.compliance.v1.ImageErased */
  imageErased: 'aperture.image.erased.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

export type ServiceName =
  'ingest' | 'quality' | 'standardize' | 'compliance' | 'annotation-router' | 'campaigns';

/** Where a service puts the messages it cannot process after its retries. */
export function deadLetterTopic(service: ServiceName): string {
  return `aperture.dlq.${service}.v1`;
}

/**
 * Topic settings beyond the broker's defaults: the curated topic keeps the latest record per image,
 * and an erased image's tombstone for 7 days, so that every consumer sees the erasure.
 */
export const topicConfigs: Readonly<Record<string, Record<string, string>>> = {
  [Topics.imageCurated]: { 'cleanup.policy': 'compact', 'delete.retention.ms': '604800000' },
};

/** Every topic the pipeline needs, with partitions sized for the local 2-core machine. */
export function pipelineTopics(
  partitions = 3,
): Array<{ name: string; partitions: number; config?: Record<string, string> }> {
  const services: ServiceName[] = [
    'ingest',
    'quality',
    'standardize',
    'compliance',
    'annotation-router',
    'campaigns',
  ];
  return [...Object.values(Topics), ...services.map(deadLetterTopic)].map((name) => ({
    name,
    partitions,
    ...(topicConfigs[name] && { config: topicConfigs[name] }),
  }));
}
