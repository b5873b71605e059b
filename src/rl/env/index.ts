/**
 * Grid-world environments for meta-RL: maps, the tabular model (single source of
 * truth for the dynamics), a single environment, a vectorised one, observation
 * encodings, task families with OOD splits, standard layouts and rendering.
 */
export { GridWorldError } from './errors.ts';
export {
  Cell, parseMap, mapToText, formatPosition, inBounds,
  type CellKind, type GridMap, type MapSource, type Position,
} from './map.ts';
export {
  Action, ACTION_NAMES, DEFAULT_REWARDS, StateFlag, tabularModel, reachableStates,
  positionOfCell, positionOfState, stateOfPosition, sampleStartState,
  type ActionId, type DynamicsOptions, type RewardSpec, type TabularModel, type Task,
} from './model.ts';
export { createObservationEncoder, type ObservationEncoder, type ObservationSpec } from './observation.ts';
export { GridWorld, describeActions, type GridWorldConfig, type StepResult } from './gridworld.ts';
export { VecEnv, type VecEnvConfig, type VecStepResult } from './vecenv.ts';
export { openRoom, fourRooms, corridor, cliff, standardLayout, isLayoutName, type Doorways, type LayoutName } from './layouts.ts';
export {
  goalFamily, startFamily, layoutFamily, inQuadrant, cornerCell,
  type Quadrant, type TaskFamily, type FamilyOptionsBase, type GoalFamilyOptions, type StartFamilyOptions, type LayoutFamilyOptions,
} from './tasks.ts';
export { renderAscii, renderSvg, type AsciiOptions, type SvgOptions } from './render.ts';
