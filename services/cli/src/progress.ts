// Progress of an upload on stderr: a live bar on a terminal, plain lines otherwise (CI logs, files).
import { MultiBar } from 'cli-progress';

import type { Batch } from './api-client';
import type { LocalFile } from './files';
import { describeRefusal, formatBytes, formatRate } from './format';
import type { Clock, Refusal, UploadProgress } from './upload';

export interface TextStream {
  write(text: string): unknown;
}

/** Shared bookkeeping: files and bytes done, and the rate since the first file started. */
class Tally {
  files = 0;
  bytes = 0;
  totalFiles = 0;
  totalBytes = 0;
  startedAt = 0;

  constructor(private readonly clock: Pick<Clock, 'now'>) {}

  start(totalFiles: number, totalBytes: number): void {
    this.totalFiles = totalFiles;
    this.totalBytes = totalBytes;
    this.startedAt = this.clock.now();
  }

  add(file: LocalFile): void {
    this.files++;
    this.bytes += file.size;
  }

  get rate(): string {
    return formatRate(this.bytes, this.clock.now() - this.startedAt);
  }

  get bytesText(): string {
    return `${formatBytes(this.bytes)}/${formatBytes(this.totalBytes)}`;
  }
}

function pollText(batch: Batch): string {
  const c = batch.counts;
  return (
    `batch ${batch.batchId} ${batch.state}: ${c.curated} curated, ${c.rejected} rejected, ` +
    `${c.pendingAnnotation} pending annotation, ${c.processing} processing`
  );
}

/** One line per step, per refused file, and at most one progress line per interval. */
export class LineProgress implements UploadProgress {
  private readonly tally: Tally;
  private lastLineAt = Number.NEGATIVE_INFINITY;
  private lastPoll = '';

  constructor(
    private readonly out: TextStream,
    private readonly clock: Pick<Clock, 'now'> = { now: () => Date.now() },
    private readonly intervalMs = 1000,
  ) {
    this.tally = new Tally(clock);
  }

  note(message: string): void {
    this.out.write(`${message}\n`);
  }

  start(totalFiles: number, totalBytes: number): void {
    this.tally.start(totalFiles, totalBytes);
    this.out.write(`uploading ${totalFiles} files (${formatBytes(totalBytes)})\n`);
  }

  fileDone(file: LocalFile, refusal?: Refusal): void {
    this.tally.add(file);
    if (refusal) this.out.write(`refused ${file.path}: ${describeRefusal(refusal)}\n`);
    const now = this.clock.now();
    const last = this.tally.files === this.tally.totalFiles;
    if (last || now - this.lastLineAt >= this.intervalMs) {
      this.lastLineAt = now;
      const { files, totalFiles } = this.tally;
      this.out.write(`uploaded ${files}/${totalFiles} files, ${this.tally.bytesText}, ${this.tally.rate}\n`);
    }
  }

  stop(): void {}

  polled(batch: Batch): void {
    const text = pollText(batch);
    if (text !== this.lastPoll) this.out.write(`${text}\n`);
    this.lastPoll = text;
  }
}

/** A bar redrawn in place: files done/total, bytes, rate, ETA; refusals are logged above it. */
export class BarProgress implements UploadProgress {
  private readonly tally = new Tally({ now: () => Date.now() });
  private readonly multi: MultiBar;
  private bar: ReturnType<MultiBar['create']> | undefined;
  private stopped = false;
  private lastPoll = '';

  constructor(private readonly out: NodeJS.WritableStream) {
    this.multi = new MultiBar({
      stream: out,
      format: ' {bar} {value}/{total} files | {bytes} | {rate} | ETA {eta_formatted}',
      barsize: 30,
      hideCursor: true,
      clearOnComplete: false,
      etaBuffer: 50,
    });
  }

  note(message: string): void {
    // While the bar is drawn, a plain write would be overdrawn: log it above the bar instead.
    if (this.bar && !this.stopped) this.multi.log(`${message}\n`);
    else this.out.write(`${message}\n`);
  }

  start(totalFiles: number, totalBytes: number): void {
    this.tally.start(totalFiles, totalBytes);
    this.bar = this.multi.create(totalFiles, 0, this.payload());
    process.once('SIGINT', this.onSignal);
    process.once('SIGTERM', this.onSignal);
  }

  /** Ctrl-C while the bar is drawn: give the terminal its cursor and line wrapping back, then die of it. */
  private readonly onSignal = (signal: NodeJS.Signals): void => {
    this.multi.stop();
    process.kill(process.pid, signal);
  };

  fileDone(file: LocalFile, refusal?: Refusal): void {
    this.tally.add(file);
    if (refusal) this.multi.log(`refused ${file.path}: ${describeRefusal(refusal)}\n`);
    this.bar?.update(this.tally.files, this.payload());
  }

  stop(): void {
    this.bar?.update(this.tally.files, this.payload());
    this.multi.update(); // flushes lines logged since the last redraw; stop() alone would drop them
    this.multi.stop();
    this.stopped = true;
    process.removeListener('SIGINT', this.onSignal);
    process.removeListener('SIGTERM', this.onSignal);
  }

  polled(batch: Batch): void {
    const text = pollText(batch);
    if (text !== this.lastPoll) this.out.write(`${text}\n`);
    this.lastPoll = text;
  }

  private payload(): { bytes: string; rate: string } {
    return { bytes: this.tally.bytesText, rate: this.tally.rate };
  }
}
