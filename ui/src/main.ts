/**
 * @module ui/main
 * The dashboard's entry: hash routing (`#/workflows`, `#/workflows/<id>`, `#/instances?…`,
 * `#/instances/<id>`), the token box when the server asks for one, and error display.
 */
import { AuthRequired, getToken, setToken, whenAuthLost } from './api.js';
import { h, replace } from './dom.js';
import { instancePage } from './pages/instance.js';
import { instancesPage } from './pages/instances.js';
import { workflowPage, workflowsPage } from './pages/workflows.js';

const main = document.getElementById('main') as HTMLElement;
let stop: (() => void) | undefined;

/** The token box: the token is kept in this tab's sessionStorage only. */
function loginBox(message: string): HTMLElement {
  const input = h('input', { id: 'api-token', type: 'password', autocomplete: 'off', required: true });
  const form = h(
    'form',
    { class: 'login', 'aria-labelledby': 'login-title' },
    h('h1', { id: 'login-title' }, 'Sign in to Swirl'),
    h('p', { role: 'alert' }, getToken() ? `The server refused the token: ${message}` : 'This server wants its API token (the value of --api-token or the token file).'),
    h('label', { for: 'api-token' }, 'API token'),
    input,
    h('p', { class: 'help' }, 'Kept in this browser tab only (sessionStorage) and sent in the dapr-api-token header; never put in the address.'),
    h('button', { type: 'submit' }, 'Sign in'),
  );
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    setToken(input.value);
    void route();
  });
  queueMicrotask(() => input.focus());
  return form;
}

function setNav(page: string): void {
  document.querySelectorAll('nav.top a').forEach((a) => {
    if (a.getAttribute('data-page') === page) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  });
}

async function route(): Promise<void> {
  stop?.();
  stop = undefined;
  const hash = location.hash.replace(/^#/, '') || '/workflows';
  const [path, query = ''] = hash.split('?', 2) as [string, string?];
  const parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  try {
    if (parts[0] === 'instances' && parts[1] !== undefined) {
      setNav('instances');
      document.title = `Instance ${parts[1]} · Swirl`;
      stop = await instancePage(main, parts[1]);
    } else if (parts[0] === 'instances') {
      setNav('instances');
      document.title = 'Instances · Swirl';
      stop = await instancesPage(main, new URLSearchParams(query));
    } else if (parts[0] === 'workflows' && parts[1] !== undefined) {
      setNav('workflows');
      document.title = `Workflow ${parts[1]} · Swirl`;
      await workflowPage(main, parts[1]);
    } else {
      setNav('workflows');
      document.title = 'Workflows · Swirl';
      await workflowsPage(main);
    }
    document.getElementById('signout')!.hidden = getToken() === null;
  } catch (err) {
    if (err instanceof AuthRequired) replace(main, loginBox(err.message));
    else replace(main, h('h1', {}, 'Something went wrong'), h('p', { class: 'error', role: 'alert' }, (err as Error).message));
  }
  main.focus({ preventScroll: true });
}

document.getElementById('signout')!.addEventListener('click', () => {
  setToken(null);
  void route();
});
// The skip link moves focus to the page's content; following its #main would route away from the page.
document.querySelector('a.skip')!.addEventListener('click', (e) => {
  e.preventDefault();
  main.focus();
});
// A poll refused for its token (it expired, the server's changed): the page asks again.
whenAuthLost(() => void route());
window.addEventListener('hashchange', () => void route());
void route();
