import { inject } from 'vitest';
import type { Service } from './services.js';

declare module 'vitest' {
  export interface ProvidedContext {
    missingServices: Service[];
  }
}

/** Whether the tests needing `service` run here: `describe.skipIf(!hasService('promtool'))(...)`. */
export function hasService(service: Service): boolean {
  return !inject('missingServices').includes(service);
}
