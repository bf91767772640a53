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
