import { errorCodes, ParcoursError } from '@parcours/contracts';

/** Bounds on the g-weights g_k = w_k/d_k: infinite when absent. */
export interface GBounds {
  lower: number;
  upper: number;
}

/**
 * A calibration distance, given as Deville & Särndal do by the inverse F of its derivative: g_k = F(x_kᵀλ).
 * `g` is F(u) and `slope` F′(u), both within the bounds as R's `survey` computes them (the slope is taken as
 * zero where u lies outside (lower − 1, upper − 1), for the raking distance too).
 */
export interface Distance {
  g(u: number): number;
  slope(u: number): number;
}

export type DistanceName = 'linear' | 'raking' | 'logit';

const clamp = (value: number, { lower, upper }: GBounds) => Math.min(Math.max(value, lower), upper);
const inside = (u: number, { lower, upper }: GBounds) => u < upper - 1 && u > lower - 1;

/** The distance of that name within those bounds; the logit distance needs finite bounds around 1. */
export function distanceOf(name: DistanceName, bounds: GBounds): Distance {
  switch (name) {
    case 'linear':
      // Chi-square distance: g = 1 + u, truncated at the bounds.
      return { g: (u) => clamp(1 + u, bounds), slope: (u) => (inside(u, bounds) ? 1 : 0) };
    case 'raking':
      // Multiplicative (entropy) distance: g = exp(u), always positive.
      return { g: (u) => clamp(Math.exp(u), bounds), slope: (u) => (inside(u, bounds) ? Math.exp(u) : 0) };
    case 'logit': {
      const { lower: L, upper: U } = bounds;
      if (!(Number.isFinite(L) && Number.isFinite(U) && L < 1 && U > 1)) {
        throw new ParcoursError(errorCodes.validation, `the logit distance needs finite bounds with lower < 1 < upper, not [${L}, ${U}]`);
      }
      // g runs from L to U along a logistic curve through g(0) = 1.
      const A = (U - L) / ((U - 1) * (1 - L));
      return {
        g: (u) => {
          const e = Math.exp(A * u);
          return (L * (U - 1) + U * (1 - L) * e) / (U - 1 + (1 - L) * e);
        },
        slope: (u) => {
          const e = Math.exp(A * u);
          const denominator = U - 1 + (1 - L) * e;
          return (U * (1 - L) * e * A) / denominator - ((L * (U - 1) + U * (1 - L) * e) * ((1 - L) * e * A)) / denominator ** 2;
        },
      };
    }
  }
}
