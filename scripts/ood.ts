/**
 * The out-of-distribution study (issue 17) at its full settings: `metagrad ood` with every
 * family, the architectures, DREAM's exploitation heads, the grid-world study's budgets
 * (`--scale 1 --episode-scale 1`), 16 tasks per split and 5 seeds from 200 (the networks'
 * step sizes were chosen on pilot seed 100). Any `metagrad ood` option given after the script's name
 * overrides these (e.g. `--families goal8 --workers 2`); output: out/ood-full/.
 *
 *   node --import tsx scripts/ood.ts
 *   node --import tsx scripts/ood.ts --families goal8 --archs egocentric,tabular --seeds 5 --workers 2
 */
import '../src/index.ts';
import { runFromProcess } from '../src/cli/main.ts';

const FULL = [
  '--families', 'goal5,goal8,start8,layout9', '--archs', 'tabular,mlp,mlpGrid,egocentric,egocentricWindow', '--sign-heads', 'full,relative',
  '--scale', '1', '--episode-scale', '1', '--eval-tasks', '16', '--seeds', '5', '--seed', '200', '--out', 'out/ood-full',
];
const given = process.argv.slice(2);
// Options given on the command line win: drop the full settings' value of each.
const names = new Set(given.filter((a) => a.startsWith('--')).map((a) => a.split('=')[0]));
const kept: string[] = [];
for (let i = 0; i < FULL.length; i += 2) if (!names.has(FULL[i]!)) kept.push(FULL[i]!, FULL[i + 1]!);
process.argv = [process.argv[0]!, process.argv[1]!, 'ood', ...kept, ...given];
await runFromProcess();
