/**
 * Keeps a service's process alive through an error nothing handled: an 'error' event without a
 * listener (a stream of a request gone wrong) or a rejected promise nobody awaited is logged with
 * its stack and the process goes on serving. Such an error belongs to one request or one message;
 * ending the process for it would let any client that can provoke one take the service down.
 * What did fail is still failed (that request gets no answer, a message is redelivered), and a
 * process that does die is restarted by its supervisor (Kubernetes, scripts/start).
 */
export function keepProcessAlive(log: (message: string, error: unknown) => void): void {
  process.on('uncaughtException', (error, origin) => log(`unhandled error (${origin}): kept running`, error));
  process.on('unhandledRejection', (reason) => log('unhandled promise rejection: kept running', reason));
}
