/** The time, injectable so tests can move it (assignment expiry, deadlines, webhook staleness). */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };
