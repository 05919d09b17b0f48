import { BadRequestException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { status as GrpcStatus } from '@grpc/grpc-js';
import { ApiError } from './api-error';
import { ApiExceptionFilter, redactSecrets, toErrorResponse } from './error-filter';

describe('toErrorResponse', () => {
  it.each([
    [new ApiError('invalid_request', 'bad'), 400, 'invalid_request', GrpcStatus.INVALID_ARGUMENT],
    [ApiError.unauthenticated(), 401, 'unauthenticated', GrpcStatus.UNAUTHENTICATED],
    [ApiError.notFound('batch', 'bat_1'), 404, 'not_found', GrpcStatus.NOT_FOUND],
    [new ApiError('batch_closed', 'closed'), 409, 'batch_closed', GrpcStatus.FAILED_PRECONDITION],
    [new ApiError('conflict', 'taken'), 409, 'conflict', GrpcStatus.ALREADY_EXISTS],
    [new ApiError('too_large', 'big'), 413, 'too_large', GrpcStatus.RESOURCE_EXHAUSTED],
    [
      new ApiError('unsupported_media_type', 'pdf'),
      415,
      'unsupported_media_type',
      GrpcStatus.INVALID_ARGUMENT,
    ],
  ])('maps %s to %i %s (gRPC %i)', (error, status, code, grpcStatus) => {
    expect(toErrorResponse(error)).toEqual({ status, body: { error: { code, message: error.message } } });
    expect(error.grpcStatus).toBe(grpcStatus);
  });

  it('keeps the field a refusal names (the campaigns API)', () => {
    const error = new ApiError('invalid_request', 'state is required');
    error.field = 'state';
    expect(toErrorResponse(error).body).toEqual({
      error: { code: 'invalid_request', message: 'state is required', field: 'state' },
    });
  });

  it('keeps validation details', () => {
    const details = [{ field: 'name', message: 'should not be empty' }];
    expect(toErrorResponse(ApiError.invalid('invalid request body', details)).body).toEqual({
      error: { code: 'invalid_request', message: 'invalid request body', details },
    });
  });

  it("gives Nest's own exceptions the code of their status", () => {
    expect(toErrorResponse(new NotFoundException('Cannot GET /nope'))).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'Cannot GET /nope' } },
    });
    const badJson = toErrorResponse(new BadRequestException('Unexpected token } in JSON at position 9'));
    expect(badJson.status).toBe(400);
    expect(badJson.body.error).toEqual({
      code: 'invalid_request',
      message: 'malformed JSON body (at position 9)',
    });
    // V8's message quotes the body, which may hold a secret: only its position goes back.
    const quoted = toErrorResponse(
      new BadRequestException(`Unexpected token 'a', "apk_secret123" is not valid JSON`),
    );
    expect(quoted.body.error).toEqual({ code: 'invalid_request', message: 'malformed JSON body' });
  });

  it('passes through an answer already in the API shape (readiness)', () => {
    const body = {
      error: { code: 'not_ready', message: 'dependencies unavailable', checks: { kafka: false } },
    };
    expect(toErrorResponse(new ServiceUnavailableException(body))).toEqual({ status: 503, body });
  });

  it("maps body-parser's errors by their status", () => {
    const tooLarge = Object.assign(new Error('request entity too large'), { status: 413, expose: true });
    expect(toErrorResponse(tooLarge)).toEqual({
      status: 413,
      body: { error: { code: 'too_large', message: 'request entity too large' } },
    });
    const overLimit = Object.assign(new Error('request entity too large'), {
      status: 413,
      expose: true,
      type: 'entity.too.large',
      limit: 1024,
    });
    expect(toErrorResponse(overLimit).body.error.message).toBe(
      'the request body is larger than the limit of 1024 bytes',
    );
    const parseFailed = Object.assign(new SyntaxError(`Unexpected token 'x', "x-admin" is not valid JSON`), {
      status: 400,
      expose: true,
      type: 'entity.parse.failed',
    });
    expect(toErrorResponse(parseFailed).body.error).toEqual({
      code: 'invalid_request',
      message: 'malformed JSON body',
    });
  });

  it('names an id in not_found only when it is shaped like one of ours', () => {
    expect(ApiError.notFound('image', 'img_0abc').message).toBe('image "img_0abc" not found');
    expect(ApiError.notFound('image', 'apk_Secret-Key_123').message).toBe('image not found');
    expect(ApiError.notFound('image', '../../etc/passwd').message).toBe('image not found');
  });

  it('answers rate_limited as 429 (gRPC RESOURCE_EXHAUSTED) with the seconds to wait', () => {
    const limited = ApiError.rateLimited(3);
    expect([limited.httpStatus, limited.grpcStatus, limited.retryAfterSeconds]).toEqual([
      429,
      GrpcStatus.RESOURCE_EXHAUSTED,
      3,
    ]);
  });
});

describe('redactSecrets', () => {
  it('takes API keys and the given secrets out of messages and details', () => {
    const body = {
      error: {
        code: 'invalid_request',
        message: 'bad apk_AbC-12_xyz near the-admin-token-1',
        details: [{ field: 'the-admin-token-1', message: 'apk_zzzzzz is wrong' }],
      },
    };
    expect(redactSecrets(body, ['the-admin-token-1'])).toEqual({
      error: {
        code: 'invalid_request',
        message: 'bad apk_[redacted] near [redacted]',
        details: [{ field: '[redacted]', message: 'apk_[redacted] is wrong' }],
      },
    });
  });

  it('hides the message of an unexpected error', () => {
    expect(toErrorResponse(new Error('connection string mongodb://secret'))).toEqual({
      status: 500,
      body: { error: { code: 'internal', message: 'internal error' } },
    });
  });
});

describe('ApiExceptionFilter', () => {
  it('writes the status and the JSON body, and logs only server errors', () => {
    const logged: unknown[] = [];
    const log = { error: (...args: unknown[]) => logged.push(args) };
    const filter = new ApiExceptionFilter(log as never, ['admin-secret-1']);
    const sent: { status?: number; body?: unknown; headers: Record<string, string> } = { headers: {} };
    const response = {
      headersSent: false,
      setHeader(name: string, value: string) {
        sent.headers[name] = value;
      },
      status(code: number) {
        sent.status = code;
        return this;
      },
      json(body: unknown) {
        sent.body = body;
        return this;
      },
    };
    const host = { switchToHttp: () => ({ getResponse: () => response }) };
    filter.catch(ApiError.notFound('image', 'img_1'), host as never);
    expect(sent).toEqual({
      status: 404,
      body: { error: { code: 'not_found', message: 'image "img_1" not found' } },
      headers: {},
    });
    expect(logged).toHaveLength(0);
    filter.catch(new Error('boom admin-secret-1'), host as never);
    expect(sent.status).toBe(500);
    expect(JSON.stringify(sent.body)).not.toMatch(/admin-secret|boom|at /);
    expect(logged).toHaveLength(1);
    filter.catch(ApiError.rateLimited(7), host as never);
    expect(sent).toMatchObject({ status: 429, headers: { 'Retry-After': '7' } });
    filter.catch(ApiError.invalid('admin-secret-1 is not a name'), host as never);
    expect(sent.body).toEqual({ error: { code: 'invalid_request', message: '[redacted] is not a name' } });
  });
});
