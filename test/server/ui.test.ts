import { mkdtempSync } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { consoleBuild } from '../console/browser.js';
import { startTestApp, type TestApp } from '../helpers/app.js';

describe('the console at /ui', () => {
  let t: TestApp;
  let assets: string[];
  beforeAll(async () => {
    const dir = await consoleBuild();
    assets = await readdir(join(dir, 'assets'));
    t = await startTestApp({ uiDir: dir, apiKeys: ['client-key-123456'] });
  });
  afterAll(async () => t?.close());

  it('serves the app without a key, index.html never cached, for /ui and any page path under it', async () => {
    for (const path of ['/ui', '/ui/', '/ui/models', '/ui/runs/some-run-id']) {
      const res = await t.app.inject({ url: path });
      expect(res.statusCode, path).toBe(200);
      expect(res.headers['content-type'], path).toMatch(/text\/html/);
      expect(res.headers['cache-control'], path).toBe('no-cache');
      expect(res.body, path).toContain('<div id="app">');
    }
  });

  it('serves hashed assets as immutable for a year, and a missing one as a JSON 404 rather than the app', async () => {
    expect(assets.some((f) => f.endsWith('.js'))).toBe(true);
    for (const file of assets) {
      const res = await t.app.inject({ url: `/ui/assets/${file}` });
      expect(res.statusCode, file).toBe(200);
      expect(res.headers['cache-control'], file).toBe('public, max-age=31536000, immutable');
    }
    const missing = await t.app.inject({ url: '/ui/assets/index-00000000.js' });
    expect(missing.statusCode).toBe(404);
    expect(missing.json().error.type).toBe('not_found');
  });

  it('leaves the API as it was: its routes still need the key, and unknown paths outside /ui are JSON 404s', async () => {
    expect((await t.app.inject({ url: '/stats' })).statusCode).toBe(401);
    const res = await t.app.inject({ url: '/uix', headers: { authorization: 'Bearer client-key-123456' } });
    expect(res.statusCode).toBe(404);
    expect(res.json().error.type).toBe('not_found');
  });

  it('says how to build the console when its folder holds no build', async () => {
    const empty = await startTestApp({ uiDir: mkdtempSync(join(tmpdir(), 'no-ui-')) });
    const res = await empty.app.inject({ url: '/ui/models' });
    await empty.close();
    expect(res.statusCode).toBe(404);
    expect(res.json().error.message).toMatch(/npm run build/);
  });
});
