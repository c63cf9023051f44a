import { createHash } from 'node:crypto';
import { mulberry32 } from '../../src/util/random';

// RFC 4122 URL namespace; the fact set's own namespace is the v5 UUID of its URN under it.
const URL_NAMESPACE = '6ba7b811-9dad-11d1-80b4-00c04fd430c8';
const FACTSET_NAMESPACE = uuidV5('urn:knowledge-neuron-explorer:factset', URL_NAMESPACE);

/** Name-based UUID (RFC 4122 version 5, SHA-1): the same name always gives the same id. */
export function uuidV5(name: string, namespace: string): string {
  const ns = Buffer.from(namespace.replace(/-/gu, ''), 'hex');
  const hash = createHash('sha1').update(ns).update(name, 'utf8').digest();
  hash[6] = (hash[6] & 0x0f) | 0x50;
  hash[8] = (hash[8] & 0x3f) | 0x80;
  const hex = hash.subarray(0, 16).toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** The id of one (relation, subject, object) fact, shared by every language. */
export function factUuid(relation: string, subjectCode: string, objectCode: string): string {
  return uuidV5(`${relation}|${subjectCode}|${objectCode}`, FACTSET_NAMESPACE);
}

/**
 * A deterministic generator in [0, 1) seeded from a string (mulberry32 over the first 32
 * bits of its SHA-256), so each fact's draw depends only on the seed and its own id.
 */
export function seededRandom(seed: string): () => number {
  return mulberry32(createHash('sha256').update(seed, 'utf8').digest().readUInt32LE(0));
}

/** k items drawn without replacement (partial Fisher-Yates), in draw order. */
export function sample<T>(items: readonly T[], k: number, random: () => number): T[] {
  const pool = [...items];
  const n = Math.min(k, pool.length);
  for (let i = 0; i < n; i++) {
    const j = i + Math.floor(random() * (pool.length - i));
    [pool[i], pool[j]] = [pool[j], pool[i]];
  }
  return pool.slice(0, n);
}
