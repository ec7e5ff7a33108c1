import { forgetKey, storedKey, storeKey, UnknownKey } from './api.js';
import { showDay } from './day-view.js';
import { showFleet } from './fleet-view.js';
import { showPaths } from './paths-view.js';

/** The views, by the name in the URL's fragment (`#day?subject=ana&date=2026-04-06`). */
const views = { fleet: showFleet, day: showDay, paths: showPaths };

const message = document.getElementById('message');
const keyForm = document.getElementById('key-form');
const nav = document.querySelector('nav');

/** Undoes what the shown view started (its refresh timer); each new route bumps `shown`, so a late view gives up. */
let leave = null;
let shown = 0;

function showError(error) {
  message.textContent = error instanceof Error ? error.message : String(error);
  message.hidden = false;
}

async function route() {
  leave?.();
  leave = null;
  const current = ++shown;
  message.hidden = true;
  for (const section of document.querySelectorAll('main > section')) section.hidden = true;
  const signedIn = storedKey() !== null;
  keyForm.hidden = signedIn;
  nav.hidden = !signedIn;
  if (!signedIn) return document.getElementById('key-input').focus();
  const [name, query = ''] = window.location.hash.slice(1).split('?');
  const view = views[name];
  if (!view) return window.location.replace('#fleet');
  for (const link of nav.querySelectorAll('a')) link.classList.toggle('current', link.hash === `#${name}`);
  const section = document.getElementById(`${name}-view`);
  section.hidden = false;
  try {
    const stop = await view(section, new URLSearchParams(query), showError);
    if (current === shown) leave = stop;
    else stop();
  } catch (error) {
    if (error instanceof UnknownKey) {
      await route();
      showError(error);
    } else showError(error);
  }
}

keyForm.addEventListener('submit', (event) => {
  event.preventDefault();
  const input = document.getElementById('key-input');
  storeKey(input.value.trim());
  input.value = '';
  void route();
});
document.getElementById('sign-out').addEventListener('click', () => {
  forgetKey();
  void route();
});
window.addEventListener('hashchange', () => void route());
void route();
