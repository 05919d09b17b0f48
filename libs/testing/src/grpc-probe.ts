import * as grpc from '@grpc/grpc-js';

/** A client interceptor that adds these headers to the metadata of every call (a test's credential). */
export function withHeaders(headers: Record<string, string>): grpc.Interceptor {
  return (options, nextCall) =>
    new grpc.InterceptingCall(nextCall(options), {
      start: (metadata, listener, next) => {
        for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
        next(metadata, listener);
      },
    });
}

/** What one call answered: its status and the messages received before it ended. */
export interface GrpcAnswer {
  code: grpc.status;
  details: string;
  messages: unknown[];
}

/**
 * Calls one method of any service by its definition (unary or server stream; a client stream is
 * sent the one request), with exactly the given headers, and reports how it ended. A stream is
 * cancelled after its first message: enough to see whether it answered at all.
 */
export function callGrpc(
  definition: grpc.ServiceDefinition,
  address: string,
  method: string,
  request: unknown,
  headers: Record<string, string>,
): Promise<GrpcAnswer> {
  const spec = definition[method];
  if (!spec) throw new Error(`no method ${method}`);
  const client = new grpc.Client(address, grpc.credentials.createInsecure(), {
    'grpc.max_send_message_length': 64 * 1024 * 1024,
  });
  const metadata = new grpc.Metadata();
  for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
  const deadline = Date.now() + 20_000;
  const done = (answer: GrpcAnswer) => {
    client.close();
    return answer;
  };
  return new Promise<GrpcAnswer>((resolve) => {
    const messages: unknown[] = [];
    const finish = (error: grpc.ServiceError | null) =>
      resolve(done({ code: error?.code ?? grpc.status.OK, details: error?.details ?? '', messages }));
    const callback = (error: grpc.ServiceError | null, response?: unknown) => {
      if (response !== undefined) messages.push(response);
      finish(error);
    };
    if (!spec.responseStream && !spec.requestStream) {
      client.makeUnaryRequest(
        spec.path,
        spec.requestSerialize,
        spec.responseDeserialize,
        request,
        metadata,
        { deadline },
        callback,
      );
    } else if (spec.requestStream && !spec.responseStream) {
      const call = client.makeClientStreamRequest(
        spec.path,
        spec.requestSerialize,
        spec.responseDeserialize,
        metadata,
        { deadline },
        callback,
      );
      call.write(request);
      call.end();
    } else {
      const call = client.makeServerStreamRequest(
        spec.path,
        spec.requestSerialize,
        spec.responseDeserialize,
        request,
        metadata,
        { deadline },
      );
      let ended = false;
      call.on('data', (message: unknown) => {
        messages.push(message);
        if (!ended) {
          ended = true;
          call.cancel();
        }
      });
      call.on('error', (error: grpc.ServiceError) =>
        finish(error.code === grpc.status.CANCELLED && messages.length > 0 ? null : error),
      );
      call.on('end', () => finish(null));
    }
  });
}

export interface IsolationProbe {
  /** A request naming the OTHER tenant's ids (and, where the request has one, its tenant_id). */
  request: unknown;
  /** The attacker's own, valid credential (another tenant's API key, annotator token, ...). */
  headers: Record<string, string>;
  /** For an answer that succeeded: true when it reveals nothing of the other tenant (e.g. an empty lease). */
  empty?: (messages: unknown[]) => boolean;
}

/** Per method: what the probe saw, for one `expect(...).toEqual(...)` over the whole service. */
export interface IsolationVerdict {
  withoutCredential: string;
  withWrongServiceToken: string;
  asAnotherTenant: string;
}

const statusName = (code: grpc.status) => grpc.status[code] ?? String(code);

/**
 * The tenant-isolation probe REST passes, against EVERY method of a gRPC service: no credential
 * and a forged service token must be UNAUTHENTICATED; another tenant's valid credential with the
 * victim's ids must be NOT_FOUND, PERMISSION_DENIED or an answer `empty` says reveals nothing. A method of the
 * definition without a probe fails ('no probe'), so a new method cannot go unprobed.
 */
export async function probeTenantIsolation(
  definition: grpc.ServiceDefinition,
  address: string,
  probes: Record<string, IsolationProbe>,
): Promise<Record<string, IsolationVerdict>> {
  const verdicts: Record<string, IsolationVerdict> = {};
  for (const method of Object.keys(definition)) {
    const probe = probes[method];
    if (!probe) {
      verdicts[method] = {
        withoutCredential: 'no probe',
        withWrongServiceToken: 'no probe',
        asAnotherTenant: 'no probe',
      };
      continue;
    }
    const bare = await callGrpc(definition, address, method, probe.request, {});
    const forged = await callGrpc(definition, address, method, probe.request, {
      'x-service-token': 'forged-forged-forged-forged-forged-forged',
    });
    const foreign = await callGrpc(definition, address, method, probe.request, probe.headers);
    verdicts[method] = {
      withoutCredential: statusName(bare.code),
      withWrongServiceToken: statusName(forged.code),
      asAnotherTenant:
        foreign.code === grpc.status.NOT_FOUND ||
        foreign.code === grpc.status.PERMISSION_DENIED ||
        (foreign.code === grpc.status.OK && probe.empty?.(foreign.messages) === true)
          ? 'ISOLATED'
          : `${statusName(foreign.code)}: ${foreign.details} ${JSON.stringify(foreign.messages).slice(0, 300)}`,
    };
  }
  return verdicts;
}

/**
 * What every method's verdict must be (the expectation of `probeTenantIsolation`'s result):
 * ISOLATED is NOT_FOUND, PERMISSION_DENIED (a method the credential may not call) or an empty answer.
 */
export function isolated(definition: grpc.ServiceDefinition): Record<string, IsolationVerdict> {
  return Object.fromEntries(
    Object.keys(definition).map((method) => [
      method,
      {
        withoutCredential: 'UNAUTHENTICATED',
        withWrongServiceToken: 'UNAUTHENTICATED',
        asAnotherTenant: 'ISOLATED',
      },
    ]),
  );
}
