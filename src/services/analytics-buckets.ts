// Time buckets of Meta's analytics (half hours, days, months, in UTC) over the stored messages'
// ISO created_at text: a literal-length substr truncates the same way on SQLite and PostgreSQL
// (as services/usage.ts does), and a half hour is found from the minute in code.
import { sql, type RawBuilder } from 'kysely';

export type Bucket = 'HALF_HOUR' | 'DAY' | 'MONTH';

/** The created_at prefix a GROUP BY takes for the bucket: the minute for half hours. */
export function periodExpr(bucket: Bucket, column = 'created_at'): RawBuilder<string> {
  return sql<string>`substr(${sql.ref(column)}, 1, ${sql.lit(bucket === 'MONTH' ? 7 : bucket === 'DAY' ? 10 : 16)})`;
}

/** A period prefix (YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM) → its bucket's bounds in Unix seconds. */
export function bucketOf(period: string, bucket: Bucket): { start: number; end: number } {
  const y = Number(period.slice(0, 4));
  const m = Number(period.slice(5, 7)) - 1;
  let start: number;
  let end: number;
  if (bucket === 'MONTH') {
    start = Date.UTC(y, m, 1);
    end = Date.UTC(y, m + 1, 1);
  } else if (bucket === 'DAY') {
    const d = Number(period.slice(8, 10));
    start = Date.UTC(y, m, d);
    end = Date.UTC(y, m, d + 1);
  } else {
    const d = Number(period.slice(8, 10));
    const minutes = Number(period.slice(11, 13)) * 60 + (Number(period.slice(14, 16)) >= 30 ? 30 : 0);
    start = Date.UTC(y, m, d, 0, minutes);
    end = start + 30 * 60_000;
  }
  return { start: start / 1000, end: end / 1000 };
}
