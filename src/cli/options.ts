// Option values shared by the CLI's commands.
import { ApiError } from '../errors.ts';

/** A `--limit <n>` value: a whole number from 1 to max, or a 400 naming the option. */
export function parseLimit(raw: string, max: number): number {
  const limit = Number(raw);
  if (!Number.isInteger(limit) || limit < 1 || limit > max) throw new ApiError(400, `--limit must be a whole number from 1 to ${max}`);
  return limit;
}
