import { ImageRejected, ImageStatusChanged } from './gen/aperture/common/v1/common';
import { ImageCleared, ImageErased } from './gen/aperture/compliance/v1/compliance';
import { ImageCurated } from './gen/aperture/curated/v1/curated';
import { ImageIngested } from './gen/aperture/ingest/v1/ingest';
import { ImageQualified } from './gen/aperture/quality/v1/quality';
import { ImageStandardized } from './gen/aperture/standardize/v1/standardize';

/**
 * The Kafka topics of the pipeline (the payload each carries: `topicMessages`). Names carry a prefix and a
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
  /**
   * every record write that moves an image (ingest's upload, each stage, an erasure) → ingest's batch
   * tallies: aperture.common.v1.ImageStatusChanged
   */
  imageStatus: 'aperture.image.status.v1',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

/** The protobuf message each topic carries: the one place a topic's payload type is chosen. */
export interface TopicPayloads {
  [Topics.imageIngested]: ImageIngested;
  [Topics.imageQualified]: ImageQualified;
  [Topics.imageStandardized]: ImageStandardized;
  [Topics.imageCleared]: ImageCleared;
  [Topics.imageCurated]: ImageCurated;
  [Topics.imageRejected]: ImageRejected;
  [Topics.imageErased]: ImageErased;
  [Topics.imageStatus]: ImageStatusChanged;
}

/** The decoded payload of a topic's messages. */
export type PayloadOf<T extends TopicName> = TopicPayloads[T];

/** How a payload is written and read: a ts-proto message's functions. */
export interface MessageCodec<T> {
  encode(message: T): { finish(): Uint8Array };
  decode(input: Uint8Array): T;
}

/** Each topic's protobuf message: stages decode and encode through it. */
export const topicMessages: { readonly [T in TopicName]: MessageCodec<TopicPayloads[T]> } = {
  [Topics.imageIngested]: ImageIngested,
  [Topics.imageQualified]: ImageQualified,
  [Topics.imageStandardized]: ImageStandardized,
  [Topics.imageCleared]: ImageCleared,
  [Topics.imageCurated]: ImageCurated,
  [Topics.imageRejected]: ImageRejected,
  [Topics.imageErased]: ImageErased,
  [Topics.imageStatus]: ImageStatusChanged,
};

/** A payload encoded with its topic's protobuf message. */
export function encodePayload<T extends TopicName>(topic: T, payload: PayloadOf<T>): Uint8Array {
  return (topicMessages[topic] as MessageCodec<PayloadOf<T>>).encode(payload).finish();
}

/**
 * The pipeline in order: each service, the topic it consumes and the topics it produces. Every
 * image goes down this list; a rejection leaves it at the stage that rejected it.
 */
export const pipeline = [
  { service: 'ingest', consumes: null, produces: [Topics.imageIngested] },
  {
    service: 'quality',
    consumes: Topics.imageIngested,
    produces: [Topics.imageQualified, Topics.imageRejected],
  },
  {
    service: 'standardize',
    consumes: Topics.imageQualified,
    produces: [Topics.imageStandardized, Topics.imageRejected],
  },
  {
    service: 'compliance',
    consumes: Topics.imageStandardized,
    produces: [Topics.imageCleared, Topics.imageRejected, Topics.imageErased],
  },
  {
    service: 'annotation-router',
    consumes: Topics.imageCleared,
    produces: [Topics.imageCurated, Topics.imageRejected],
  },
  { service: 'campaigns', consumes: Topics.imageCurated, produces: [] },
] as const;

export type ServiceName = (typeof pipeline)[number]['service'];

/** The topic a service consumes, as the pipeline says. */
export type InputTopicOf<S extends ServiceName> = NonNullable<
  Extract<(typeof pipeline)[number], { service: S }>['consumes']
>;

/** The topic `service` consumes (null for ingest, the front door). */
export function inputTopicOf<S extends ServiceName>(service: S): InputTopicOf<S> {
  return pipeline.find((step) => step.service === service)!.consumes as InputTopicOf<S>;
}

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
  return [...Object.values(Topics), ...pipeline.map((step) => deadLetterTopic(step.service))].map((name) => ({
    name,
    partitions,
    ...(topicConfigs[name] && { config: topicConfigs[name] }),
  }));
}
