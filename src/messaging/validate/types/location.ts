// location: {latitude −90…90, longitude −180…180, name?, address?}. The same object is a
// template header parameter.
import { num, obj, onlyKeys, optStr } from '../check.ts';
import type { TypeResult } from './common.ts';

export function locationObject(v: unknown, f: string) {
  const o = obj(v, f);
  onlyKeys(o, f, ['latitude', 'longitude', 'name', 'address']);
  num(o.latitude, `${f}.latitude`, { min: -90, max: 90 });
  num(o.longitude, `${f}.longitude`, { min: -180, max: 180 });
  // "" is as not given (min 0), as for a contact card's optional fields: n8n's node always sends
  // both, the one left empty as "", and nothing says Meta refuses that.
  optStr(o.name, `${f}.name`, { max: 1000, min: 0 });
  optStr(o.address, `${f}.address`, { max: 1000, min: 0 });
  return o;
}

export function location(v: unknown, f: string): TypeResult {
  return { content: locationObject(v, f) };
}
