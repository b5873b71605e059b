/**
 * Crash-safe file writes: write a temporary file in the destination's folder, fsync
 * it, rename it over the destination (atomic on POSIX file systems), then fsync the
 * folder. A reader sees either the old file or the complete new one, never a mix, and
 * a failed write leaves any existing file untouched.
 *
 * @example
 * ```ts
 * import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const dir = mkdtempSync(join(tmpdir(), 'metagrad-'));
 * writeFileAtomic(join(dir, 'results.json'), JSON.stringify({ loss: 0.5 }));
 * writeFileAtomic(join(dir, 'results.json'), JSON.stringify({ loss: 0.25 })); // replaces the file whole
 * readFileSync(join(dir, 'results.json'), 'utf8'); // '{"loss":0.25}'
 * rmSync(dir, { recursive: true });
 * ```
 */
import { closeSync, fsyncSync, mkdirSync, openSync, renameSync, rmSync, statSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';

/** A file-system problem, phrased for a user: which path, what failed, what to do. */
export class IoError extends Error {
  override readonly name = 'IoError';
}

let counter = 0;

/** A temporary name next to `path`, unique within this process and across processes. */
export function tempPathFor(path: string): string {
  counter += 1;
  const tag = `${process.pid}.${Date.now().toString(36)}.${counter}`;
  return join(dirname(path), `.${basename(path)}.${tag}.tmp`);
}

function errorCode(e: unknown): string {
  return typeof e === 'object' && e !== null && 'code' in e ? String((e as { code: unknown }).code) : '';
}

function explain(e: unknown): string {
  switch (errorCode(e)) {
    case 'EACCES':
    case 'EPERM': return 'permission denied';
    case 'ENOENT': return 'the folder does not exist';
    case 'ENOTDIR': return 'a part of the path is a file, not a folder';
    case 'EROFS': return 'the file system is read-only';
    case 'ENOSPC': return 'no space left on the device';
    case 'EISDIR': return 'it is a folder';
    default: return e instanceof Error ? e.message : String(e);
  }
}

/**
 * Writes `data` to `path` atomically (see the module comment). The folder must exist.
 * Throws an {@link IoError} naming the path; the destination is then unchanged.
 */
export function writeFileAtomic(path: string, data: string | Uint8Array): void {
  const temp = tempPathFor(path);
  let fd: number | undefined;
  try {
    fd = openSync(temp, 'wx', 0o644);
    const bytes = typeof data === 'string' ? new TextEncoder().encode(data) : data;
    let offset = 0;
    while (offset < bytes.length) offset += writeSync(fd, bytes, offset, bytes.length - offset);
    fsyncSync(fd);
    closeSync(fd);
    fd = undefined;
    renameSync(temp, path);
  } catch (e) {
    if (fd !== undefined) { try { closeSync(fd); } catch { /* already failing */ } }
    try { unlinkSync(temp); } catch { /* never created, or already renamed */ }
    throw new IoError(`cannot write ${path}: ${explain(e)}`);
  }
  syncFolder(dirname(path));
}

/** fsyncs a folder so a rename in it survives a crash; a no-op where folders cannot be opened (Windows). */
function syncFolder(dir: string): void {
  let fd: number | undefined;
  try {
    fd = openSync(dir, 'r');
    fsyncSync(fd);
  } catch {
    // Not supported on every platform; the rename itself already happened.
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * Creates `dir` (and parents) if needed and proves it writable by creating and removing
 * a probe file. Throws an {@link IoError} saying what is wrong and how to fix it.
 */
export function ensureWritableDir(dir: string, optionName = '--out'): void {
  try {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st && !st.isDirectory()) {
      throw new IoError(`output folder ${dir} is a file, not a folder: pass another path with ${optionName}`);
    }
    if (!st) mkdirSync(dir, { recursive: true });
  } catch (e) {
    if (e instanceof IoError) throw e;
    throw new IoError(`cannot create output folder ${dir} (${explain(e)}): pass a writable path with ${optionName}`);
  }
  const probe = tempPathFor(join(dir, 'probe'));
  try {
    closeSync(openSync(probe, 'wx'));
  } catch (e) {
    throw new IoError(`output folder ${dir} is not writable (${explain(e)}): pass a writable path with ${optionName}`);
  } finally {
    rmSync(probe, { force: true });
  }
}
