// main.mjs -- start-up: catalogues, service worker, session, queue, routes.

import { initI18n, onLangChange, t } from './i18n.mjs';
import { $, clear } from './dom.mjs';
import { net, authEvents } from './api.mjs';
import * as queue from './queue.mjs';
import { applySent } from './data.mjs';
import { loadSession, currentUser, dropUser } from './session.mjs';
import { parseHash, go, takeLabelPath, onRoute } from './router.mjs';
import { renderHeader, renderNav, mountLogin, mountStock, mountQueue, doLogout, toast } from './views.mjs';
import { mountScan, leaveScan } from './scan.mjs';
import { mountCity, mountTown, mountTeam, mountVillage, isCityRole, ownTown } from './readiness.mjs';
import { mountStandards } from './standards.mjs';
import * as fb from './feedback.mjs';
import { mountEvents, mountRequests, mountDispatches, mountPick, mountDispatchReceive } from './logistics.mjs';
import { mountSuppliers, mountPurchaseOrders, mountReceive } from './purchasing.mjs';
import { mountEquipment, mountAsset } from './equipment.mjs';
import { mountPlans } from './plans.mjs';
import { mountMap } from './map.mjs';

const WANTED = 'rs.wanted'; // the page asked for before logging in
let unmount = null;
let currentName = null;
let loginNotice = null;

function header() {
  renderHeader($('#top'), { onLogout: async () => { if (await doLogout()) { refreshChrome(); go('login'); } } });
}

function refreshChrome() {
  header();
  renderNav($('#nav'), currentName);
}

// Every page name the router knows (#/<name>/...).
const PAGES = [
  'scan', 'stock', 'queue', 'city', 'town', 'team', 'village', 'standards',
  'events', 'requests', 'dispatches', 'pick', 'dreceive',
  'suppliers', 'purchase-orders', 'po-receive', 'equipment', 'asset',
  'plans',
  'map',
];

function render(route) {
  const { name, params } = route;
  const user = currentUser();
  if (!user && name !== 'login') {
    try { sessionStorage.setItem(WANTED, location.hash); } catch { /* private mode */ }
    go('login');
    return;
  }
  if (user && !PAGES.includes(name)) {
    go(...home(user));
    return;
  }
  if (unmount) unmount();
  if (currentName === 'scan' && name !== 'scan') leaveScan();
  currentName = name;
  const main = clear($('#main'));
  refreshChrome();
  switch (name) {
    case 'login':
      unmount = mountLogin(main, { onLoggedIn: loggedIn, notice: loginNotice });
      break;
    case 'stock': unmount = mountStock(main, params); break;
    case 'queue': unmount = mountQueue(main, params); break;
    case 'city': unmount = mountCity(main, params); break;
    case 'town': unmount = mountTown(main, params); break;
    case 'team': unmount = mountTeam(main, params); break;
    case 'village': unmount = mountVillage(main, params); break;
    case 'standards': unmount = mountStandards(main, params); break;
    case 'events': unmount = mountEvents(main, params); break;
    case 'requests': unmount = mountRequests(main, params); break;
    case 'dispatches': unmount = mountDispatches(main, params); break;
    case 'pick': unmount = mountPick(main, params); break;
    case 'dreceive': unmount = mountDispatchReceive(main, params); break;
    case 'suppliers': unmount = mountSuppliers(main, params); break;
    case 'purchase-orders': unmount = mountPurchaseOrders(main, params); break;
    case 'po-receive': unmount = mountReceive(main, params); break;
    case 'equipment': unmount = mountEquipment(main, params); break;
    case 'asset': unmount = mountAsset(main, params); break;
    case 'plans': unmount = mountPlans(main, params); break;
    case 'map': unmount = mountMap(main, params); break;
    default: unmount = mountScan(main, params); break;
  }
}

// The first page of a role (docs/design ui.md): the city office sees the
// city on its map ("one map", docs/map.md), a town official their town, warehouse staff the scan page.
function home(user) {
  if (isCityRole(user)) return ['map'];
  if (user && user.role === 'town_official' && ownTown(user)) return ['town'];
  return ['scan'];
}

function loggedIn(user) {
  loginNotice = null;
  queue.startQueue(user.username);
  let wanted = null;
  try { wanted = sessionStorage.getItem(WANTED); sessionStorage.removeItem(WANTED); } catch { /* private mode */ }
  if (wanted && !wanted.startsWith('#/login') && wanted !== '#/' && wanted !== '#') location.hash = wanted;
  else go(...home(user));
}

async function registerServiceWorker() {
  if (!('serviceWorker' in navigator)) return;
  try {
    await navigator.serviceWorker.register('/sw.js', { scope: '/' });
  } catch (e) {
    console.warn('service worker', e);
  }
}

async function start() {
  await initI18n();
  fb.unlockAudio();
  registerServiceWorker();
  takeLabelPath();

  queue.onBeforeSent((item, result) => applySent(item, result));
  queue.queueEvents.addEventListener('change', () => header());
  queue.queueEvents.addEventListener('sent', (e) => {
    if (!e.detail.foreground) toast(t('queue.sentToast'), 'sent');
  });
  queue.queueEvents.addEventListener('refused', (e) => {
    if (!e.detail.foreground) {
      fb.refusal();
      toast(t('queue.refusedToast'), 'refused');
    }
  });
  net.addEventListener('change', () => header());
  onLangChange(() => render(parseHash()));
  authEvents.addEventListener('unauthenticated', () => {
    if (!currentUser()) return;
    queue.stopQueue();
    loginNotice = t('login.expired');
    dropUser();
    go('login');
  });

  const s = await loadSession();
  if (s.user) queue.startQueue(s.user.username);
  else if (s.offline) loginNotice = t('login.offlineNoUser');
  onRoute(render);
  render(parseHash());
  document.body.classList.add('ready');
}

start().catch((e) => {
  console.error(e);
  const main = $('#main');
  if (main) main.textContent = String(e && e.message ? e.message : e);
});
