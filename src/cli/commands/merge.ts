/**
 * `metagrad merge DIR…`: combines the partial results of a sharded study (`--shard i/n`)
 * into the results.json and report.html the unsharded run writes. Refuses shards of
 * different commands, configs, versions or backends, and a missing or duplicate shard.
 */
import { UsageError } from '../args.ts';
import type { Command } from '../command.ts';
import { ensureWritableDir, IoError } from '../../io/atomic.ts';
import { emitResults } from '../run.ts';
import { loadShards, mergedUnits, shardFilesIn } from '../shard.ts';
import { STUDIES } from '../studies.ts';
import { studyResults } from '../study.ts';

export const mergeCommand: Command = {
  spec: {
    name: 'merge',
    summary: 'Combine the partial results of a sharded study (--shard i/n) into results.json and report.html.',
    description: [
      'Reads results-shard-I-of-N.json from each DIR (a folder, or the file itself), checks',
      'that the shards come from one study (same command, config, metagrad version and',
      'backend) and that every shard 0..N−1 is there exactly once and complete, then writes',
      'the results.json and report.html the unsharded run would (equal apart from timings).',
    ].join('\n'),
    positionals: [{ name: 'DIR', description: 'folders (or files) holding the shards', required: true, variadic: true }],
    options: [
      { name: 'out', short: 'o', type: 'string', placeholder: 'DIR', description: 'output folder (default: the first DIR)' },
      { name: 'json', type: 'boolean', description: 'print results as JSON on stdout' },
    ],
    examples: [
      'metagrad merge out/gridworld',
      'metagrad merge shard-0 shard-1 shard-2 --out out/gridworld',
    ],
  },
  async run(args, io) {
    const dirs = args.positionals;
    if (dirs.length === 0) throw new UsageError("merge: pass the folders (or files) of the shards, e.g. 'metagrad merge out/gridworld'");
    const files = dirs.flatMap(shardFilesIn);
    const { shards } = loadShards(files);
    const first = shards[0]!;
    const load = STUDIES[first.command];
    if (load === undefined) throw new UsageError(`merge: the shards are of '${first.command}', which this metagrad cannot merge (it merges: ${Object.keys(STUDIES).join(', ')})`);
    const def = await load();
    const units = mergedUnits(shards);
    const out = String(args.values['out'] ?? (/\.json$/.test(dirs[0]!) ? '.' : dirs[0]!));
    try {
      ensureWritableDir(out);
    } catch (e) {
      if (e instanceof IoError) throw new UsageError(e.message);
      throw e;
    }
    // The study's wall time: from the first shard's start to the last shard's finish (not to
    // this merge, which may run hours later).
    const startedAt = Math.min(...shards.map((s) => Date.parse(s.startedAt)));
    const finishedAt = Math.max(...shards.map((s) => Date.parse(s.finishedAt)));
    const results = studyResults(def, first.config, units, first.totalUnits, {
      command: first.command, interrupted: false, runtimeSeconds: (finishedAt - startedAt) / 1000,
      startedAt: new Date(startedAt).toISOString(), finishedAt: new Date(finishedAt).toISOString(),
      seed: Number(first.config['seed'] ?? 0), backend: first.backend, versions: first.versions,
    });
    emitResults(results, { out, json: args.values['json'] === true, stdout: io.stdout, ...(def.renderGrid && { renderGrid: def.renderGrid }) });
    return 0;
  },
};
