import { apiGet } from './api.js';
import { chartIn, clipToPlot, tooltip } from './charts.js';
import { clock, dayOf, midnight } from './dates.js';

const colors = { session: '#2563eb', journey: '#7c3aed', open: '#f59e0b' };
const journeysRow = 'journeys';

/** A bar of the timeline: a session on its device's row, or a journey on the top row; an open one in amber. */
const bar = (row, result, kind, label) => ({
  name: label,
  value: [row, Date.parse(result.start), Date.parse(result.end)],
  status: result.status,
  itemStyle: { color: result.status === 'open' ? colors.open : colors[kind] },
});

function renderItem(params, api) {
  const [left, middle] = api.coord([api.value(1), api.value(0)]);
  const [right] = api.coord([api.value(2), api.value(0)]);
  const height = Math.min(api.size([0, 1])[1] * 0.6, 24);
  // A session of a single message has no length: it still shows, as a thin bar.
  const shape = clipToPlot({ x: left, y: middle - height / 2, width: Math.max(right - left, 3), height }, params.coordSys);
  return shape && { type: 'rect', transition: ['shape'], shape, style: api.style() };
}

function renderTimeline(section, day, sessions, journeys) {
  const devices = [...new Set(sessions.map((s) => `${s.deviceId} (${s.deviceType})`))].sort();
  const rows = [journeysRow, ...devices];
  const data = [
    ...journeys.map((j) => bar(0, j, 'journey', `journey ${j.path.replaceAll('>', ' → ')}`)),
    ...sessions.map((s) => bar(rows.indexOf(`${s.deviceId} (${s.deviceType})`), s, 'session', `${s.deviceType} session${s.actor ? ` of ${s.actor}` : ''}`)),
  ];
  chartIn(section.querySelector('#day-timeline')).setOption(
    {
      tooltip: tooltip({
        formatter: (item) => `${item.name}\n${clock(item.value[1])}–${clock(item.value[2])}${item.data.status === 'open' ? ' (open)' : ''}`,
      }),
      grid: { left: 200, right: 24, top: 16, bottom: 32 },
      xAxis: { type: 'time', min: midnight(day).getTime(), max: midnight(day, 1).getTime(), axisLabel: { formatter: '{HH}:{mm}' } },
      yAxis: { type: 'category', data: rows, inverse: true },
      series: [{ type: 'custom', renderItem, encode: { x: [1, 2], y: 0 }, data }],
    },
    { notMerge: true },
  );
}

function renderJourneys(section, journeys) {
  const body = section.querySelector('#day-journeys tbody');
  body.replaceChildren(
    ...journeys.map((j) => {
      const row = document.createElement('tr');
      for (const text of [clock(Date.parse(j.start)), clock(Date.parse(j.end)), j.path.replaceAll('>', ' → '), j.steps, j.status]) {
        const cell = row.insertCell();
        cell.textContent = text;
      }
      row.lastElementChild.classList.toggle('open', j.status === 'open');
      return row;
    }),
  );
}

function renderSummary(section, sessions, journeys) {
  const open = (results) => results.filter((r) => r.status === 'open').length;
  const figures = {
    sessions: sessions.length,
    devices: new Set(sessions.map((s) => s.deviceId)).size,
    'open-sessions': open(sessions),
    journeys: journeys.length,
    'open-journeys': open(journeys),
  };
  const summary = section.querySelector('#day-summary');
  summary.replaceChildren();
  const parts = [
    ['Usage sessions: ', 'sessions'],
    [' on ', 'devices'],
    [' devices, still open: ', 'open-sessions'],
    ['. Journeys: ', 'journeys'],
    [', still open: ', 'open-journeys'],
  ];
  for (const [text, name] of parts) {
    const output = document.createElement('output');
    output.dataset.figure = name;
    output.textContent = figures[name];
    summary.append(text, output);
  }
  summary.append('.');
}

/** A subject's day: its sessions on a timeline per device, its journeys, the open ones marked. */
export async function showDay(section, query) {
  const form = section.querySelector('#day-form');
  const subjects = (await apiGet('/subjects', { limit: '1000' })).items;
  section.querySelector('#subject-ids').replaceChildren(...subjects.map((s) => new Option(`${s.name} (${s.type})`, s.id)));
  const subject = query.get('subject') ?? subjects[0]?.id;
  const day = query.get('date') ?? dayOf(new Date());
  form.subject.value = subject ?? '';
  form.date.value = day;
  form.onsubmit = (event) => {
    event.preventDefault();
    window.location.hash = `#day?${new URLSearchParams({ subject: form.subject.value, date: form.date.value })}`;
  };
  if (!subject) {
    section.querySelector('#day-summary').textContent = 'No subject is registered yet.';
    return () => {};
  }
  const range = { from: midnight(day).toISOString(), to: midnight(day, 1).toISOString(), status: 'all', limit: '10000' };
  const path = `/subjects/${encodeURIComponent(subject)}`;
  const [sessions, journeys] = await Promise.all([apiGet(`${path}/sessions`, range), apiGet(`${path}/journeys`, range)]);
  renderSummary(section, sessions.items, journeys.items);
  renderTimeline(section, day, sessions.items, journeys.items);
  renderJourneys(section, journeys.items);
  return () => {};
}
