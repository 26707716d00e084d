import type { ValueTransformer } from 'typeorm';

/** BIGINT ids and amounts stay below 2^53: read them as numbers, not strings. */
export const bigintNumber: ValueTransformer = {
  to: (v: unknown) => v,
  from: (v: unknown) => (v === null || v === undefined ? v : Number(v)),
};
