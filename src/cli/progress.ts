/**
 * Progress reporting on stderr: a live bar redrawn in place on a terminal, plain
 * periodic lines elsewhere (CI logs, pipes), or nothing.
 *
 * The formatting is pure ({@link formatProgress}); {@link createProgress} only decides
 * when to write and how (carriage return vs newline).
 *
 * @example
 * ```ts
 * const p = createProgress({ label: 'meta-train', total: 500, stream: process.stderr });
 * for (let i = 1; i <= 500; i++) p.update(i, { loss: 0.1 });
 * p.finish();
 * ```
 */

/** Where progress goes: anything with `write`; `isTTY`/`columns` as on `process.stderr`. */
export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

/** `'auto'` picks `'bar'` on a TTY, `'lines'` otherwise. */
export type ProgressMode = 'auto' | 'bar' | 'lines' | 'none';

export interface ProgressOptions {
  readonly label: string;
  readonly total: number;
  readonly stream: ProgressStream;
  readonly mode?: ProgressMode;
  /** Lines mode: also print when this many ms passed since the last line. Default 10 000. */
  readonly intervalMs?: number;
  /** Lines mode: print every time this fraction of the total is crossed. Default 0.1. */
  readonly fraction?: number;
  /** Bar mode: minimum ms between redraws. Default 100. */
  readonly redrawMs?: number;
  /** Clock in ms (injectable for tests). Default `performance.now`. */
  readonly now?: () => number;
}

/** A snapshot to format. */
export interface ProgressState {
  readonly label: string;
  readonly done: number;
  readonly total: number;
  readonly elapsedSeconds: number;
  readonly metrics: Readonly<Record<string, number>>;
}

export interface Progress {
  /** Reports that `done` of `total` units are complete, with the latest metrics. */
  update(done: number, metrics?: Readonly<Record<string, number>>): void;
  /** A message on its own line (clears the bar first on a TTY). */
  log(message: string): void;
  /** Writes the final state and ends the bar's line. */
  finish(note?: string): void;
}

/** `75` → `'1:15'`, `3725` → `'1:02:05'`, non-finite → `'--:--'`. */
export function formatDuration(seconds: number): string {
  if (!Number.isFinite(seconds) || seconds < 0) return '--:--';
  const s = Math.round(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const sec = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${sec}` : `${m}:${sec}`;
}

/** A metric value in at most ~5 significant characters: `0.1234`, `12.35`, `1.2e-5`. */
export function formatNumber(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  const a = Math.abs(x);
  if (a !== 0 && (a < 1e-3 || a >= 1e5)) return x.toExponential(2);
  return a >= 100 ? x.toFixed(1) : x.toPrecision(4);
}

/** Iterations per second, ETA and metrics of a snapshot, e.g. `12/50 3.1 it/s ETA 0:12 loss=0.42`. */
export function formatStats(s: ProgressState): string {
  const rate = s.elapsedSeconds > 0 ? s.done / s.elapsedSeconds : 0;
  const eta = rate > 0 ? (s.total - s.done) / rate : Infinity;
  const metrics = Object.entries(s.metrics).map(([k, v]) => `${k}=${formatNumber(v)}`);
  const rateText = rate >= 1 || rate === 0 ? `${rate.toFixed(1)} it/s` : `${(1 / rate).toFixed(1)} s/it`;
  return [`${s.done}/${s.total}`, rateText, `elapsed ${formatDuration(s.elapsedSeconds)}`, `ETA ${formatDuration(eta)}`, ...metrics].join(' ');
}

/**
 * One progress line. With `barWidth > 0`, includes a bar `[#####-----]` of that many
 * cells and the percentage.
 */
export function formatProgress(s: ProgressState, barWidth = 0): string {
  const fraction = s.total > 0 ? Math.min(1, s.done / s.total) : 1;
  const pct = `${Math.floor(fraction * 100)}%`.padStart(4);
  if (barWidth <= 0) return `${s.label} ${pct} ${formatStats(s)}`;
  const filled = Math.round(fraction * barWidth);
  return `${s.label} [${'#'.repeat(filled)}${'-'.repeat(barWidth - filled)}] ${pct} ${formatStats(s)}`;
}

/** The mode `'auto'` resolves to for a stream. */
export function resolveMode(mode: ProgressMode, stream: ProgressStream): Exclude<ProgressMode, 'auto'> {
  if (mode !== 'auto') return mode;
  return stream.isTTY === true ? 'bar' : 'lines';
}

/** Creates a progress reporter; see the module comment. */
export function createProgress(options: ProgressOptions): Progress {
  const { label, total, stream } = options;
  const mode = resolveMode(options.mode ?? 'auto', stream);
  const now = options.now ?? (() => performance.now());
  const intervalMs = options.intervalMs ?? 10_000;
  const step = Math.max(1, Math.floor(total * (options.fraction ?? 0.1)));
  const redrawMs = options.redrawMs ?? 100;
  const start = now();
  let done = 0;
  let metrics: Readonly<Record<string, number>> = {};
  let lastWrite = -Infinity;
  let lastReportedDone = 0;
  let barShown = false;

  const snapshot = (): ProgressState => ({ label, done, total, elapsedSeconds: (now() - start) / 1000, metrics });
  const drawBar = (): void => {
    const columns = stream.columns || 100; // 0 or undefined: width unknown
    const width = Math.max(10, Math.min(30, columns - 80));
    let line = formatProgress(snapshot(), width);
    if (line.length > columns - 1) line = line.slice(0, Math.max(0, columns - 1));
    stream.write(`\r\x1b[2K${line}`);
    barShown = true;
  };
  const clearBar = (): void => {
    if (barShown) stream.write('\r\x1b[2K');
    barShown = false;
  };

  return {
    update(n, m) {
      done = n;
      if (m) metrics = m;
      if (mode === 'none') return;
      const t = now();
      if (mode === 'bar') {
        if (t - lastWrite >= redrawMs || done >= total) { drawBar(); lastWrite = t; }
        return;
      }
      const crossed = Math.floor(done / step) > Math.floor(lastReportedDone / step);
      if (crossed || done === 1 || t - lastWrite >= intervalMs) {
        if (done !== lastReportedDone) stream.write(`${formatProgress(snapshot())}\n`);
        lastReportedDone = done;
        lastWrite = t;
      }
    },
    log(message) {
      if (mode === 'none') return;
      clearBar();
      stream.write(`${message}\n`);
      if (mode === 'bar' && done > 0) drawBar();
    },
    finish(note) {
      if (mode === 'none') return;
      const suffix = note ? ` (${note})` : '';
      if (mode === 'bar') {
        drawBar();
        stream.write(`${suffix}\n`);
        barShown = false;
      } else if (done !== lastReportedDone || note) {
        stream.write(`${formatProgress(snapshot())}${suffix}\n`);
        lastReportedDone = done;
      }
    },
  };
}
