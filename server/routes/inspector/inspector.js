/**
 * The machine map page (routes/inspectorRoutes.ts). It draws the SVG the server rendered from the
 * machine's definition and writes on it: documents per state, transitions per edge over the last
 * hour (polled every few seconds), and one document's path with its times. The token is kept in
 * this tab's sessionStorage and sent as a bearer header; it never goes into a URL. Served as a file
 * under the app's CSP: no inline script or style; the only markup parsed is the server's drawing.
 */

const POLL_MS = 2000;
const TOKEN_KEY = 'filot.inspector.token';
const SVG_NS = 'http://www.w3.org/2000/svg';
const PAGE_SIZE = 20;
const PATH_LINE_HEIGHT = 11;

const element = (id) => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found;
};

const view = {
  token: /** @type {HTMLInputElement} */ (element('token')),
  statusLine: element('status-line'),
  drawing: element('drawing'),
  machineVersion: element('machine-version'),
  statePanel: element('state-panel'),
  stateName: element('state-name'),
  stateDocuments: element('state-documents'),
  stateEmpty: element('state-empty'),
  moreDocuments: element('more-documents'),
  pathPanel: element('path-panel'),
  pathDocument: element('path-document'),
  pathSteps: element('path-steps'),
  pathTruncated: element('path-truncated'),
};

const page = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  /** The machine as the server drew it: `{ machine, states, transitions }`. */
  machine: null,
  /** Bumped whenever the token changes, so that an older loop stops. */
  generation: 0,
  timer: 0,
  counts: {},
  /** The state whose documents are listed: `{ status, count, nextCursor, paged }`. */
  selected: null,
  /** The document whose path is drawn: `{ id, status }`. */
  path: null,
};

class RefusedError extends Error {}

