import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createProgress, formatDuration, formatProgress, resolveMode, type ProgressStream } from '../src/cli/progress.ts';

/** A fake stream that records writes; `isTTY` as given. */
function recorder(isTTY: boolean): ProgressStream & { text: () => string } {
  const chunks: string[] = [];
  return { isTTY, columns: 120, write: (s: string) => chunks.push(s), text: () => chunks.join('') };
}

/** A clock advancing 100 ms per reading. */
function fakeClock(): () => number {
  let t = 0;
  return () => (t += 100);
}

const format = suite('progress: formatting');

format('durations', () => {
  assert.is(formatDuration(0), '0:00');
  assert.is(formatDuration(75), '1:15');
  assert.is(formatDuration(3725), '1:02:05');
  assert.is(formatDuration(Infinity), '--:--');
});

format('a line has count, rate, ETA and metrics; a bar when asked', () => {
  const s = { label: 'train', done: 25, total: 100, elapsedSeconds: 5, metrics: { loss: 0.12345 } };
  const line = formatProgress(s);
  assert.match(line, /^train  25% 25\/100 5\.0 it\/s elapsed 0:05 ETA 0:15 loss=0\.1235$/);
  assert.match(formatProgress(s, 20), /^train \[#####---------------\]  25% /);
});

format('auto mode follows isTTY', () => {
  assert.is(resolveMode('auto', recorder(true)), 'bar');
  assert.is(resolveMode('auto', recorder(false)), 'lines');
  assert.is(resolveMode('none', recorder(true)), 'none');
});

const modes = suite('progress: modes');

modes('non-TTY: plain lines at every 10% (and the first), no carriage returns', () => {
  const out = recorder(false);
  const p = createProgress({ label: 'meta-train', total: 50, stream: out, now: fakeClock(), intervalMs: 1e9 });
  for (let i = 1; i <= 50; i++) p.update(i, { loss: 1 / i });
  p.finish();
  const lines = out.text().trimEnd().split('\n');
  assert.not.ok(out.text().includes('\r'));
  assert.is(lines.length, 11, lines.join('\n')); // 1, 5, 10, …, 50
  assert.match(lines[0]!, /^meta-train   2% 1\/50 /);
  assert.match(lines[10]!, /^meta-train 100% 50\/50 .* loss=0\.02000$/);
});

modes('non-TTY: the time interval also triggers a line', () => {
  const out = recorder(false);
  const p = createProgress({ label: 'x', total: 1000, stream: out, now: fakeClock(), intervalMs: 250 });
  for (let i = 1; i <= 10; i++) p.update(i);
  assert.ok(out.text().split('\n').length > 3);
});

modes('TTY: the bar redraws in place and ends with a newline', () => {
  const out = recorder(true);
  const p = createProgress({ label: 'x', total: 5, stream: out, now: fakeClock(), redrawMs: 0 });
  for (let i = 1; i <= 5; i++) p.update(i, { ret: 0.5 });
  p.finish('done');
  const text = out.text();
  assert.is(text.split('\r\x1b[2K').length - 1, 6);
  assert.ok(text.endsWith(' (done)\n'));
  assert.is(text.split('\n').length, 2);
});

modes('none: silent', () => {
  const out = recorder(false);
  const p = createProgress({ label: 'x', total: 5, stream: out, mode: 'none' });
  p.update(5);
  p.log('hello');
  p.finish();
  assert.is(out.text(), '');
});

format.run();
modes.run();
