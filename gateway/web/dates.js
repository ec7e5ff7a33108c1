/** Days as the date inputs give them (`2026-04-06`), in the browser's time zone. */

const pad = (n) => String(n).padStart(2, '0');

/** The day of this date, as a date input writes it. */
export const dayOf = (date) => `${date.getFullYear()}-${pad(date.getMonth() + 1)}-${pad(date.getDate())}`;

/** Local midnight starting this day, `days` days later. */
export function midnight(day, days = 0) {
  const date = new Date(`${day}T00:00:00`);
  date.setDate(date.getDate() + days);
  return date;
}

export const clock = (ms) => new Date(ms).toLocaleTimeString([], { hour: '2-digit', minute: '2-digit' });
