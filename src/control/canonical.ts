import { createHash } from 'node:crypto';
import canonicalize from 'canonicalize';

/**
 * The canonical JSON of a config document: RFC 8785 (JSON Canonicalization Scheme),
 * that is keys sorted by UTF-16 code units and no whitespace, via the `canonicalize`
 * package. The same document always yields the same text, whatever its key order or
 * indentation, so its hash names its content.
 */
export function canonicalJson(document: unknown): string {
  const text = canonicalize(document);
  if (text === undefined) throw new TypeError('the document cannot be serialised as JSON');
  return text;
}

/** A config version's id: the SHA-256 (hex, 64 characters) of the document's canonical JSON. */
export const configHash = (document: unknown): string => createHash('sha256').update(canonicalJson(document)).digest('hex');
