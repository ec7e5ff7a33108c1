import { apiGet } from './api.js';
import { chartIn, tooltip } from './charts.js';

/** How often the live view reads the fleet again. */
const refreshMs = 10_000;

const sum = (minutes, field) => minutes.reduce((total, minute) => total + minute[field], 0);
const clock = (iso) => new Date(iso).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
/** The reason codes without their common prefix: `PARCOURS_E_BAD_JSON` reads `BAD_JSON`. */
const shortReason = (code) => code.replace(/^PARCOURS_E_/, '');

function render(section, fleet) {
  const figures = {
    online: fleet.devices.online,
    registered: fleet.devices.registered,
    accepted: sum(fleet.perMinute, 'accepted'),
    quarantined: sum(fleet.perMinute, 'quarantined'),
    held: fleet.quarantine.held,
  };
  for (const [name, value] of Object.entries(figures)) section.querySelector(`[data-figure="${name}"]`).textContent = value.toLocaleString('en');

  chartIn(section.querySelector('#fleet-minutes')).setOption({
    tooltip: tooltip({ trigger: 'axis' }),
    legend: { top: 4 },
    grid: { left: 56, right: 24, top: 40, bottom: 32 },
    xAxis: { type: 'category', data: fleet.perMinute.map((minute) => clock(minute.start)) },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: 'accepted', type: 'bar', stack: 'messages', color: '#2563eb', data: fleet.perMinute.map((minute) => minute.accepted) },
      { name: 'quarantined', type: 'bar', stack: 'messages', color: '#dc2626', data: fleet.perMinute.map((minute) => minute.quarantined) },
    ],
  });

  const reasons = [...fleet.quarantine.byReason].reverse(); // the largest at the top
  section.querySelector('#fleet-no-quarantine').hidden = reasons.length > 0;
  const reasonsChart = section.querySelector('#fleet-reasons');
  reasonsChart.hidden = reasons.length === 0;
  if (reasons.length === 0) return;
  const chart = chartIn(reasonsChart);
  chart.resize();
  chart.setOption({
    tooltip: tooltip(),
    grid: { left: 160, right: 48, top: 8, bottom: 24 },
    xAxis: { type: 'value', minInterval: 1 },
    yAxis: { type: 'category', data: reasons.map((r) => shortReason(r.reason)) },
    series: [{ type: 'bar', color: '#dc2626', label: { show: true, position: 'right' }, data: reasons.map((r) => r.count) }],
  });
}

/** The fleet live: devices online, messages per minute over the last hour, the quarantine by reason. */
export async function showFleet(section, _query, showError) {
  const refresh = async () => render(section, await apiGet('/fleet'));
  await refresh();
  const timer = setInterval(() => refresh().catch(showError), refreshMs);
  return () => clearInterval(timer);
}
