import * as z from 'zod';

/**
 * Names a caller may not choose for anything the runtime keys by name (task ids, outputs,
 * workflow inputs and variables, config keys): the members of `Object.prototype`
 * (`__proto__`, `constructor`, `toString`, `hasOwnProperty`, …) and `prototype`. Used as a
 * plain-object key such a name reads or replaces what every object inherits (a task `__proto__`
 * "completed" with output `{}`), so it is refused at validation with the path that holds it,
 * rather than special-cased wherever a name becomes a key.
 */
export const RESERVED_NAMES: ReadonlySet<string> = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

/** Why `name` may not be used, or null when it may. */
export function reservedNameProblem(name: string): string | null {
  return RESERVED_NAMES.has(name) ? `'${name}' is a reserved name (a member of every JavaScript object); choose another name` : null;
}

/** `schema` (a string schema) refusing the reserved names, with `reservedNameProblem`'s message at the value's path. */
export const notReserved = <S extends z.ZodType<string>>(schema: S) =>
  schema.superRefine((name, ctx) => {
    const message = reservedNameProblem(name);
    if (message) ctx.addIssue({ code: 'custom', message });
  });

/**
 * `schema` (a record schema) refusing reserved keys, each at its own path with `reservedNameProblem`'s
 * message (a refined key schema would only say "Invalid key in record"). zod drops a `__proto__` key
 * from a record's output; HTTP bodies never carry one, since Fastify's JSON parser refuses it.
 */
export const withoutReservedKeys = <S extends z.ZodType<Record<string, unknown>>>(schema: S) =>
  schema.superRefine((record, ctx) => {
    for (const key of Object.keys(record)) {
      const message = reservedNameProblem(key);
      if (message) ctx.addIssue({ code: 'custom', message, path: [key] });
    }
  });
