import * as grpc from '@grpc/grpc-js';
import { ApiError } from './api-error';
import { grpcStatusOf, unary } from './grpc-unary';

const logged: unknown[] = [];
const log = { error: (...args: unknown[]) => void logged.push(args) };

function call<Res>(handler: grpc.handleUnaryCall<{ n: number }, Res>, n: number) {
  return new Promise<{ error: grpc.ServiceError | null; response?: Res | null }>((resolve) =>
    handler({ request: { n } } as grpc.ServerUnaryCall<{ n: number }, Res>, (error, response) =>
      resolve(
        response === undefined ? { error: error as grpc.ServiceError | null } : { error: null, response },
      ),
    ),
  );
}

describe('unary', () => {
  beforeEach(() => (logged.length = 0));

  const handler = unary<{ n: number }, { double: number }>(log, 'Double', async ({ request }) => {
    if (request.n < 0) throw ApiError.invalid('n must not be negative', [{ field: 'n', message: 'is -1' }]);
    if (request.n === 0) throw new Error('database password in this message');
    return { double: request.n * 2 };
  });

  it('answers the value of the work', async () => {
    await expect(call(handler, 2)).resolves.toEqual({ error: null, response: { double: 4 } });
  });

  it('answers an ApiError with the status of its code and its details', async () => {
    const { error } = await call(handler, -1);
    expect(error).toMatchObject({
      code: grpc.status.INVALID_ARGUMENT,
      details: 'n must not be negative: n is -1',
    });
    expect(logged).toHaveLength(0);
  });

  it('answers anything else INTERNAL, logged, its message kept out', async () => {
    const { error } = await call(handler, 0);
    expect(error).toMatchObject({ code: grpc.status.INTERNAL, details: 'internal error' });
    expect(logged).toHaveLength(1);
  });

  it('catches a synchronous throw too', async () => {
    const throwing = unary<{ n: number }, object>(log, 'Sync', () => {
      throw new ApiError('not_found', 'nothing');
    });
    await expect(call(throwing, 1)).resolves.toMatchObject({ error: { code: grpc.status.NOT_FOUND } });
  });
});

describe('grpcStatusOf', () => {
  it('names a campaign or collector refusal by its code', () => {
    expect(grpcStatusOf(new ApiError('campaign_cell_full', 'the cell is full'), log, 'M')).toMatchObject({
      code: grpc.status.FAILED_PRECONDITION,
      details: 'campaign_cell_full: the cell is full',
    });
    expect(grpcStatusOf(new ApiError('conflict', 'exists'), log, 'M')).toMatchObject({
      code: grpc.status.ALREADY_EXISTS,
      details: 'exists',
    });
  });
});
