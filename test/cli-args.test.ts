import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { camelCase, closest, editDistance, formatHelp, parseArgs, UsageError, type CommandSpec } from '../src/cli/args.ts';

const spec: CommandSpec = {
  name: 'demo',
  summary: 'a demo command',
  options: [
    { name: 'iterations', short: 'n', type: 'int', min: 1, default: 100, description: 'iterations' },
    { name: 'inner-lr', type: 'number', above: 0, default: 0.01, description: 'step size' },
    { name: 'shift', type: 'number', default: 0, description: 'any number' },
    { name: 'algorithm', type: 'choice', choices: ['maml', 'fomaml', 'reptile'], default: 'maml', description: 'algorithm' },
    { name: 'out', type: 'string', default: 'out', description: 'folder' },
    { name: 'json', type: 'boolean', description: 'json' },
    { name: 'baselines', type: 'boolean', default: true, description: 'baselines' },
  ],
  positionals: [{ name: 'file', description: 'a file', required: false }],
};

const usage = (argv: string[]): string => {
  try {
    parseArgs(argv, spec);
  } catch (e) {
    assert.instance(e, UsageError);
    return (e as Error).message;
  }
  throw new Error(`expected a UsageError for ${argv.join(' ')}`);
};

const parse = suite('cli args: parsing');

parse('defaults, camelCase keys, every accepted form', () => {
  const a = parseArgs([], spec);
  assert.equal(a.values, { iterations: 100, innerLr: 0.01, shift: 0, algorithm: 'maml', out: 'out', json: false, baselines: true });
  assert.is(a.given.size, 0);
  const b = parseArgs(['-n', '5', '--inner-lr=0.5', '--algorithm', 'reptile', '--json', '--no-baselines', '--shift', '-2.5', 'x.json'], spec);
  assert.equal(b.values, { iterations: 5, innerLr: 0.5, shift: -2.5, algorithm: 'reptile', out: 'out', json: true, baselines: false });
  assert.equal(b.positionals, ['x.json']);
  assert.ok(b.given.has('innerLr') && b.given.has('baselines') && !b.given.has('out'));
});

parse('--help anywhere wins and skips validation', () => {
  assert.ok(parseArgs(['--iterations', '-3', '--help'], spec).help);
  assert.ok(parseArgs(['-h'], spec).help);
});

parse('-- ends options', () => {
  assert.equal(parseArgs(['--', '--json'], spec).positionals, ['--json']);
});

const errors = suite('cli args: errors say what and how');

errors('unknown option suggests the closest', () => {
  assert.match(usage(['--iteratons', '3']), /unknown option --iteratons .*did you mean --iterations\?/);
  assert.match(usage(['--inner_lr', '3']), /did you mean --inner-lr\?/);
  assert.match(usage(['-x']), /unknown option -x/);
});

errors('out-of-range and malformed numbers', () => {
  assert.match(usage(['--iterations', '0']), /--iterations must be an integer ≥ 1, got '0'/);
  assert.match(usage(['--iterations', '-3']), /--iterations must be an integer ≥ 1, got '-3'/);
  assert.match(usage(['--iterations', '2.5']), /integer/);
  assert.match(usage(['--inner-lr', '0']), /--inner-lr must be a number > 0, got '0'/);
  assert.match(usage(['--inner-lr', 'abc']), /--inner-lr must be a number/);
  assert.match(usage(['--inner-lr', 'Infinity']), /--inner-lr must be a number/);
});

errors('bad choices suggest the closest', () => {
  assert.match(usage(['--algorithm', 'mamll']), /must be one of maml, fomaml, reptile; got 'mamll'. Did you mean 'maml'\?/);
});

errors('missing values and stray arguments', () => {
  assert.match(usage(['--iterations']), /--iterations needs N|--iterations needs a value/);
  assert.match(usage(['--out', '--json']), /--out needs/);
  assert.match(usage(['a', 'b']), /unexpected argument 'b'/);
  assert.match(usage(['--no-json=1']), /takes no value/);
});

const helpers = suite('cli args: helpers');

helpers('edit distance and suggestions', () => {
  assert.is(editDistance('kitten', 'sitting'), 3);
  assert.is(editDistance('', 'abc'), 3);
  assert.is(closest('sinuoid', ['sinusoid', 'gridworld']), 'sinusoid');
  assert.is(closest('zzzzzz', ['sinusoid', 'gridworld']), undefined);
  assert.is(camelCase('checkpoint-every'), 'checkpointEvery');
});

helpers('help is generated from the table', () => {
  const text = formatHelp(spec);
  assert.match(text, /^Usage: metagrad demo \[options\] \[file\]/);
  for (const o of spec.options) assert.ok(text.includes(`--${o.name}`), o.name);
  assert.match(text, /--algorithm <maml\|fomaml\|reptile>/);
  assert.match(text, /\[default: 100\]/);
  assert.match(text, /-h, --help/);
});

parse.run();
errors.run();
helpers.run();
