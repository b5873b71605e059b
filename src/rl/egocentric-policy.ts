/**
 * An egocentric grid-world policy: the `gridChannels` observation re-centred on the agent
 * (a `(2r+1) × (2r+1)` window of every non-agent plane around the agent's cell, with
 * outside-the-map read as wall), then a small MLP. What it sees is "a wall two cells
 * left of me, the goal five up and three right", never "I am at (7, 0)" except through
 * the walls it sees, so what it learns about a relative goal position holds wherever
 * that relative position occurs.
 *
 * Two feature groups, concatenated in the order given:
 * - `'window'`: the window itself, every plane flattened (a weight per relative cell);
 * - `'axes'`: per plane, the window's row maxima and column maxima ("something of this
 *   kind is d rows up / d columns right"; an OR for the 0/1 planes, so the features stay
 *   in [0, 1] however wide the window). These factorise a relative position into its row
 *   and its column offset, so a goal up-and-right of the agent by amounts each seen
 *   separately in training, but never together, still reads as "up" and "right" — the
 *   out-of-distribution case of the goal family, whose OOD quadrant puts goals at
 *   relative positions no training task produces.
 * - `'rays'`: per plane, 1/d for the nearest cell of this kind straight up, right, down
 *   and left of the agent within the window (0 if none): "a wall right above me", "the
 *   way up is open for 5 cells". The axes of the wall plane are all 1 in a walled map;
 *   rays tell a doorway (the up ray grows long under it) from a wall.
 *
 * Rotation: the grid worlds here have absolute actions (up, right, down, left, stay) and
 * no heading, so there is no orientation to rotate the window into; the symmetry prior a
 * rotated view gives (a goal up-right is like a goal down-left) is built by
 * `rotatedEgocentricPolicy` (rotated-policy.ts), which ties one scorer over the four
 * rotations of this view.
 *
 * The re-centring reads the observations' values (where the agent is), so it is the
 * policy's feature map: an {@link InputTransform} of {@link mlpPolicy}, which gives the
 * checked logits, sampler, oracle `stateLogits` and `jit`-traceable form of every
 * observation policy.
 */
import { checkInteger, RlError } from './errors.ts';
import { mlpPolicy, type CategoricalPolicy, type InputTransform, type MlpParams } from './policy.ts';

/** Feature groups of {@link egocentricView}; see the module comment. */
export type EgocentricFeature = 'window' | 'axes' | 'rays';
/** Every {@link EgocentricFeature}. */
export const EGOCENTRIC_FEATURES: readonly EgocentricFeature[] = ['window', 'axes', 'rays'];

/** Options of {@link egocentricView}. */
export interface EgocentricViewOptions {
  readonly height: number;
  readonly width: number;
  /** Observation planes (default 4, the `gridChannels` encoding: wall, agent, goal, lava). */
  readonly channels?: number;
  /** The one-hot agent plane (default 1). */
  readonly agentChannel?: number;
  /** The plane that reads 1 outside the map (default 0, walls). */
  readonly wallChannel?: number;
  /** Window radius r (side 2r + 1). Default `max(height, width) − 1`: the whole map is in view from every cell. */
  readonly radius?: number;
  /** Default `['window']`. */
  readonly features?: readonly EgocentricFeature[];
}

/**
 * The egocentric feature map of `gridChannels` observations (see the module comment):
 * for each of `count` rows, the chosen feature groups of the window centred on the agent.
 *
 * @example
 * ```ts
 * const view = egocentricView({ height: 8, width: 8, radius: 7, features: ['window', 'axes'] });
 * view.outputSize;                    // 3 planes × (15·15 + 2·15) = 765
 * const env = new VecEnv({ map: openRoom(8), numEnvs: 2, maxSteps: 20, observation: { kind: 'gridChannels' } });
 * view.apply(env.reset(0), 2).length; // 1530: 2 rows of 765
 * ```
 */
export function egocentricView(options: EgocentricViewOptions): InputTransform {
  const view = viewGeometry('egocentricView', options);
  const { features, radius, perPlane, inputSize } = view;
  const outputSize = view.planes.length * perPlane;
  return {
    name: `egocentric ${features.join('+')} r${radius}`,
    inputSize,
    outputSize,
    apply(obs, count) {
      const out = new Float32Array(count * outputSize);
      forEachWindow(view, obs, count, (i, p, window) => writeWindowFeatures(view, window, out, i * outputSize + p * perPlane));
      return out;
    },
  };
}

/**
 * @internal Checks {@link EgocentricViewOptions} (errors name `caller`) and derives the
 * window side `k = 2r + 1`, the observed `planes` (all but the agent's), the features
 * per plane and the floats per observation.
 */
export function viewGeometry(caller: string, options: EgocentricViewOptions) {
  const height = checkInteger(caller, 'height', options?.height);
  const width = checkInteger(caller, 'width', options.width);
  const channels = checkInteger(caller, 'channels', options.channels ?? 4, 2);
  const agentChannel = checkInteger(caller, 'agentChannel', options.agentChannel ?? 1, 0);
  const wallChannel = checkInteger(caller, 'wallChannel', options.wallChannel ?? 0, 0);
  if (agentChannel >= channels) throw new RlError(`${caller}: agentChannel ${agentChannel} is not one of the ${channels} channels`);
  if (wallChannel >= channels || wallChannel === agentChannel) {
    throw new RlError(`${caller}: wallChannel ${wallChannel} must be one of the ${channels} channels other than agentChannel ${agentChannel}`);
  }
  const radius = checkInteger(caller, 'radius', options.radius ?? Math.max(height, width) - 1, 0);
  const features = options.features ?? ['window'];
  if (!Array.isArray(features) || features.length === 0 || features.some((f) => !EGOCENTRIC_FEATURES.includes(f)) || new Set(features).size !== features.length) {
    throw new RlError(`${caller}: features must be a non-empty list without repeats of ${EGOCENTRIC_FEATURES.map((f) => `'${f}'`).join(', ')}, got ${JSON.stringify(features)}`);
  }
  const k = 2 * radius + 1;
  const planes = Array.from({ length: channels }, (_v, c) => c).filter((c) => c !== agentChannel);
  const perPlane = (features.includes('window') ? k * k : 0) + (features.includes('axes') ? 2 * k : 0) + (features.includes('rays') ? 4 : 0);
  return { caller, height, width, agentChannel, wallChannel, radius, k, features, planes, perPlane, inputSize: channels * height * width };
}

