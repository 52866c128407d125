/**
 * Progress for the CLI's audit export and verify: a bar on stderr when a person is watching (a
 * TTY), nothing otherwise, so that results on stdout stay clean for pipes and scripts.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  /** Sets the current value (and the total, when it becomes known). */
  update(value: number, total?: number): void;
  stop(): void;
}

const SILENT: Progress = { update: () => {}, stop: () => {} };

export interface ProgressOptions {
  /** Unit shown after the numbers, e.g. "events" or "MB". */
  unit?: string;
  stream?: NodeJS.WriteStream;
}

export function createProgress(label: string, total: number | null, opts: ProgressOptions = {}): Progress {
  const stream = opts.stream ?? process.stderr;
  if (!stream.isTTY) return SILENT;
  const unit = opts.unit ?? '';
  const bar = new cliProgress.SingleBar(
    {
      stream,
      format:
        total === null
          ? `${label} {value} ${unit} | {duration_formatted}`
          : `${label} [{bar}] {percentage}% | {value}/{total} ${unit} | eta {eta_formatted}`,
      hideCursor: true,
      clearOnComplete: false,
      fps: 10, // redraws are throttled, so callers may update as often as they like
    },
    cliProgress.Presets.shades_classic,
  );
  bar.start(total ?? 0, 0);
  return {
    update(value, newTotal) {
      if (newTotal !== undefined && newTotal !== total) bar.setTotal(newTotal);
      bar.update(value);
    },
    stop() {
      bar.stop();
    },
  };
}
