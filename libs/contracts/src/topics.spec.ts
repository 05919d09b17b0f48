import {
  commonV1,
  encodePayload,
  inputTopicOf,
  pipeline,
  pipelineTopics,
  topicMessages,
  Topics,
} from '@aperture/contracts';

describe('the pipeline of topics', () => {
  it('hands each topic a stage produces to the next stage, in order', () => {
    for (let step = 1; step < pipeline.length; step += 1) {
      const previous = pipeline[step - 1]!;
      expect(previous.produces).toContain(pipeline[step]!.consumes);
    }
    expect(inputTopicOf('quality')).toBe(Topics.imageIngested);
    expect(inputTopicOf('campaigns')).toBe(Topics.imageCurated);
  });

  it('names a protobuf message for every topic, and encodes a payload with it', () => {
    expect(Object.keys(topicMessages).sort()).toEqual(Object.values(Topics).sort());
    const rejected: commonV1.ImageRejected = {
      image: undefined,
      stage: 'quality',
      reasons: [{ code: 'blurry', message: 'too blurry' }],
      rejectedAt: '2026-01-01T00:00:00.000Z',
    };
    expect(commonV1.ImageRejected.decode(encodePayload(Topics.imageRejected, rejected))).toEqual(rejected);
  });

  it('creates every topic and one dead-letter topic per service', () => {
    const names = pipelineTopics().map((topic) => topic.name);
    expect(names).toEqual(expect.arrayContaining([...Object.values(Topics), 'aperture.dlq.campaigns.v1']));
    expect(names).toHaveLength(Object.values(Topics).length + pipeline.length);
  });
});
