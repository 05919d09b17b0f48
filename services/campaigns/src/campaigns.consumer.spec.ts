import type { ConsumedMessage } from '@aperture/messaging';
import type { StageContext } from '@aperture/stage-runtime';
import { handleCurated } from './campaigns.consumer';
import type { CampaignStore } from './campaigns.store';

describe('the curated-topic handler', () => {
  it('skips a tombstone (an erased image) instead of failing and dead-lettering it', async () => {
    const untouched = new Proxy(
      {},
      {
        get: () => {
          throw new Error('the tombstone reached the store');
        },
      },
    );
    const tombstone = {
      topic: 'aperture.image.curated.v1',
      key: 'img_1',
      value: null,
    } as unknown as ConsumedMessage;
    await expect(
      handleCurated(tombstone, untouched as StageContext & { store: CampaignStore }),
    ).resolves.toBe('skipped');
  });
});
