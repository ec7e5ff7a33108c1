import type { ApiKeyInfo } from '@parcours/contracts';

/** Routes an integrator may read, for the subjects granted to it: the results about that subject. */
const integratorRoutes = new Set(['/api/v1/subjects/:id/sessions', '/api/v1/subjects/:id/journeys']);

/** Routes anyone may call without a key. */
export const publicRoutes = new Set(['/healthz']);

/** Whether a key's role allows this request (DESIGN's roles): pure, so every rule has a unit test. */
export function allows(key: ApiKeyInfo, request: { method: string; routeUrl: string; params: Record<string, string> }): boolean {
  const reading = request.method === 'GET' || request.method === 'HEAD';
  switch (key.role) {
    case 'admin':
      return true;
    case 'reader':
      return reading;
    case 'integrator':
      return reading && integratorRoutes.has(request.routeUrl) && key.subjects.includes(request.params.id ?? '');
  }
}
