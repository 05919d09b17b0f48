import { topicMessages, Topics } from '@aperture/contracts';
import { bucketsOf } from '@aperture/diversity';
import { type CameraFacts, readCamera } from '@aperture/imaging';
import type { ConsumedMessage, HandlerOutcome } from '@aperture/messaging';
import { decodeEvent, type StageContext } from '@aperture/stage-runtime';
import type { CampaignStore } from './campaigns.store';
import { cellsToCount, deviceOf, type ImageFacts, orientationOf, timeOfDayOf } from './domain/cells';
import type { CampaignDoc, CollectorDoc } from './models';

/**
 * Counts a curated campaign image into the cells it fills. Only the curated topic is read, so
 * only curated images count. The measured facts come from the record itself (the upright size and
 * the median brightness the quality stage measured) and from the raw upload's EXIF (camera make,
 * model and capture hour; nothing else is read). Idempotent per image id: a redelivery is
 * 'duplicate'. Images of no campaign, or of a campaign this tenant does not have, are 'skipped'.
 */
export async function handleCurated(
  message: ConsumedMessage,
  ctx: StageContext & { store: CampaignStore },
): Promise<HandlerOutcome> {
  // A tombstone (null value) on the compacted curated topic is an erased image's record going
  // away, not a new curated image: nothing to count. (Its count stays: it was collected and
  // curated; the per-cell progress is of what was delivered.)
  if (!message.value) return 'skipped';
  const { store } = ctx;
  const curated = decodeEvent(message.value, topicMessages[Topics.imageCurated]);
  const { image } = curated;
  const upload = image.campaign;
  if (!upload?.campaignId) return 'skipped';
  if (await store.isCounted(image.imageId)) return 'duplicate';
  // The event must be the record's: same tenant, same campaign and collector, and curated (the
  // annotation-router writes the status and this event in one update). A forged or misrouted event
  // is left uncounted, with a log line, like the stages' tenant check.
  const record = await ctx.pipeline.records.get(image.imageId);
  if (
    !record ||
    record.tenantId !== image.tenantId ||
    record.status !== 'curated' ||
    record.campaign?.campaignId !== upload.campaignId ||
    record.campaign.collectorId !== upload.collectorId
  ) {
    ctx.log.error(
      {
        imageId: image.imageId,
        campaignId: upload.campaignId,
        reason: 'record_mismatch',
        recordStatus: record?.status,
      },
      "a curated campaign event that is not its image record's; not counted",
    );
    return 'skipped';
  }
  const campaign = await store.models.campaigns
    .findOne({ _id: upload.campaignId, tenantId: image.tenantId })
    .lean<CampaignDoc>()
    .exec();
  if (!campaign) {
    ctx.log.warn(
      { imageId: image.imageId, campaignId: upload.campaignId },
      'curated image of an unknown campaign; skipped',
    );
    return 'skipped';
  }
  const collector = await store.models.collectors
    .findOne({ _id: upload.collectorId, tenantId: image.tenantId })
    .lean<CollectorDoc>()
    .exec();
  const camera: CameraFacts = image.raw?.key
    ? await readCamera(ctx.blobs.open(image.raw.key)).catch(() => ({}))
    : {};
  const quality = curated.quality;
  const facts: Required<ImageFacts> = {
    category: upload.category,
    region: image.declarations?.region || collector?.region || '',
    setting: upload.setting,
    tags: upload.tags,
    timeOfDay: timeOfDayOf(camera.captureHour, quality?.metrics ? quality.metrics.brightnessP50 : undefined),
    device: deviceOf(camera.make, camera.model),
    orientation: orientationOf(quality?.width || curated.width, quality?.height || curated.height),
    // What compliance measured the image to show, one bucket per axis; none for an image cleared
    // before content descriptors existed (it then matches only cells that ask for no content).
    content: curated.compliance?.content ? Object.values(bucketsOf(curated.compliance.content)) : [],
  };
  const counts = await store.counts(campaign._id);
  const cellIds = cellsToCount(campaign.cells, counts.cells, facts);
  const annotators = curated.annotation?.annotators ?? [];
  const outcome = await store.count({
    _id: image.imageId,
    tenantId: image.tenantId,
    campaignId: campaign._id,
    collectorId: upload.collectorId,
    cellIds,
    surplus: cellIds.length === 0,
    facts,
    agreement: annotators.length > 1 ? (curated.annotation?.agreement ?? null) : null,
    countedAt: store.clock.now(),
  });
  ctx.log.info(
    { imageId: image.imageId, campaignId: campaign._id, cellIds, facts, outcome },
    'campaign image counted',
  );
  return outcome;
}
