/**
 * Checks an image reference a caller sends (request `images`, vision tasks).
 * Only `https://` URLs and base64 `data:image/...` URIs are accepted; the
 * server never fetches a URL itself — it is handed to the vision model as is.
 */

const DATA_URI = /^data:image\/[a-z0-9.+-]+;base64,([A-Za-z0-9+/]+={0,2})$/i;

/** A reason the reference is unacceptable, or null when it is fine. */
export function imageReferenceProblem(ref: string, maxDataUriBytes: number): string | null {
  if (ref.startsWith('data:')) {
    const match = DATA_URI.exec(ref);
    if (!match) return 'must be a base64 data:image/...;base64,... URI';
    const bytes = Math.floor((match[1]!.length * 3) / 4);
    if (bytes > maxDataUriBytes) return `image data is ${bytes} bytes; the limit is ${maxDataUriBytes}`;
    return null;
  }
  let url: URL;
  try {
    url = new URL(ref);
  } catch {
    return 'must be an https:// URL or a data:image/... URI';
  }
  if (url.protocol !== 'https:') return `scheme '${url.protocol.replace(/:$/, '')}' is not allowed; use https:// or a data:image/... URI`;
  if (!url.hostname) return 'must name a host';
  return null;
}

/**
 * Every problem with a request's image references — their count and each one's
 * form and decoded size — as error details. The one check both /chat (`images`)
 * and /v1/chat/completions (`image_url` parts) use; `countPath` names the list.
 */
export function imageProblems(
  refs: ReadonlyArray<{ path: string; url: string }>,
  countPath: string,
  limits: { max_images: number; max_image_data_uri_bytes: number },
): Array<{ path: string; message: string }> {
  const problems: Array<{ path: string; message: string }> = [];
  if (refs.length > limits.max_images) problems.push({ path: countPath, message: `${refs.length} images; the limit is ${limits.max_images}` });
  for (const ref of refs) {
    const problem = imageReferenceProblem(ref.url, limits.max_image_data_uri_bytes);
    if (problem) problems.push({ path: ref.path, message: problem });
  }
  return problems;
}

/** Why `model` cannot take this request's images (it lacks `text` or `vision`), or null. Both doors answer it as a 400. */
export function visionProblem(model: string, capabilities: readonly string[], hasImages: boolean): string | null {
  const needs = hasImages ? ['text', 'vision'] : ['text'];
  const lacking = needs.find((c) => !capabilities.includes(c));
  return lacking ? `model '${model}' lacks the '${lacking}' capability this request needs` : null;
}
