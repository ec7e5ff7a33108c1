import type { WeightedScheme } from '@parcours/analytics';
import type { Gateway } from '@parcours/gateway';
import { PanelStore, SchemeService, SchemeStore, storeUniverseSources, type UniverseSources } from '@parcours/panels';
import { PromptStore, SurveyStore } from '@parcours/surveys';

/** What panels and schemes read of a gateway's store: its individuals, consents, log and profile attributes. */
export function gatewayUniverseSources(gateway: Gateway): UniverseSources {
  return storeUniverseSources({
    registry: gateway.registry,
    consents: gateway.consents,
    log: gateway.log,
    profileAttributes: (at, names) => gateway.profiles.resolvedAttributes(at, names),
  });
}

/** Who answered a survey's prompts by a date, for schemes of its respondents; null for a survey not in the store. */
export function storedRespondents(surveys: SurveyStore, prompts: PromptStore): (surveyId: string, at: number) => ReadonlySet<string> | null {
  return (surveyId, at) => (surveys.get(surveyId) ? prompts.respondents(surveyId, at) : null);
}

/** The weighting schemes of a gateway's store, for a command that only reads their runs. */
export function storedSchemes(gateway: Gateway): SchemeService {
  return new SchemeService({
    store: new SchemeStore(gateway.db),
    panels: new PanelStore(gateway.db, gateway.registry),
    registry: gateway.registry,
    sources: gatewayUniverseSources(gateway),
    respondents: storedRespondents(new SurveyStore(gateway.db), new PromptStore(gateway.db)),
  });
}

/** The schemes whose latest version ran, as the aggregate job takes them: each weighting redone from its run when asked. */
export function weightedSchemes(schemes: SchemeService): WeightedScheme[] {
  return schemes.latestRuns().map(({ schemeId, version }) => ({ schemeId, version, sample: () => schemes.weighting(schemeId, version) }));
}