async function api(path) {
  const response = await fetch(path, {
    headers: { authorization: `Bearer ${page.token}`, accept: 'application/json' },
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 401 || response.status === 403) {
    const problem = await response.json().catch(() => ({}));
    throw new RefusedError(`The token was refused (${response.status}): ${problem.detail ?? 'not allowed'}`);
  }
  if (!response.ok) throw new Error(`${path.split('?')[0]} answered ${response.status}`);
  return response.json();
}

const say = (text, kind = 'info') => {
  view.statusLine.textContent = text;
  view.statusLine.dataset.kind = kind;
};

/** `2024-05-01T10:31:05.123456Z` → `10:31:05.123`: the times on the drawing, in UTC like the list. */
const clock = (iso) => iso.slice(11, 23);

// --- The drawing --------------------------------------------------------------------------------

const svgElement = (id) => view.drawing.querySelector('svg')?.getElementById(id) ?? null;
/** The second line of a state's or transition's label: where its count goes. */
const countText = (group) => group?.querySelector('text.count') ?? null;
/** The third line of a transition's label: room left blank for the times a drawn path took it. */
const pathSlot = (group) => group?.querySelector('text.path-slot') ?? null;

function drawMachine(answer) {
  page.machine = answer;
  const parsed = new DOMParser().parseFromString(answer.svg, 'image/svg+xml');
  const svg = document.importNode(parsed.documentElement, true);
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('role', 'img');
  view.drawing.replaceChildren(svg);
  view.machineVersion.textContent = `${answer.machine.id} v${answer.machine.version}`;
  for (const group of svg.querySelectorAll('g.node, g.edge')) {
    const [, count, slot] = group.querySelectorAll('text');
    count?.classList.add('count');
    slot?.classList.add('path-slot');
    group.querySelector('title')?.remove();
  }
  for (const state of answer.states) {
    const group = svgElement(state.id);
    if (!group) continue;
    group.setAttribute('tabindex', '0');
    group.setAttribute('role', 'button');
    group.dataset.status = state.status;
    group.addEventListener('click', () => selectState(state.status));
    group.addEventListener('keydown', (event) => {
      if (event.key !== 'Enter' && event.key !== ' ') return;
      event.preventDefault();
      selectState(state.status);
    });
  }
}

function showCounts(live) {
  page.counts = live.states;
  for (const state of page.machine.states) {
    const group = svgElement(state.id);
    const count = live.states[state.status] ?? 0;
    const text = countText(group);
    if (text) text.textContent = String(count);
    group?.classList.toggle('empty', count === 0);
    group?.setAttribute('aria-label', `${state.status}: ${count} document${count === 1 ? '' : 's'} now`);
  }
  for (const transition of live.transitions) {
    if (!transition.id) continue;
    const group = svgElement(transition.id);
    const text = countText(group);
    if (text) text.textContent = String(transition.count);
    group?.classList.toggle('taken', transition.count > 0);
  }
  const undrawn = live.transitions.filter((transition) => !transition.id && transition.count > 0).length;
  say(
    `Updated ${clock(live.at)} UTC. Transitions over the last ${live.windowSeconds / 60} minutes` +
      `${live.complete ? '' : ' (at least: the hour held more events than are read)'}` +
      `${undrawn ? `; ${undrawn} taken that this machine does not draw` : ''}.`,
  );
}

// --- Live counts --------------------------------------------------------------------------------

async function poll(generation) {
  if (generation !== page.generation) return;
  try {
    if (!document.hidden) {
      showCounts(await api('/internal/inspector/live'));
      await followSelection();
    }
  } catch (error) {
    if (generation !== page.generation) return;
    say(error.message, 'error');
    if (error instanceof RefusedError) return;
  }
  if (generation === page.generation) page.timer = window.setTimeout(() => poll(generation), POLL_MS);
}

/** Keeps the open list and the drawn path current as documents move. */
async function followSelection() {
  const selected = page.selected;
  if (selected && !selected.paged && page.counts[selected.status] !== selected.count)
    await listDocuments(selected.status, null);
  if (page.path && !isFinal(page.path.status)) await drawPath(page.path.id);
}

const isFinal = (status) => page.machine?.states.find((state) => state.status === status)?.final ?? false;

async function start() {
  page.generation += 1;
  window.clearTimeout(page.timer);
  const generation = page.generation;
  if (!page.token) {
    // Nothing read with a token stays on the page once it is forgotten.
    Object.assign(page, { machine: null, counts: {}, selected: null, path: null });
    view.drawing.replaceChildren();
    view.stateDocuments.replaceChildren();
    view.pathSteps.replaceChildren();
    view.statePanel.hidden = true;
    view.pathPanel.hidden = true;
    say('Enter a token to see the machine.');
    return;
  }
  say('Loading the machine…');
  try {
    if (!page.machine) drawMachine(await api('/internal/inspector/machine'));
  } catch (error) {
    say(error.message, 'error');
    return;
  }
  await poll(generation);
}

// --- A state's documents ------------------------------------------------------------------------

async function selectState(status) {
  for (const group of view.drawing.querySelectorAll('g.node.selected')) group.classList.remove('selected');
  svgElement(`state.${status}`)?.classList.add('selected');
  try {
    await listDocuments(status, null);
  } catch (error) {
    say(error.message, 'error');
  }
}

async function listDocuments(status, cursor) {
  const query = new URLSearchParams({ limit: String(PAGE_SIZE) });
  if (cursor) query.set('cursor', cursor);
  const answer = await api(`/internal/inspector/states/${encodeURIComponent(status)}/documents?${query}`);
  if (!cursor) view.stateDocuments.replaceChildren();
  for (const item of answer.items) view.stateDocuments.append(documentRow(item));
  page.selected = { status, count: page.counts[status], nextCursor: answer.nextCursor, paged: Boolean(cursor) };
  view.stateName.textContent = status;
  view.stateEmpty.hidden = view.stateDocuments.childElementCount > 0;
  view.moreDocuments.hidden = !answer.nextCursor;
  view.statePanel.hidden = false;
}

function documentRow(item) {
  const row = document.createElement('tr');
  row.dataset.documentId = item.id;
  const open = document.createElement('button');
  open.type = 'button';
  open.className = 'document';
  open.textContent = item.id;
  open.addEventListener('click', () => selectDocument(item.id));
  const cell = (content) => {
    const td = document.createElement('td');
    td.append(content);
    return td;
  };
  row.append(cell(open), cell(item.type), cell(item.since), cell(item.createdAt));
  return row;
}

// --- A document's path --------------------------------------------------------------------------

async function selectDocument(id) {
  try {
    await drawPath(id);
  } catch (error) {
    say(error.message, 'error');
  }
}

function clearPath() {
  for (const label of view.drawing.querySelectorAll('.path-label')) label.remove();
  for (const group of view.drawing.querySelectorAll('.on-path, .current')) group.classList.remove('on-path', 'current');
}

async function drawPath(id) {
  const path = await api(`/internal/inspector/documents/${encodeURIComponent(id)}/path`);
  page.path = { id: path.id, status: path.status };
  clearPath();
  /** The steps taken along each transition, in order: a retry takes one more than once. */
  const stepsByTransition = new Map();
  for (const step of path.steps) {
    svgElement(`state.${step.to}`)?.classList.add('on-path');
    if (step.from) svgElement(`state.${step.from}`)?.classList.add('on-path');
    if (!step.transition) continue;
    svgElement(step.transition)?.classList.add('on-path');
    stepsByTransition.set(step.transition, [...(stepsByTransition.get(step.transition) ?? []), step]);
  }
  svgElement(`state.${path.status}`)?.classList.add('current');
  for (const [transition, steps] of stepsByTransition) {
    const group = svgElement(transition);
    const anchor = pathSlot(group);
    if (!group || !anchor) continue;
    const label = document.createElementNS(SVG_NS, 'text');
    label.classList.add('path-label');
    label.setAttribute('text-anchor', 'middle');
    const x = anchor.getAttribute('x') ?? '0';
    const y = Number(anchor.getAttribute('y') ?? '0');
    steps.forEach((step, index) => {
      const line = document.createElementNS(SVG_NS, 'tspan');
      line.setAttribute('x', x);
      line.setAttribute('y', String(y + PATH_LINE_HEIGHT * index));
      line.textContent = `#${step.seq} ${clock(step.at)}`;
      label.append(line);
    });
    group.append(label);
  }
  view.pathDocument.textContent = path.id;
  view.pathSteps.replaceChildren(
    ...path.steps.map((step) => {
      const item = document.createElement('li');
      item.value = step.seq;
      const time = document.createElement('time');
      time.dateTime = step.at;
      time.textContent = step.at;
      item.append(time, ` ${step.event}: ${step.from ?? '(new)'} → ${step.to}`);
      return item;
    }),
  );
  view.pathTruncated.hidden = !path.truncated;
  view.pathPanel.hidden = false;
}

// --- Wiring -------------------------------------------------------------------------------------

function useToken() {
  page.token = view.token.value.trim();
  view.token.value = '';
  if (page.token) sessionStorage.setItem(TOKEN_KEY, page.token);
  else sessionStorage.removeItem(TOKEN_KEY);
  start();
}

element('use-token').addEventListener('click', useToken);
view.token.addEventListener('keydown', (event) => {
  if (event.key === 'Enter') useToken();
});
element('forget-token').addEventListener('click', () => {
  page.token = '';
  sessionStorage.removeItem(TOKEN_KEY);
  start();
});
view.moreDocuments.addEventListener('click', async () => {
  if (!page.selected?.nextCursor) return;
  try {
    await listDocuments(page.selected.status, page.selected.nextCursor);
  } catch (error) {
    say(error.message, 'error');
  }
});
element('clear-path').addEventListener('click', () => {
  clearPath();
  page.path = null;
  view.pathPanel.hidden = true;
});
document.addEventListener('visibilitychange', () => {
  if (!document.hidden && page.token) start();
});

start();
