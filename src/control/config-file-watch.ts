import { watch, type FSWatcher } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { FastifyBaseLogger } from 'fastify';
import { parseJsonText } from '../config/json-text.js';
import { formatProblem } from '../config/load.js';
import type { ConfigControl } from './config-control.js';

/** Quiet time after the last change event before the file is read (editors write in several steps). */
export const WATCH_DEBOUNCE_MS = 300;

export interface ConfigFileWatch {
  /** Reads the file now and applies it when it changed and is valid (SIGHUP). */
  reload(): Promise<'applied' | 'unchanged' | 'refused'>;
  stop(): void;
}

/**
 * Watches the config file (its directory, so editors that save by renaming a new file
 * over the old one are seen too) and reloads it after `debounceMs` of quiet. A file
 * that is not JSON (line, column and the line named) or not valid is refused with one log line listing every problem,
 * and the running version stays; a valid change becomes a version by author `file`.
 */
export function watchConfigFile(opts: { path: string; control: ConfigControl; log: FastifyBaseLogger; debounceMs?: number }): ConfigFileWatch {
  const name = basename(opts.path);
  let timer: NodeJS.Timeout | undefined;
  let watcher: FSWatcher | undefined;

  const reload = async (): Promise<'applied' | 'unchanged' | 'refused'> => {
    let document: unknown;
    try {
      // A syntax error names its line and column and shows the line, as at startup (issue 16).
      document = parseJsonText(await readFile(opts.path, 'utf8'));
    } catch (err) {
      opts.log.error({ file: opts.path, problems: [`not readable JSON: ${(err as Error).message}`] }, 'config file refused; the running version stays');
      return 'refused';
    }
    try {
      const { status, problems } = await opts.control.reloadFile(document, opts.path);
      if (status === 'refused') opts.log.error({ file: opts.path, problems: problems.map(formatProblem) }, 'config file refused; the running version stays');
      else if (status === 'applied') opts.log.info({ file: opts.path }, 'config file applied');
      return status;
    } catch (err) {
      // A conflict with a change made meanwhile, or the store away: the running version stays.
      opts.log.error({ file: opts.path, err: { message: (err as Error).message } }, 'config file not applied; the running version stays');
      return 'refused';
    }
  };

  try {
    watcher = watch(dirname(opts.path), (_event, file) => {
      if (file !== null && file !== name) return;
      clearTimeout(timer);
      timer = setTimeout(() => void reload(), opts.debounceMs ?? WATCH_DEBOUNCE_MS);
    });
    watcher.on('error', (err) => opts.log.warn({ err: { message: err.message } }, 'config file watch stopped; SIGHUP still reloads'));
  } catch (err) {
    opts.log.warn({ file: opts.path, err: { message: (err as Error).message } }, 'cannot watch the config file; SIGHUP still reloads');
  }

  return {
    reload,
    stop: () => {
      clearTimeout(timer);
      watcher?.close();
    },
  };
}
