import { apiGet } from './api.js';
import { chartIn, tooltip } from './charts.js';
import { dayOf, midnight } from './dates.js';

/** Sankey nodes must not loop (a coffee machine followed by another): each type has a node on each side. */
const before = (type) => `${type} ›`;
const after = (type) => `› ${type}`;
const minutes = (seconds) => `${Math.round(seconds / 60)} min`;

function render(section, transitions) {
  const total = transitions.reduce((sum, t) => sum + t.count, 0);
  const summary = section.querySelector('#paths-summary');
  summary.textContent = transitions.length === 0 ? 'No journey of two steps or more started in these days.' : '';
  if (transitions.length > 0) {
    const output = (name, value) => {
      const element = document.createElement('output');
      element.dataset.figure = name;
      element.textContent = value;
      return element;
    };
    summary.append(output('transitions', total), ' steps from one device to the next, of ', output('kinds', transitions.length), ' kinds.');
  }
  const chart = section.querySelector('#paths-sankey');
  chart.hidden = transitions.length === 0;
  if (transitions.length === 0) return;
  const nodes = [...new Set(transitions.flatMap((t) => [before(t.fromType), after(t.toType)]))].map((name) => ({ name }));
  chartIn(chart).setOption(
    {
      tooltip: tooltip({
        formatter: (item) =>
          item.dataType === 'edge'
            ? `${item.data.source} ${item.data.target}: ${item.data.value} times, median gap ${minutes(item.data.medianGapS)}`
            : `${item.name}: ${item.value}`,
      }),
      series: [
        {
          type: 'sankey',
          left: 16,
          right: 160,
          emphasis: { focus: 'adjacency' },
          lineStyle: { color: 'gradient', opacity: 0.4 },
          data: nodes,
          links: transitions.map((t) => ({ source: before(t.fromType), target: after(t.toType), value: t.count, medianGapS: t.medianGapS })),
        },
      ],
    },
    { notMerge: true },
  );
}

/** Paths: a Sankey of the transitions from one device type to the next within journeys. */
export async function showPaths(section, query) {
  const form = section.querySelector('#paths-form');
  const today = dayOf(new Date());
  form.from.value = query.get('from') ?? dayOf(midnight(today, -6));
  form.to.value = query.get('to') ?? today;
  form.onsubmit = (event) => {
    event.preventDefault();
    window.location.hash = `#paths?${new URLSearchParams({ from: form.from.value, to: form.to.value })}`;
  };
  const range = { from: midnight(form.from.value).toISOString(), to: midnight(form.to.value, 1).toISOString() };
  render(section, (await apiGet('/transitions', range)).items);
  return () => {};
}
