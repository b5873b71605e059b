/**
 * Named factories that a plain-data spec (`{ name, options, modules }`) can name in any
 * thread: what lets a worker rebuild a learner or a policy setup from JSON. Shared by
 * meta/parallel.ts (learners) and rl/mamlrl-parallel.ts (policy setups).
 */
import { importModules } from './execute.ts';

/** A spec: the registered factory's name, its options, and modules whose import registers it. */
export interface FactorySpec {
  readonly name: string;
  readonly options?: Readonly<Record<string, unknown>>;
  readonly modules?: readonly (string | URL)[];
}

/** How a registry names itself in its errors. */
export interface SpecRegistryNames {
  /** The public registering function, e.g. `'registerLearner'`. */
  readonly register: string;
  /** The public building function, e.g. `'learnerFromSpec'`. */
  readonly build: string;
  /** What a factory makes, e.g. `'learner'`. */
  readonly noun: string;
  /** The error class thrown for bad names, factories and unknown specs. */
  readonly error: new (message: string) => Error;
}

/** The registry: `register` a factory, `build` what a spec names (once per spec and thread). */
export interface SpecRegistry<T> {
  register(name: string, factory: (options: Readonly<Record<string, unknown>>) => T): void;
  build(spec: FactorySpec): Promise<T>;
}

/**
 * A registry of named factories. `builtins` names the built-in factories in the error for
 * an unknown name. Built values are kept per spec (name and options), so a thread builds
 * each once (a jitted policy keeps its compiled programs).
 *
 * @example
 * ```ts
 * const shapes = specRegistry<number[]>({ register: 'registerShape', build: 'shapeFromSpec', noun: 'shape', error: TypeError }, () => ['square']);
 * shapes.register('square', (o) => [o.n as number, o.n as number]);
 * await shapes.build({ name: 'square', options: { n: 3 } }); // [3, 3]
 * ```
 */
export function specRegistry<T>(names: SpecRegistryNames, builtins: () => readonly string[]): SpecRegistry<T> {
  const factories = new Map<string, (options: Readonly<Record<string, unknown>>) => T>();
  const built = new Map<string, T>();
  const { register, build, noun, error: Failure } = names;
  return {
    register(name, factory) {
      if (typeof name !== 'string' || name === '') throw new Failure(`${register}: name must be a non-empty string, got ${String(name)}`);
      if (typeof factory !== 'function') throw new Failure(`${register}: factory of '${name}' must be a function, got ${typeof factory}`);
      factories.set(name, factory);
    },
    async build(spec) {
      if (spec === null || typeof spec !== 'object' || typeof spec.name !== 'string') throw new Failure(`${build}: expected { name, options }, got ${String(spec)}`);
      if (spec.modules !== undefined && spec.modules.length > 0) await importModules(spec.modules.map(String));
      const key = JSON.stringify([spec.name, spec.options]);
      let value = built.get(key);
      if (value === undefined) {
        const factory = factories.get(spec.name);
        if (factory === undefined) {
          throw new Failure(`${build}: no ${noun} '${spec.name}' is registered (built-in: ${builtins().join(', ')}; custom ones with ${register} in one of spec.modules)`);
        }
        value = factory(spec.options ?? {});
        built.set(key, value);
      }
      return value;
    },
  };
}
