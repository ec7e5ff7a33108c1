import type { AttributeCondition, UniverseFilter, UsageCondition } from '@parcours/contracts';

export type ProfileValue = string | number | boolean;

/** An individual the universe holds as of its date: its attributes, and its active days per usage measure. */
export interface UniverseMember {
  id: string;
  attributes: Readonly<Record<string, ProfileValue>>;
  /** Days active in the window, by usage key (`usageKey`). */
  usage: Readonly<Record<string, number>>;
}

/** What a universe is built from, read as of its date. */
export interface UniverseSources {
  /** The individuals of the registry (of a type, or all), with the attributes on their subject record. */
  individuals(type: string | null): Iterable<{ id: string; attributes: Readonly<Record<string, ProfileValue | null>> }>;
  /** Profile attributes of these names as of `at`: the winning value of each, per individual that has any. */
  profileAttributes(at: number, names: readonly string[]): ReadonlyMap<string, Readonly<Record<string, ProfileValue>>>;
  /** Individuals whose last word on panels, as of `at`, is an opt-out. */
  optedOutOfPanels(at: number): ReadonlySet<string>;
  /** Active days in `[at - within, at)` of the devices of the type, per individual using them as of `at`. */
  activeDays(deviceType: string, within: number, at: number): ReadonlyMap<string, number>;
}

/** The name a usage measure takes among a member's usage values and in reports (`coffee_machine@30d`). */
export const usageKey = (deviceType: string, within: number): string => `${deviceType}@${Math.round(within / 86_400_000)}d`;

/** What a universe's members hold beyond what its filter reads: the attributes and usage measures a panel draws, balances or judges on. */
export interface UniverseKept {
  attributes?: readonly string[];
  measures?: readonly { deviceType: string; within: number }[];
  /** Keep those who opted out of panels: the population a panel stands for, rather than whom it may draw. */
  withOptedOut?: boolean;
}

/**
 * The individuals a panel may be drawn from, as of `at`: of the filter's type, meeting every attribute and
 * usage condition, and not opted out of panels. Profile attributes win over those of the subject record
 * (which fill in where no source says anything). Members hold the attributes and usage values the filter
 * reads and those `kept`, no others: a universe of 300,000 reads only what its panel uses.
 */
export function buildUniverse(filter: UniverseFilter, at: number, sources: UniverseSources, kept: UniverseKept = {}): UniverseMember[] {
  const names = [...new Set([...filter.attributes.map((c) => c.name), ...(kept.attributes ?? [])])];
  const profiles = sources.profileAttributes(at, names);
  const optedOut = kept.withOptedOut ? new Set<string>() : sources.optedOutOfPanels(at);
  const usageMeasures = new Map<string, { deviceType: string; within: number }>();
  for (const m of [...filter.usage.map((u) => ({ deviceType: u.deviceType, within: u.activeWithin })), ...(kept.measures ?? [])])
    usageMeasures.set(usageKey(m.deviceType, m.within), m);
  const activeDays = new Map([...usageMeasures].map(([key, m]) => [key, sources.activeDays(m.deviceType, m.within, at)]));

  const members: UniverseMember[] = [];
  for (const individual of sources.individuals(filter.type)) {
    if (optedOut.has(individual.id)) continue;
    const attributes = mergedAttributes(names, individual.attributes, profiles.get(individual.id));
    if (!filter.attributes.every((condition) => meets(attributes[condition.name], condition))) continue;
    const usage: Record<string, number> = {};
    for (const [key, days] of activeDays) usage[key] = days.get(individual.id) ?? 0;
    if (!filter.usage.every((u) => meetsUsage(usage, u))) continue;
    members.push({ id: individual.id, attributes, usage });
  }
  return members.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}

function mergedAttributes(
  names: readonly string[],
  own: Readonly<Record<string, ProfileValue | null>>,
  profile: Readonly<Record<string, ProfileValue>> | undefined,
): Record<string, ProfileValue> {
  const merged: Record<string, ProfileValue> = {};
  for (const name of names) {
    const value = profile?.[name] ?? own[name];
    if (value !== undefined && value !== null) merged[name] = value;
  }
  return merged;
}

/** Values compare as text for `in`/`notIn` (a CSV's `3` is the JSON's 3), as numbers for `min`/`max`. */
export function meets(value: ProfileValue | undefined, c: AttributeCondition): boolean {
  if (c.present !== undefined && (value !== undefined) !== c.present) return false;
  if (value === undefined) return c.present === false || (c.notIn !== undefined && !c.in && c.min === undefined && c.max === undefined);
  const text = String(value);
  if (c.in && !c.in.some((v) => String(v) === text)) return false;
  if (c.notIn?.some((v) => String(v) === text)) return false;
  if (c.min !== undefined || c.max !== undefined) {
    const number = typeof value === 'number' ? value : Number(text);
    if (text.trim() === '' || !Number.isFinite(number)) return false;
    if (c.min !== undefined && number < c.min) return false;
    if (c.max !== undefined && number > c.max) return false;
  }
  return true;
}

const meetsUsage = (usage: Record<string, number>, u: UsageCondition): boolean => (usage[usageKey(u.deviceType, u.activeWithin)] ?? 0) >= u.minActiveDays;
