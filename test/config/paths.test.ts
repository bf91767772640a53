import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { catalogRoot } from '../../src/config/catalog.js';
import { ConfigError, loadConfig } from '../../src/config/load.js';
import { startServerProcess } from '../helpers/server-process.js';

const repo = resolve('.');
let elsewhere: string;
beforeAll(() => {
  elsewhere = mkdtempSync(join(tmpdir(), 'mo-paths-'));
});
afterAll(() => rmSync(elsewhere, { recursive: true, force: true }));

/** Starts src/main.ts from `cwd` (not the repository), resolving once it listens. */
const startFrom = async (cwd: string, configFile: string) => {
  const tsx = pathToFileURL(resolve('node_modules/tsx/dist/esm/index.mjs')).href;
  const server = await startServerProcess(configFile, {}, { cwd, args: ['--import', tsx, join(repo, 'src/main.ts')] });
  const stop = () => {
    server.child.kill('SIGTERM');
    return server.exited;
  };
  return { ...server, stop };
};

describe('paths the server reads', () => {
  it('finds addons/ and templates/ beside the config file when started from another directory', async () => {
    const { url, stop } = await startFrom(elsewhere, join(repo, 'orchestration_config.json'));
    try {
      const templates = (await (await fetch(`${url}/templates`)).json()) as { templates: { name: string }[] } | { name: string }[];
      const names = (Array.isArray(templates) ? templates : templates.templates).map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['research_report', 'marketing_campaign', 'code_project']));
      const run = await fetch(`${url}/template/research_report`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ variables: { topic: 'heat pumps' } }),
      });
      expect(run.status).toBe(200);
    } finally {
      await stop();
    }
  }, 60_000);

  it('warns, naming the absolute paths, when the config file has no catalogue beside it', async () => {
    const dir = mkdtempSync(join(elsewhere, 'lonely-'));
    copyFileSync('orchestration_config.json', join(dir, 'cfg.json'));
    const { output, stop } = await startFrom(elsewhere, join(dir, 'cfg.json'));
    await stop();
    const log = output.join('');
    expect(log).toContain(`addons directory ${join(dir, 'addons')} does not exist`);
    expect(log).toContain(`templates directory ${join(dir, 'templates')} does not exist`);
    expect(log).toContain('set CATALOG_DIR');
  }, 60_000);

  it('uses CATALOG_DIR, relative to the working directory, when set', () => {
    expect(catalogRoot({ CATALOG_DIR: 'content' }, '/etc/mo/cfg.json')).toBe(resolve('content'));
    expect(catalogRoot({}, '/etc/mo/cfg.json')).toBe('/etc/mo');
  });

  it("resolves the config's storage.data_dir against the config file's directory", () => {
    const dir = mkdtempSync(join(elsewhere, 'data-'));
    copyFileSync('orchestration_config.json', join(dir, 'cfg.json'));
    expect(loadConfig({}, join(dir, 'cfg.json')).config.storage.data_dir).toBe(join(dir, 'data'));
  });

  it('says where a JSON syntax error is: line, column and the line itself', () => {
    const file = join(elsewhere, 'broken.json');
    writeFileSync(file, '{\n  "providers": {}\n  "models": {}\n}\n');
    let error: unknown;
    try {
      loadConfig({}, file);
    } catch (err) {
      error = err;
    }
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toContain("not valid JSON: line 3, column 3: ',' was expected");
    expect((error as Error).message).toContain('3 |   "models": {}');
  });
});
