import { describe, expect, it } from 'vitest';
import { shippedConfig } from '../../test/helpers/app.js';
import { parseConfig } from './load.js';
import { RESERVED_NAMES, reservedNameProblem } from './reserved-names.js';

describe('reserved names', () => {
  it('are the members of Object.prototype and prototype', () => {
    for (const name of ['__proto__', 'constructor', 'prototype', 'toString', 'hasOwnProperty', 'isPrototypeOf', '__lookupSetter__']) {
      expect(RESERVED_NAMES.has(name)).toBe(true);
    }
    expect(reservedNameProblem('proto')).toBeNull();
  });

  it('a config model or provider key named constructor is refused with its path', () => {
    const raw = shippedConfig();
    const [first] = Object.keys(raw.models);
    raw.models.constructor = raw.models[first!];
    raw.providers.constructor = Object.values(raw.providers)[0];
    let message = '';
    try {
      parseConfig(raw, {});
    } catch (err) {
      message = JSON.stringify(err, Object.getOwnPropertyNames(err)) + String(err);
    }
    expect(message).toMatch(/models\.constructor/);
    expect(message).toMatch(/providers\.constructor/);
    expect(message).toMatch(/reserved name/);
  });
});
