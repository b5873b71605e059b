export { jit, type JitOptions, type Jitted, type Lowered } from './jit.ts';
export { JitError } from './errors.ts';