/** @internal What {@link viewGeometry} returns. */
export type ViewGeometry = ReturnType<typeof viewGeometry>;

/**
 * @internal Calls `visit(i, p, window)` for each of `count` observation rows and each of
 * `view.planes` (index p): `window` (k × k, row-major, reused between calls) is plane p
 * around the agent's cell, off-map cells reading 1 on the wall plane and 0 on the others.
 */
export function forEachWindow(view: ViewGeometry, obs: ArrayLike<number>, count: number, visit: (i: number, p: number, window: Float32Array) => void): void {
  const { caller, height, width, agentChannel, wallChannel, radius, k, planes, inputSize } = view;
  const plane = height * width;
  const window = new Float32Array(k * k);
  for (let i = 0; i < count; i++) {
    const base = i * inputSize;
    let cell = -1;
    for (let j = 0; j < plane; j++) if (obs[base + agentChannel * plane + j] === 1) { cell = j; break; }
    if (cell < 0) throw new RlError(`${caller}: observation ${i} has no 1 in its agent plane (channel ${agentChannel}); use the 'gridChannels' observation`);
    const row0 = Math.floor(cell / width) - radius, col0 = (cell % width) - radius;
    planes.forEach((c, p) => {
      const outside = c === wallChannel ? 1 : 0;
      for (let dy = 0; dy < k; dy++) {
        const r = row0 + dy;
        for (let dx = 0; dx < k; dx++) {
          const col = col0 + dx;
          window[dy * k + dx] = r >= 0 && r < height && col >= 0 && col < width ? obs[base + c * plane + r * width + col]! : outside;
        }
      }
      visit(i, p, window);
    });
  }
}

/**
 * @internal Writes the feature groups of one plane's window into `out` from `o` (whose
 * `view.perPlane` floats must be 0: the axes and rays accumulate into them).
 */
export function writeWindowFeatures(view: ViewGeometry, window: Float32Array, out: Float32Array, o: number): void {
  const { k, radius } = view;
  for (const group of view.features) {
    if (group === 'window') {
      out.set(window, o);
      o += k * k;
    } else if (group === 'rays') {
      // Up, right, down, left from the window's centre (the agent).
      const steps = [[-1, 0], [0, 1], [1, 0], [0, -1]] as const;
      steps.forEach(([sy, sx], d) => {
        for (let dist = 1; dist <= radius; dist++) {
          if (window[(radius + sy * dist) * k + radius + sx * dist]! > 0) { out[o + d] = 1 / dist; break; }
        }
      });
      o += 4;
    } else {
      for (let dy = 0; dy < k; dy++) {
        for (let dx = 0; dx < k; dx++) {
          const v = window[dy * k + dx]!;
          if (v > out[o + dy]!) out[o + dy] = v;
          if (v > out[o + k + dx]!) out[o + k + dx] = v;
        }
      }
      o += 2 * k;
    }
  }
}

/** Options of {@link egocentricPolicy}: the view's, plus the MLP's. */
export interface EgocentricPolicyOptions extends EgocentricViewOptions {
  readonly numActions: number;
  /** Hidden widths of the MLP over the egocentric features. Default `[32]`; `[]` is a linear policy. */
  readonly hidden?: readonly number[];
  readonly activation?: 'tanh' | 'relu';
  /** Scale of the last layer's initial weights (default 0.01: near uniform). */
  readonly outputScale?: number;
}

/**
 * The egocentric policy: an {@link mlpPolicy} over {@link egocentricView} of the
 * `gridChannels` observation. Usable wherever a {@link CategoricalPolicy} is (MAML-RL,
 * its exact oracle, REINFORCE, A2C); its parameters are an MLP's.
 *
 * @example
 * ```ts
 * const env = new VecEnv({ map: openRoom(8), numEnvs: 20, maxSteps: 20, observation: { kind: 'gridChannels' } });
 * const policy = egocentricPolicy({ height: 8, width: 8, numActions: env.numActions, features: ['window', 'axes'] });
 * const params = policy.init(new Rng(0));   // layers: [765, 32], [32, 5]
 * const batch = collectEpisodes(env, policy, params, 1);
 * ```
 */
export function egocentricPolicy(options: EgocentricPolicyOptions): CategoricalPolicy<MlpParams> {
  const view = egocentricView(options);
  const numActions = checkInteger('egocentricPolicy', 'numActions', options.numActions);
  (options.hidden ?? []).forEach((h, i) => checkInteger('egocentricPolicy', `hidden[${i}]`, h));
  const mlp = mlpPolicy({
    obsSize: view.inputSize, numActions, hidden: options.hidden ?? [32], activation: options.activation ?? 'tanh',
    outputScale: options.outputScale ?? 0.01, inputTransform: view,
  });
  return { ...mlp, name: `egocentric ${mlp.name}` };
}
