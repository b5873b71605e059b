/**
 * Where the `'cli.gridworld'` policy setup is registered (gridworld-setup.ts, `.ts` under
 * tsx, `.js` in dist/): named apart so gridworld.ts can list it without importing it.
 */
export const GRIDWORLD_SETUP: string = new URL(import.meta.url.endsWith('.ts') ? './gridworld-setup.ts' : './gridworld-setup.js', import.meta.url).href;
