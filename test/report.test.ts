import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { escapeXml, niceTicks, formatTick } from '../src/report/svg.ts';
import { lineChart } from '../src/report/line-chart.ts';
import { heatmap, rampColor } from '../src/report/heatmap.ts';
import { renderHtmlReport } from '../src/report/html.ts';
import { renderRunReport, type RunResults } from '../src/report/run-report.ts';
import { binCurve } from '../src/report/stats.ts';

const svg = suite('report: svg building blocks');

svg('escaping', () => {
  assert.is(escapeXml(`<a href="x">&'</a>`), '&lt;a href=&quot;x&quot;&gt;&amp;&#39;&lt;/a&gt;');
});

svg('nice ticks cover the range with 1-2-5 steps', () => {
  assert.equal(niceTicks(0, 0.93, 5), [0, 0.2, 0.4, 0.6, 0.8, 1]);
  assert.equal(niceTicks(-3, 7, 5), [-4, -2, 0, 2, 4, 6, 8]);
  const flat = niceTicks(2, 2);
  assert.ok(flat[0]! < 2 && flat[flat.length - 1]! > 2);
  assert.equal(niceTicks(NaN, 1), [0, 1]);
  assert.is(formatTick(25000), '25k');
  assert.is(formatTick(0.30000000000000004), '0.3');
});

svg('statistics: binned curves with 95% CIs', () => {
  const b = binCurve([1, 2, 3, 4], [4, 3, 2, 1], 2);
  assert.equal(b.x, [1.5, 3.5]);
  assert.equal(b.mean, [3.5, 1.5]);
  assert.ok(Math.abs(b.hi[0]! - 3.5 - 12.706 * 0.5) < 1e-12 && Math.abs(3.5 - b.lo[0]! - 12.706 * 0.5) < 1e-12); // t with 1 dof
});

svg('line chart: one polyline per finite run, bands, legend, no data', () => {
  const out = lineChart({
    title: 'T <1>', xLabel: 'x', yLabel: 'y',
    series: [
      { name: 'a', x: [0, 1, 2, 3, 4], y: [1, 2, NaN, 4, 5], lo: [0, 1, NaN, 3, 4], hi: [2, 3, NaN, 5, 6] },
      { name: 'b&c', x: [0, 1], y: [null, 3], style: 'points' },
    ],
  });
  assert.ok(out.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.is(out.match(/<polyline /g)?.length, 2); // the NaN splits series a in two
  assert.is(out.match(/<polygon /g)?.length, 2);
  assert.ok(out.includes('T &lt;1&gt;') && out.includes('b&amp;c'));
  assert.not.ok(/NaN|undefined|Infinity/.test(out));
  assert.match(lineChart({ title: 'e', xLabel: 'x', yLabel: 'y', series: [] }), /no data/);
});

svg('heatmap: a cell per value, missing cells hatched, colour bar', () => {
  const out = heatmap({ title: 'h', values: [[0, 1], [null, 0.5]], rowLabels: ['r0', 'r1'], colLabels: ['c0', 'c1'] });
  assert.is(out.match(/<rect [^>]*><title>/g)?.length, 4);
  assert.ok(out.includes('url(#hm-missing)'));
  assert.is(rampColor(0), 'rgb(68,1,84)');
  assert.is(rampColor(1), 'rgb(253,231,37)');
  assert.not.ok(/NaN|undefined/.test(out));
});

const html = suite('report: html');

html('self-contained: no scripts, links or external URLs besides the SVG namespace', () => {
  const page = renderHtmlReport({
    title: 'R <x>', notice: 'careful', facts: [['seed', '0']],
    sections: [{ heading: 'S', text: ['p & q'], figures: [{ svg: '<svg xmlns="http://www.w3.org/2000/svg"></svg>', caption: 'cap' }], tables: [{ header: ['a'], rows: [['1']] }] }],
  });
  assert.ok(page.startsWith('<!DOCTYPE html>'));
  assert.ok(page.includes('<title>R &lt;x&gt;</title>') && page.includes('p &amp; q') && page.includes('class="notice"'));
  assert.not.ok(/<script|<link|src=|@import/.test(page));
  const urls = page.match(/https?:\/\/[^\s"']+/g) ?? [];
  assert.ok(urls.every((u) => u === 'http://www.w3.org/2000/svg'), urls.join(' '));
});

html('a run report renders every figure of results.json, grid panels through the renderer', () => {
  const results: RunResults = {
    command: 'gridworld', interrupted: true, runtimeSeconds: 1.5, startedAt: 'a', finishedAt: 'b', seed: 3, backend: 'ts',
    versions: { metagrad: '0.1.0', runtime: 'node', runtimeVersion: '20', platform: 'linux x64' },
    config: { seed: 3 }, training: { iterations: 10, completed: 4 }, metrics: {},
    tables: [{ title: 'Tab', header: ['a', 'b'], rows: [['x', 0.123456], ['y', null]] }],
    figures: {
      curve: { type: 'line', title: 'Curve', xLabel: 'i', yLabel: 'v', series: [{ name: 's', x: [1, 2], y: [1, 2] }] },
      map: { type: 'heatmap', title: 'Map', values: [[1]] },
      grid: { type: 'grid', title: 'Grids', panels: [{ title: 'p1', map: ['S.G'], trajectory: [[0, 0]] }, { title: 'p2', map: ['S.G'], trajectory: [] }] },
    },
    files: {},
  };
  const page = renderRunReport(results, (p) => `<svg xmlns="http://www.w3.org/2000/svg" data-panel="${p.title}"></svg>`);
  assert.is(page.match(/<svg /g)?.length, 4);
  assert.ok(page.includes('data-panel="p2"') && page.includes('0.1235') && page.includes('interrupted'));
  assert.ok(page.includes('3') && page.includes('4 / 10 iterations'));
});

svg.run();
html.run();
