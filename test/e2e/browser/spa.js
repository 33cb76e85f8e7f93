// The SPA of docs/browser-sessions.md, line for line but for where TESSERA and CLIENT_ID
// come from, plus the hooks the real-browser test calls. The page is on another origin
// of Tessera's site: it cannot read Tessera's cookies, so it keeps the CSRF token that
// Tessera names in X-CSRF-Token, and the access token, in memory.
const TESSERA = document.querySelector('meta[name=tessera]').content;
const CLIENT_ID = document.querySelector('meta[name=client-id]').content;
let csrf, accessToken;

async function auth(path, body) {
  const response = await fetch(`${TESSERA}/auth/${path}`, {
    method: 'POST', credentials: 'include',
    headers: { 'X-CSRF-Token': csrf, ...(body && { 'Content-Type': 'application/json' }) },
    body: body && JSON.stringify(body),
  });
  csrf = response.headers.get('X-CSRF-Token') ?? csrf;
  if (response.status === 204) return (accessToken = undefined);
  const json = await response.json();
  if (!response.ok) throw Object.assign(new Error(json.error), { status: response.status });
  return ((accessToken = json.access_token), json);
}
const fetchCsrf = async () => { csrf = (await fetch(`${TESSERA}/auth/csrf`, { credentials: 'include' })).headers.get('X-CSRF-Token'); };
const start = () => fetchCsrf().then(() => auth('refresh')).catch(() => (accessToken = undefined)); // on page load
const login = (username, password) => fetchCsrf().then(() => auth('login', { username, password, client_id: CLIENT_ID }));
const logout = () => auth('logout');
async function api(url, init = {}) {
  const call = () => fetch(url, { ...init, headers: { ...init.headers, Authorization: `Bearer ${accessToken}` } });
  const response = await call();
  return response.status === 401 ? auth('refresh').then(call) : response; // the access token expired: refresh once
}

// Test hooks: each returns plain data the test can assert on.
const outcome = (promise) =>
  promise.then(
    (json) => ({ status: json ? 200 : 204, json }),
    (error) => ({ status: error.status ?? 0, error: error.message }),
  );
window.spa = {
  start: () => outcome(start().then(() => ({ loggedIn: accessToken !== undefined }))),
  login: (username, password) => outcome(login(username, password)),
  refresh: () => outcome(auth('refresh')),
  /** refreshes at a wall-clock instant shared with the other tabs */
  refreshAt: (at) => new Promise((resolve) => setTimeout(() => resolve(outcome(auth('refresh'))), Math.max(0, at - Date.now()))),
  logout: () => outcome(logout()),
  api: async () => {
    const response = await api('/api/me');
    return { status: response.status, json: await response.json() };
  },
  loggedIn: () => accessToken !== undefined,
};
