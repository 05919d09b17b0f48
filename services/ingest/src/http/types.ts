import type { IncomingMessage, ServerResponse } from 'node:http';

// The few parts of Express's request and response used here (@types/express is not installed).

export type HttpRequest = IncomingMessage;

export interface HttpResponse extends ServerResponse {
  status(code: number): this;
  json(body: unknown): this;
}
