// biome-ignore-all lint/suspicious/noApproximativeNumericConstant: fitted ratios, not constants such as 1/√2
import type { InferenceModel } from './inference-model.js';

/** The model's parameters, as fitted by tools/inference-fit (docs/analytics.md, "Actor inference"). */
export const fittedModel: InferenceModel = {
  edgesMin: [-30, -20, -10, -5, -3, -2, -1, 0, 1, 2, 3, 5, 10, 20, 30],
  byDeviceType: {
    activity_tracker: { offset: [0.595, 1.44, 2.84, 2.15, 20.5, 50, 4.39, 1.3, 1.44, 0.784, 0.668, 1.33, 0.583, 0.671], silent: 0.546 },
    call_button: { offset: [1.97, 1.9, 1.09, 3.01, 2.4, 2.19, 1.72, 2.25, 3.01, 0.802, 2.67, 1.24, 1.68, 0.982], silent: 0.966 },
    dect_phone: { offset: [1.52, 2.05, 0.822, 1.18, 3.27, 0.896, 2.43, 0.845, 4.27, 6.72, 6.97, 5, 2.02, 2.06], silent: 0.602 },
    phone: { offset: [2.09, 2.67, 1.87, 1.66, 1, 0.859, 2.58, 2.4, 2.25, 4.37, 2, 2, 1.48, 1.66], silent: 0.94 },
    toothbrush: { offset: [0.0157, 0.0174, 0.043, 0.0586, 0.107, 0.215, 0.0496, 0.0859, 0.201, 0.129, 1.5, 16.5, 13.9, 0.843], silent: 0.000939 },
  },
  temperature: 1,
  calibration: { slope: 1.06, intercept: 0.119 },
};
