/** The API key, kept in this tab's sessionStorage: entered once, gone when the tab closes. */
const keyItem = 'parcours.apiKey';

export const storedKey = () => sessionStorage.getItem(keyItem);
export const storeKey = (key) => sessionStorage.setItem(keyItem, key);
export const forgetKey = () => sessionStorage.removeItem(keyItem);

/** The API did not know the key: the page asks for another. */
export class UnknownKey extends Error {}

/** GETs a path of the API (under /api/v1) with the stored key; throws the problem's detail when it fails. */
export async function apiGet(path, query = {}) {
  const url = new URL(`/api/v1${path}`, window.location.origin);
  for (const [name, value] of Object.entries(query)) url.searchParams.set(name, value);
  const response = await fetch(url, { headers: { authorization: `Bearer ${storedKey()}` } });
  if (response.status === 401) {
    forgetKey();
    throw new UnknownKey('The API did not accept this key: enter another.');
  }
  if (!response.ok) {
    const problem = await response.json().catch(() => null);
    throw new Error(problem?.detail ?? `${url.pathname} answered ${response.status}`);
  }
  return response.json();
}
