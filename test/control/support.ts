/** HTTP helpers for the admin API tests. */

export const ADMIN_KEYS = 'alice:admin-key-alice-1234,ops:admin-key-ops-5678';
export const ALICE = 'admin-key-alice-1234';

export interface Answer<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

export async function call<T = any>(url: string, method: string, path: string, opts: { key?: string; body?: unknown } = {}): Promise<Answer<T>> {
  const headers: Record<string, string> = {};
  if (opts.key) headers.authorization = `Bearer ${opts.key}`;
  if (opts.body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${url}${path}`, { method, headers, body: opts.body === undefined ? undefined : JSON.stringify(opts.body) });
  const text = await res.text();
  return { status: res.status, body: (text ? JSON.parse(text) : null) as T, headers: res.headers };
}

/** An admin client bound to one server and key. */
export const admin = (url: string, key = ALICE) => ({
  get: <T = any>(path: string) => call<T>(url, 'GET', path, { key }),
  post: <T = any>(path: string, body: unknown) => call<T>(url, 'POST', path, { key, body }),
  delete: <T = any>(path: string) => call<T>(url, 'DELETE', path, { key }),
});
