import jsonpatch, { type Operation } from 'fast-json-patch';
import type { Problem } from '../config/load.js';
import type { PatchOperation } from './patch-schema.js';

export type { PatchOperation } from './patch-schema.js';

/** RFC 6902 patch turning `from` into `to` (fast-json-patch's `compare`). */
export const diffDocuments = (from: unknown, to: unknown): PatchOperation[] => jsonpatch.compare(from as object, to as object) as PatchOperation[];

/**
 * Applies an RFC 6902 patch to a copy of `document` with fast-json-patch's validation.
 * Every operation that cannot apply is a problem named `patch.<index>` (and is skipped,
 * so the ones after it are still checked); the document is never changed.
 */
export function applyDocumentPatch(document: unknown, patch: readonly PatchOperation[]): { document: unknown; problems: Problem[] } {
  let current = structuredClone(document);
  const problems: Problem[] = [];
  patch.forEach((operation, index) => {
    try {
      current = jsonpatch.applyOperation(structuredClone(current), structuredClone(operation) as Operation, true, true, true).newDocument;
    } catch (err) {
      if (!(err instanceof jsonpatch.JsonPatchError)) throw err;
      const at = typeof operation?.path === 'string' ? ` at '${operation.path}'` : '';
      problems.push({ path: `patch.${index}`, message: `${err.name.toLowerCase()}: ${err.message.split('\n')[0]}${at}` });
    }
  });
  return { document: current, problems };
}
