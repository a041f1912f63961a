import type { Clock } from './clock.ts';
import type { Config } from './config.ts';
import type { Db } from './db/index.ts';

/** What every service and route is handed: configuration, the database and the clock. */
export interface Deps {
  config: Config;
  db: Db;
  clock: Clock;
}
