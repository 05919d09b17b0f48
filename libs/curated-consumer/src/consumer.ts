import { Topics } from '@aperture/contracts';
import { type Consumer, Kafka, logLevel } from 'kafkajs';
import { type CuratedImage, decodeCurated } from './curated-image';

export interface CuratedConsumerOptions {
  brokers: string[];
  /** Your team's consumer group: Kafka remembers how far it has read. */
  groupId: string;
  clientId?: string;
  /** Read the topic from its start (the compacted topic holds the latest record of every image). */
  fromBeginning?: boolean;
  /** Only these projects (all when empty). */
  projectIds?: string[];
  /** Default aperture.image.curated.v1. */
  topic?: string;
}

/** What to do with each curated image; a throw stops the consumer before the offset is committed. */
export type CuratedHandler = (image: CuratedImage) => Promise<void>;

/**
 * What to do when an image was erased (a person's erasure request, a revoked consent): delete your
 * copies of it. Called for the tombstone (null value) the topic carries for the image's key; a
 * tombstone has no project, so it comes whatever `projectIds` says.
 */
export type ErasedHandler = (imageId: string) => Promise<void>;

/**
 * Reads the curated topic at least once: a handler that finishes commits the message; after a crash
 * the uncommitted ones come again, so make the handler idempotent (key your writes by imageId).
 * A message that is not a curated record is reported to `onInvalid` and skipped.
 */
export class CuratedConsumer {
  private readonly consumer: Consumer;

  constructor(private readonly options: CuratedConsumerOptions) {
    const kafka = new Kafka({
      clientId: options.clientId ?? 'aperture-curated-consumer',
      brokers: options.brokers,
      logLevel: logLevel.NOTHING,
    });
    this.consumer = kafka.consumer({ groupId: options.groupId });
  }

  async run(
    handler: CuratedHandler,
    onInvalid: (error: Error, offset: string) => void = () => undefined,
    onErased: ErasedHandler = () => Promise.resolve(),
  ): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({
      topic: this.options.topic ?? Topics.imageCurated,
      fromBeginning: this.options.fromBeginning ?? false,
    });
    const projects = new Set(this.options.projectIds ?? []);
    await this.consumer.run({
      eachMessage: async ({ message }) => {
        if (!message.value) {
          // A tombstone: the image was erased, and so must every copy of it be.
          const imageId = message.key?.toString();
          if (imageId) await onErased(imageId);
          return;
        }
        let image: CuratedImage;
        try {
          image = decodeCurated(message.value);
        } catch (error) {
          onInvalid(error as Error, message.offset);
          return;
        }
        if (projects.size > 0 && !projects.has(image.projectId)) return;
        await handler(image);
      },
    });
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
  }
}
