import type { AttributeCondition } from '@parcours/contracts';
import type { Gateway } from '@parcours/gateway';
import { meets, type ProfileValue } from '@parcours/panels';

/** What the trigger job and the delivery read of a person, as of an instant. */
export interface SurveyPeople {
  /** The collectives (panels and communities among them) the person belonged to at `t`. */
  collectivesAt(personId: string, t: number): string[];
  /** Whether the person's profile attributes at `t` (as panels' universes read them) meet every condition. */
  meetsAt(personId: string, t: number, conditions: readonly AttributeCondition[]): boolean;
  /** The person's `timezone` profile attribute at `t`, if any. */
  timeZoneAt(personId: string, t: number): string | undefined;
  /** Whether the person's last word on `surveys` by `t` is an opt-out. */
  optedOutOfSurveys(personId: string, t: number): boolean;
  /** The devices assigned to the person at `t`, with their type. */
  devicesAt(personId: string, t: number): { id: string; type: string }[];
}

const all = { limit: -1, offset: 0 } as const;

/** People as the gateway's store holds them: the registry as of an instant, consents, profiles (a profile's value wins over the registry's). */
export function gatewayPeople(gateway: Gateway): SurveyPeople {
  const { registry, consents, profiles, asOf } = gateway;
  const attributeAt = (personId: string, t: number, name: string): ProfileValue | undefined =>
    profiles.resolvedAttributes(t, [name]).get(personId)?.[name] ?? registry.getSubject(personId)?.attributes[name] ?? undefined;
  return {
    collectivesAt: (personId, t) => asOf.collectivesAt(personId, t),
    meetsAt: (personId, t, conditions) => conditions.every((condition) => meets(attributeAt(personId, t, condition.name), condition)),
    timeZoneAt: (personId, t) => {
      const zone = attributeAt(personId, t, 'timezone');
      return typeof zone === 'string' ? zone : undefined;
    },
    optedOutOfSurveys: (personId, t) => consents.optedOut(personId, 'surveys', t),
    devicesAt: (personId, t) =>
      registry
        .listAssignments({ subjectId: personId, ...all })
        .filter((a) => a.validFrom <= t && (a.validTo === null || t < a.validTo))
        .flatMap((a) => {
          const device = registry.getDevice(a.deviceId);
          return device ? [{ id: device.id, type: device.type }] : [];
        }),
  };
}
