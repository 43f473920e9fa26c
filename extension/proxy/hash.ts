// SHA-256 and random ids for the proxy, on node:crypto (the policy core takes SHA-256 injected).

import { hash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { Sha256 } from '../../policies';

/** Hex SHA-256 of a UTF-8 string (one-shot `crypto.hash`: no Hash object per call, about half the cost). */
export const sha256: Sha256 = (text) => hash('sha256', text, 'hex');

/** A random hex string of `bytes` bytes. */
export function randomHex(bytes: number): string {
  return randomBytes(bytes).toString('hex');
}

/** Compare two secrets in constant time. */
export function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a, 'utf8');
  const y = Buffer.from(b, 'utf8');
  return x.length === y.length && timingSafeEqual(x, y);
}
