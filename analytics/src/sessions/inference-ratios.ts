// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: fitted ratios, not constants such as 1/√2
import type { InferenceModel } from './inference-model.js';

/** The model's parameters, as fitted by tools/inference-fit (docs/analytics.md, "Actor inference"). */
export const fittedModel: InferenceModel = {
  edgesMin: [-30, -20, -10, -5, -3, -2, -1, 0, 1, 2, 3, 5, 10, 20, 30],
  byDeviceType: {
    activity_tracker: { offset: [0.596, 1.24, 4.56, 2.99, 19.3, 45.3, 3.13, 0.997, 1.03, 0.775, 0.646, 1.02, 0.482, 0.75], silent: 0.531 },
    call_button: { offset: [2.09, 1.94, 1.79, 2.45, 1.06, 1.55, 0.969, 1.94, 2.33, 0.529, 2.33, 0.931, 1.26, 1.06], silent: 0.967 },
    dect_phone: { offset: [1.47, 1.76, 0.878, 1.03, 3.3, 0.707, 2.39, 0.82, 3.77, 5.66, 6.95, 4.64, 1.87, 2.1], silent: 0.629 },
    phone: { offset: [1.71, 2.04, 1.61, 2.94, 6.94, 5.15, 1.02, 3.66, 1.14, 1.57, 1.61, 2.14, 0.958, 1.18], silent: 0.913 },
    toothbrush: { offset: [0.00821, 0.0214, 0.0601, 0.0848, 0.112, 0.0785, 0.161, 0.124, 0.188, 0.217, 1.06, 12.1, 13.2, 0.547], silent: 0.000468 },
  },
  temperature: 1,
};
