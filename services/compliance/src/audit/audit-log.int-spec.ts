import { ChainVerifier } from '@aperture/audit';
import { connectMongo } from '@aperture/persistence';
import { testInfraEnv, uniqueName } from '@aperture/testing';
import type { Connection } from 'mongoose';
import { AuditLog } from './audit-log';

// The audit chain against the real MongoDB-wire server (FerretDB on PostgreSQL locally), where
// only unique inserts are atomic: two processes appending at once must still make one chain.
describe('AuditLog against the real database', () => {
  const dbName = uniqueName('it_audit').replace(/-/g, '_');
  const commands: string[][] = [[], []];
  let connections: Connection[];

  beforeAll(async () => {
    const uri = testInfraEnv().mongoUri;
    connections = await Promise.all(
      commands.map((seen) =>
        connectMongo({
          uri,
          dbName,
          onCommand: ({ name, collection }) => seen.push(`${name} ${collection}`),
        }),
      ),
    );
  });

  afterAll(async () => {
    await connections[0]?.dropDatabase();
    await Promise.all(connections.map((connection) => connection.close()));
  });

  const decision = (tenantId: string, imageId: string) => ({
    tenantId,
    stage: 'compliance',
    outcome: 'cleared',
    actor: 'service:compliance',
    imageId,
    detail: `decision on ${imageId}`,
  });

  async function readChain(log: AuditLog, tenantId: string) {
    const verifier = new ChainVerifier(tenantId);
    let pageToken = '';
    let page;
    do {
      page = await log.page(tenantId, { pageSize: 7, pageToken });
      verifier.add(page.entries);
      pageToken = page.nextPageToken;
    } while (pageToken);
    return { problems: verifier.finish(page.head), checked: verifier.checked, head: page.head };
  }

  it('appends a keyed decision in four round trips, and a repeated key in one', async () => {
    const log = new AuditLog(connections[0]!);
    expect(await log.append(decision('solo', 'img_0'), 'decision/img_0')).toBe(1);
    const counted: number[] = [];
    for (let i = 1; i <= 5; i += 1) {
      commands[0]!.length = 0;
      expect(await log.append(decision('solo', `img_${i}`), `decision/img_${i}`)).toBe(i + 1);
      counted.push(commands[0]!.length);
    }
    expect(counted).toEqual([4, 4, 4, 4, 4]);
    commands[0]!.length = 0;
    expect(await log.append(decision('solo', 'img_3'), 'decision/img_3')).toBe(4);
    expect(commands[0]).toEqual(['find audit_keys']);
    expect(await readChain(log, 'solo')).toMatchObject({ problems: [], checked: 6, head: { seq: 6 } });
  });

  it('makes one chain without gaps or repeats when two processes append at once, each several at a time', async () => {
    const logs = connections.map((connection) => new AuditLog(connection));
    const perWriter = 24;
    const writer = (log: AuditLog, name: string) =>
      // Three appends in flight per process, as the consumer, the HTTP routes and the sweeps may be.
      Promise.all(
        [0, 1, 2].map(async (lane) => {
          const seqs: number[] = [];
          for (let i = lane; i < perWriter; i += 3) {
            seqs.push(await log.append(decision('busy', `${name}_${i}`), `decision/${name}_${i}`));
          }
          return seqs;
        }),
      ).then((lanes) => lanes.flat());
    const [a, b] = await Promise.all([writer(logs[0]!, 'a'), writer(logs[1]!, 'b')]);
    const seqs = [...a, ...b].sort((x, y) => x - y);
    expect(seqs).toEqual(Array.from({ length: 2 * perWriter }, (_, i) => i + 1));
    const chain = await readChain(logs[0]!, 'busy');
    expect(chain).toMatchObject({ problems: [], checked: 2 * perWriter });
    // The recorded head may trail the chain (it is a hint), never point past it or mismatch it.
    expect(chain.head.seq).toBeLessThanOrEqual(2 * perWriter);
    // A process that did not write the last entries still appends after them.
    expect(await logs[1]!.append(decision('busy', 'late'), 'decision/late')).toBe(2 * perWriter + 1);
    expect(await logs[0]!.append(decision('busy', 'later'), 'decision/later')).toBe(2 * perWriter + 2);
    expect((await readChain(logs[1]!, 'busy')).problems).toEqual([]);
  });
});
