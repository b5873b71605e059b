import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import type { RunResults } from '../src/report/run-report.ts';
import { renderInChromium, run, tempDir, TINY_GRIDWORLD, TINY_SINUSOID } from './cli-helpers.ts';

const dir = tempDir('report-chromium');
const chromium = suite('report: renders in headless Chromium');

chromium('gridworld and sinusoid reports open from disk, every SVG has a size, nothing is fetched', async () => {
  const outs = { gridworld: join(dir, 'grid'), sinusoid: join(dir, 'sin') };
  const [g, s] = await Promise.all([
    run([...TINY_GRIDWORLD, '--out', outs.gridworld, '--progress', 'none']),
    run([...TINY_SINUSOID, '--out', outs.sinusoid, '--progress', 'none']),
  ]);
  assert.is(g.code, 0, g.stderr);
  assert.is(s.code, 0, s.stderr);
  const entries = Object.entries(outs);
  const checks = await renderInChromium(entries.map(([, out]) => [join(out, 'report.html'), join(out, 'report.png')] as const));
  for (const [i, [name, out]] of entries.entries()) {
    const results = JSON.parse(readFileSync(join(out, 'results.json'), 'utf8')) as RunResults;
    const expected = Object.values(results.figures).reduce((n, f) => n + (f.type === 'grid' ? f.panels.length : 1), 0);
    const check = checks[i]!;
    assert.is(check.title, `metagrad ${name}`);
    assert.is(check.svgCount, expected, `${name}: ${check.svgCount} SVGs rendered, ${expected} figures in results.json`);
    check.svgSizes.forEach(([w, h], i) => assert.ok(w > 0 && h > 0, `${name}: SVG ${i} is ${w}×${h}`));
    assert.equal(check.externalRequests, [], `${name} fetched ${check.externalRequests.join(', ')}`);
    assert.equal(check.consoleErrors, []);
    assert.ok(check.screenshotBytes > 10_000, `${name}: screenshot is only ${check.screenshotBytes} bytes`);
  }
});

chromium.after(() => rmSync(dir, { recursive: true, force: true }));
chromium.run();
