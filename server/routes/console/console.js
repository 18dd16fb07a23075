/**
 * The reviewer console (routes/consoleRoutes.ts). It lists the documents waiting for review, opens
 * one (claiming it), shows its image, fields, reasons, same-NIK documents and history, and sends the
 * decision. The token is kept in this tab's sessionStorage and sent as a bearer header; it never goes
 * into a URL. The only URL state is `#doc=<id>`. Served as a file under the app's CSP: no inline
 * script or style, no markup parsed; the image is read as a blob and shown as a data: URL (the CSP's
 * img-src allows 'self' and data:, not blob:). Nothing is logged.
 */

const POLL_MS = 3000;
const TOKEN_KEY = 'filot.console.token';
const QUEUE_LIMIT = 100;
const EMPTY_COUNTS = { total: 0, reasons: { total: 0, items: [] }, types: { total: 0, items: [] } };
const ZOOM_STEP = 0.25;
/** Reason-code words that name a field with another name on the card. */
const FIELD_ALIASES = { NAME: ['nama', 'name'], BIRTH: ['tanggal_lahir', 'tempat_lahir'], DOB: ['tanggal_lahir'] };

const element = (id) => {
  const found = document.getElementById(id);
  if (!found) throw new Error(`The page has no #${id}`);
  return found;
};

const view = Object.fromEntries(
  [
    'token',
    'token-bar',
    'sign-out',
    'dev-sign-in',
    'signed-in',
    'status-line',
    'queue-panel',
    'queue-count',
    'filter-reason',
    'filter-type',
    'queue',
    'queue-empty',
    'queue-more',
    'document-panel',
    'doc-id',
    'doc-status',
    'close-document',
    'claim-line',
    'zoom-in',
    'zoom-out',
    'rotate',
    'reset-view',
    'doc-image',
    'fields',
    'score',
    'reasons',
    'same-nik',
    'nik-panel',
    'nik',
    'history',
    'audit',
    'audit-list',
    'decision-form',
    'template',
    'reason',
    'approve',
    'reject',
    'decision-message',
  ].map((id) => [id.replace(/-(\w)/g, (_, letter) => letter.toUpperCase()), element(id)]),
);

const page = {
  token: sessionStorage.getItem(TOKEN_KEY) ?? '',
  /** Bumped on sign in and out, so that older loops and answers are dropped. */
  generation: 0,
  timer: 0,
  queue: [],
  /** Where the next page of the filtered queue starts; null when every page is loaded. */
  nextCursor: null,
  /** Pages of QUEUE_LIMIT loaded ("Load more" adds one); a refresh loads as many. */
  pagesLoaded: 1,
  counts: EMPTY_COUNTS,
  /** Bumped by each queue refresh, so that only the latest one's answer is shown. */
  refreshes: 0,
  templates: { approve: [], reject: [] },
  /** The open document: `{ id, document, readOnly, mine, decided }`. */
  open: null,
  zoom: 1,
  rotation: 0,
  deciding: false,
};

class RefusedError extends Error {}

async function api(path, options = {}) {
  const response = await fetch(path, {
    method: options.method ?? 'GET',
    headers: {
      authorization: `Bearer ${page.token}`,
      accept: options.blob ? '*/*' : 'application/json',
      ...(options.body === undefined ? {} : { 'content-type': 'application/json' }),
    },
    ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
    cache: 'no-store',
    credentials: 'omit',
  });
  if (response.status === 401 || response.status === 403) {
    const problem = await response.json().catch(() => ({}));
    throw new RefusedError(`The token was refused (${response.status}): ${problem.detail ?? 'not allowed'}`);
  }
  return response;
}

async function json(path) {
  const response = await api(path);
  if (!response.ok) throw new Error(`${path.split('?')[0]} answered ${response.status}`);
  return response.json();
}

const say = (text, kind = 'info') => {
  view.statusLine.textContent = text;
  view.statusLine.dataset.kind = kind;
};
const tell = (text, kind = 'info') => {
  view.decisionMessage.textContent = text;
  view.decisionMessage.dataset.kind = kind;
};

const make = (tag, text, className) => {
  const made = document.createElement(tag);
  if (text !== undefined) made.textContent = text;
  if (className) made.className = className;
  return made;
};

/** `2024-05-01T10:31:05.123Z` → `2024-05-01 10:31:05` (UTC). */
const when = (iso) => `${iso.slice(0, 10)} ${iso.slice(11, 19)}`;

function waiting(iso) {
  const seconds = Math.max(0, Math.round((Date.now() - Date.parse(iso)) / 1000));
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min`;
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return `${hours} h ${minutes % 60} min`;
  return `${Math.floor(hours / 24)} d`;
}

/** The SLA state of a queued document: `[text, class]`. */
function slaOf(item) {
  if (item.review?.externalFailure) return ['external review failed', 'sla-failed'];
  if (item.review?.phase === 'escalated') return ['escalated', 'sla-escalated'];
  if (item.review?.phase === 'reminded') return ['reminded', 'sla-reminded'];
  if (!item.review) return ['starting', ''];
  return ['waiting', ''];
}

const codesOf = (item) => (item.evaluation?.reasons ?? []).map((reason) => reason.code);

// --- Signing in and out --------------------------------------------------------------------------

function subjectOf(token) {
  try {
    const payload = JSON.parse(atob(token.split('.')[1].replace(/-/g, '+').replace(/_/g, '/')));
    return { sub: String(payload.sub ?? ''), role: String(payload.role ?? '') };
  } catch {
    return { sub: '', role: '' };
  }
}

async function signIn(token) {
  page.token = token;
  page.generation += 1;
  const generation = page.generation;
  clearInterval(page.timer);
  say('Signing in…');
  try {
    const reasons = await json('/internal/review-reasons');
    if (generation !== page.generation) return;
    page.templates = reasons;
    sessionStorage.setItem(TOKEN_KEY, token);
    view.token.value = '';
    const { sub, role } = subjectOf(token);
    view.signedIn.textContent = sub ? `· ${sub} (${role})` : '';
    fillTemplates();
    view.queuePanel.hidden = false;
    await refreshQueue(generation);
    say('Signed in.');
    page.timer = setInterval(() => refreshQueue(generation), POLL_MS);
    const fromHash = /^#doc=([0-9a-f-]{36})$/i.exec(location.hash)?.[1];
    if (fromHash) await openDocument(fromHash);
  } catch (error) {
    if (generation !== page.generation) return;
    forget();
    say(error.message, 'error');
  }
}

/** Takes everything read off the page and forgets the token. */
function forget() {
  page.generation += 1;
  clearInterval(page.timer);
  page.token = '';
  page.queue = [];
  page.nextCursor = null;
  page.pagesLoaded = 1;
  page.counts = EMPTY_COUNTS;
  page.open = null;
  sessionStorage.removeItem(TOKEN_KEY);
  view.signedIn.textContent = '';
  view.queue.replaceChildren();
  view.queuePanel.hidden = true;
  closeDocumentView();
  if (location.hash) history.replaceState(null, '', location.pathname);
}

async function signOut() {
  const open = page.open;
  if (open?.mine && !open.decided) await releaseClaim(open.id);
  forget();
  say('Signed out.');
}

// --- The queue -----------------------------------------------------------------------------------

/** The filters chosen, as a query string for the queue and its counts. */
function filterQuery() {
  const query = new URLSearchParams();
  if (view.filterReason.value) query.set('reason', view.filterReason.value);
  if (view.filterType.value) query.set('type', view.filterType.value);
  return query;
}

/**
 * The queue as filtered on the server, as many pages as were loaded (so a refresh keeps what "Load
 * more" added), and the counts of every filter value over the whole queue.
 */
async function refreshQueue(generation = page.generation) {
  // Only the latest refresh may show its answer: an older one (the timer's, sent before the filter
  // changed) that answers later would put back what the reviewer filtered away.
  const asked = ++page.refreshes;
  const current = () => generation === page.generation && asked === page.refreshes;
  try {
    const query = filterQuery();
    const counts = json(`/internal/review-counts?${query}`);
    // Awaited below; until then a failure must not count as unhandled.
    counts.catch(() => undefined);
    const items = [];
    let cursor = null;
    for (let loaded = 0; loaded < page.pagesLoaded; loaded++) {
      const pageQuery = new URLSearchParams(query);
      pageQuery.set('limit', String(QUEUE_LIMIT));
      if (cursor) pageQuery.set('cursor', cursor);
      const answer = await json(`/internal/reviews?${pageQuery}`);
      items.push(...answer.items);
      cursor = answer.nextCursor;
      if (!cursor) break;
    }
    const answered = await counts;
    if (!current()) return;
    page.counts = answered;
    page.queue = items;
    page.nextCursor = cursor;
    showQueue();
  } catch (error) {
    if (!current()) return;
    say(error.message, 'error');
  }
}

/** The next page of the filtered queue, kept on later refreshes. */
async function loadMore() {
  if (!page.nextCursor) return;
  page.pagesLoaded += 1;
  await refreshQueue();
}

/** A filter's options with their counts over the whole queue, keeping the choice. */
function fillFilter(select, label, total, entries) {
  const chosen = select.value;
  const options = [make('option', `${label} (${total})`)];
  options[0].value = '';
  for (const { value, count } of entries) {
    const option = make('option', `${value} (${count})`);
    option.value = value;
    options.push(option);
  }
  if (chosen && !entries.some((entry) => entry.value === chosen)) {
    const option = make('option', `${chosen} (0)`);
    option.value = chosen;
    options.push(option);
  }
  select.replaceChildren(...options);
  select.value = chosen;
}

function showQueue() {
  const { counts } = page;
  fillFilter(
    view.filterReason,
    'All reasons',
    counts.reasons.total,
    counts.reasons.items.map(({ code, count }) => ({ value: code, count })),
  );
  fillFilter(
    view.filterType,
    'All types',
    counts.types.total,
    counts.types.items.map(({ type, count }) => ({ value: type, count })),
  );
  const shown = page.queue;
  view.queueCount.textContent = `${shown.length} shown of ${counts.total}`;
  view.queueEmpty.hidden = shown.length > 0;
  view.queueMore.hidden = !page.nextCursor;
  const { sub } = subjectOf(page.token);
  view.queue.replaceChildren(
    ...shown.map((item) => {
      const row = make('tr');
      row.dataset.documentId = item.id;
      if (page.open?.id === item.id) row.classList.add('current');
      const open = make('button', item.id.slice(0, 8), 'open');
      open.type = 'button';
      open.title = 'Open this document';
      open.addEventListener('click', () => openDocument(item.id));
      const idCell = make('td');
      idCell.append(open);
      const [slaText, slaClass] = slaOf(item);
      const claim = item.claim
        ? make(
            'td',
            item.claim.reviewerId === sub ? 'yours' : `being reviewed by ${item.claim.reviewerId}`,
            item.claim.reviewerId === sub ? '' : 'claimed',
          )
        : make('td', '');
      row.append(
        idCell,
        make('td', item.type),
        make('td', waiting(item.waitingSince ?? item.updatedAt)),
        make('td', slaText, slaClass),
        make('td', codesOf(item).join(', ')),
        claim,
      );
      return row;
    }),
  );
}

// --- A document ----------------------------------------------------------------------------------

function closeDocumentView() {
  view.documentPanel.hidden = true;
  view.docImage.removeAttribute('src');
  for (const list of [view.fields, view.nik, view.reasons, view.sameNik, view.history, view.auditList])
    list.replaceChildren();
  view.nikPanel.hidden = true;
  view.docId.textContent = '';
  tell('');
}

/**
 * Claims and releases go out one after another, in the order the reviewer moved: a release of the
 * document left behind must not reach the server after the claim of the one come back to (j then k).
 */
let claimRequests = Promise.resolve();
function inTurn(request) {
  const turn = claimRequests.then(request, request);
  claimRequests = turn.catch(() => undefined);
  return turn;
}
const releaseClaim = (id) =>
  inTurn(() => api(`/internal/reviews/${id}/claim`, { method: 'DELETE' })).catch(() => undefined);

async function closeDocument() {
  const open = page.open;
  page.open = null;
  if (open?.mine && !open.decided) await releaseClaim(open.id);
  closeDocumentView();
  history.replaceState(null, '', location.pathname);
  showQueue();
}

function applyTransform() {
  view.docImage.style.transform = `rotate(${page.rotation}deg) scale(${page.zoom})`;
}

async function showImage(id, generation) {
  const response = await api(`/internal/reviews/${id}/image`, { blob: true });
  if (!response.ok) throw new Error(`The image answered ${response.status}`);
  const blob = await response.blob();
  // A data: URL, which the CSP's img-src allows; blob: URLs it refuses.
  const url = await new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(reader.result);
    reader.onerror = () => reject(reader.error);
    reader.readAsDataURL(blob);
  });
  if (generation !== page.generation || page.open?.id !== id) return;
  view.docImage.src = url;
}

/** The reasons about each field, by the words of their codes: field name → reasons. */
function reasonsByField(document) {
  const names = Object.keys(document.fields ?? {});
  const about = new Map(names.map((name) => [name, []]));
  for (const reason of document.evaluation?.reasons ?? []) {
    const words = reason.code.split('_');
    for (const name of names) {
      const upper = name.toUpperCase();
      const named =
        words.includes(upper) ||
        reason.code.startsWith(`${upper}_`) ||
        words.some((word) => FIELD_ALIASES[word]?.includes(name));
      if (named) about.get(name)?.push(reason);
    }
  }
  return about;
}

function showFacts(document) {
  const about = reasonsByField(document);
  view.fields.replaceChildren(
    ...Object.entries(document.fields ?? {}).map(([name, value]) => {
      const reasons = about.get(name) ?? [];
      // A field that failed a check (a reason of severity review or reject) is highlighted.
      const failed = reasons.some((reason) => reason.severity !== 'info');
      const row = make('tr', undefined, failed ? 'flagged' : '');
      row.dataset.field = name;
      const checks = make('td', undefined, 'field-reasons');
      checks.append(
        ...reasons.map((reason) => {
          const code = make('span', reason.code, `severity-${reason.severity}`);
          code.title = reason.message;
          return code;
        }),
      );
      row.append(make('th', name), make('td', value ?? '—'), checks);
      return row;
    }),
  );
  if (!document.fields || Object.keys(document.fields).length === 0)
    view.fields.replaceChildren(make('tr', undefined).appendChild(make('td', 'No fields were read.')).parentNode);
  view.score.textContent = document.evaluation ? `score ${document.evaluation.score}` : '';
  view.reasons.replaceChildren(
    ...(document.evaluation?.reasons ?? []).map((reason) =>
      make('li', `${reason.code} (${reason.severity}): ${reason.message}`, `severity-${reason.severity}`),
    ),
  );
}

/**
 * The NIK decoded by the server: each part beside what the card prints. Birth date and sex must
 * agree; the regions are where the person first registered, so a difference there is a fact to
 * weigh (a move), not a fault.
 */
function showNik(nik) {
  view.nikPanel.hidden = !nik;
  if (!nik) {
    view.nik.replaceChildren();
    return;
  }
  const region = (item) => `${item.code} ${item.name ?? '(no such region)'}`;
  const rows = [
    ['Province', region(nik.province), nik.province],
    ['Regency', region(nik.regency), nik.regency],
    ['District', region(nik.district), nik.district],
    ['Birth date', nik.birthDate.fromNik ?? '(not a real date)', nik.birthDate],
    ['Sex', nik.sex.fromNik ?? '(unknown)', nik.sex],
  ];
  view.nik.replaceChildren(
    ...rows.map(([label, fromNik, item]) => {
      const verdict = item.agrees === null ? 'not printed' : item.agrees ? 'agrees' : 'differs';
      const row = make('tr', undefined, item.agrees === false ? 'differs' : '');
      row.dataset.part = label.toLowerCase().replace(' ', '-');
      row.append(make('th', label), make('td', fromNik), make('td', item.printed ?? '—'), make('td', verdict));
      return row;
    }),
  );
}

function showSameNik(items) {
  if (items.length === 0) {
    view.sameNik.replaceChildren(make('li', 'None.'));
    return;
  }
  view.sameNik.replaceChildren(
    ...items.map((item) => {
      const entry = make('li');
      const open = make('button', item.id.slice(0, 8), 'open');
      open.type = 'button';
      open.addEventListener('click', () => openDocument(item.id));
      entry.append(open, ` ${item.type} · ${item.status} · owner ${item.owner} · ${when(item.createdAt)}`);
      return entry;
    }),
  );
}

const CHANNELS = { reviewer: 'FiLot reviewer (internal)', buli2: 'BULI2 (external review)' };

function showHistory(items, status) {
  view.history.replaceChildren(
    ...items.map((entry) => {
      const item = make('li');
      item.append(
        make('time', when(entry.at)),
        ` ${entry.event}: ${entry.from ?? '(new)'} → ${entry.to} · ${entry.actor.type} ${entry.actor.id}`,
      );
      return item;
    }),
  );
  const decided = [...items].reverse().find((entry) => entry.event === 'REVIEW_DECIDED');
  view.audit.hidden = !decided || (status !== 'approved' && status !== 'rejected');
  if (!decided) return;
  const rows = [
    ['Decision', decided.to],
    ['Who', decided.actor.id],
    ['When', when(decided.at)],
    ['Channel', CHANNELS[decided.actor.type] ?? decided.actor.type],
    ['Why', decided.review?.reason ?? page.open?.reason ?? 'not in the history'],
  ];
  view.auditList.replaceChildren(...rows.flatMap(([term, value]) => [make('dt', term), make('dd', value)]));
}

function setReadOnly(readOnly) {
  view.decisionForm.dataset.readonly = String(readOnly);
  for (const control of [view.template, view.reason, view.approve, view.reject]) control.disabled = readOnly;
}

async function openDocument(id) {
  const generation = page.generation;
  const previous = page.open;
  // The open document is this one at once, so an open that follows before this one's answers sees
  // it as the one to leave; its claim request follows the release in turn.
  page.open = { id, document: null, readOnly: true, mine: false, decided: false, reason: null };
  if (previous && previous.id !== id && previous.mine && !previous.decided) releaseClaim(previous.id);
  page.zoom = 1;
  page.rotation = 0;
  applyTransform();
  closeDocumentView();
  view.documentPanel.hidden = false;
  view.docId.textContent = id;
  history.replaceState(null, '', `#doc=${id}`);
  showQueue();
  try {
    // Opening claims it; a claim held by another reviewer leaves the page read-only.
    const claimed = await inTurn(() => api(`/internal/reviews/${id}/claim`, { method: 'POST' }));
    const claim = await claimed.json().catch(() => ({}));
    if (generation !== page.generation || page.open?.id !== id) {
      // Moved on (or signed out) before the claim came back: it is not wanted any more.
      if (claimed.ok && page.open?.id !== id) releaseClaim(id);
      return;
    }
    if (claimed.ok) {
      page.open.mine = true;
      page.open.readOnly = false;
      view.claimLine.textContent = `Claimed by you until ${when(claim.claim.expiresAt)}.`;
      view.claimLine.dataset.kind = 'mine';
    } else if (claimed.status === 409 && claim.claim) {
      view.claimLine.textContent = `Being reviewed by ${claim.claim.reviewerId} (until ${when(claim.claim.expiresAt)}). Read-only.`;
      view.claimLine.dataset.kind = 'other';
    } else if (claimed.status === 409) {
      view.claimLine.textContent = 'Not in review. Read-only.';
      view.claimLine.dataset.kind = 'closed';
    } else throw new Error(`The claim answered ${claimed.status}`);
    setReadOnly(page.open.readOnly);
    const [document, sameNik, history] = await Promise.all([
      json(`/internal/reviews/${id}`),
      json(`/internal/reviews/${id}/same-nik`),
      json(`/documents/${id}/history`),
    ]);
    if (generation !== page.generation || page.open?.id !== id) return;
    page.open.document = document;
    page.open.decided = document.status !== 'needs_review';
    view.docStatus.textContent = document.status;
    showFacts(document);
    showNik(document.nik);
    showSameNik(sameNik.items);
    showHistory(history.items, document.status);
    await showImage(id, generation);
  } catch (error) {
    if (generation !== page.generation) return;
    say(error.message, 'error');
  }
}

/**
 * The document after the open one in the shown queue (`step` 1), or before it (-1). Past the last
 * loaded document, the next page is loaded first.
 */
async function neighbour(step) {
  const at = () => page.queue.findIndex((item) => item.id === page.open?.id);
  if (step > 0 && at() === page.queue.length - 1 && page.nextCursor) await loadMore();
  const shown = page.queue;
  if (shown.length === 0) return null;
  const index = at();
  if (index === -1) return step > 0 ? shown[0] : shown[shown.length - 1];
  return shown[index + step] ?? null;
}

async function moveOn() {
  await refreshQueue();
  const next = page.queue.find((item) => item.id !== page.open?.id);
  if (next) await openDocument(next.id);
  else {
    await closeDocument();
    say('The queue is empty.');
  }
}

// --- Deciding ------------------------------------------------------------------------------------

function fillTemplates() {
  const groups = ['approve', 'reject'].map((decision) => {
    const group = make('optgroup');
    group.label = decision === 'approve' ? 'Approve' : 'Reject';
    group.append(
      ...page.templates[decision].map((template) => {
        const option = make('option', template.text);
        option.value = `${decision}:${template.code}`;
        return option;
      }),
    );
    return group;
  });
  const none = make('option', '(none)');
  none.value = '';
  view.template.replaceChildren(none, ...groups);
}

function reasonFor(decision) {
  const [templateDecision, code] = view.template.value.split(':');
  const template = code ? page.templates[templateDecision]?.find((entry) => entry.code === code) : undefined;
  if (template && templateDecision !== decision) return { error: `That template is for ${templateDecision}.` };
  const text = [template?.text, view.reason.value.trim()].filter(Boolean).join(' ');
  if (!text) return { error: 'A reason is required: pick a template or write one.' };
  // A template's text is written for the applicant: it is also the client's message. The free
  // text stays an internal note.
  return { text, ...(template ? { clientMessage: template.text } : {}) };
}

async function decide(decision) {
  const open = page.open;
  if (!open || page.deciding) return;
  if (open.readOnly || open.decided) {
    tell('This document is read-only here.', 'error');
    return;
  }
  const reason = reasonFor(decision);
  if (reason.error) {
    tell(reason.error, 'error');
    view.reason.focus();
    return;
  }
  page.deciding = true;
  try {
    const response = await api(`/internal/reviews/${open.id}/decision`, {
      method: 'POST',
      body: { decision, reason: reason.text, ...(reason.clientMessage ? { clientMessage: reason.clientMessage } : {}) },
    });
    const answer = await response.json().catch(() => ({}));
    if (response.status === 200 || response.status === 202) {
      open.decided = true;
      view.template.value = '';
      view.reason.value = '';
      say(
        response.status === 200
          ? `Document ${open.id.slice(0, 8)}: ${answer.status}.`
          : `Document ${open.id.slice(0, 8)}: decision taken; it is applied shortly.`,
      );
      await moveOn();
      return;
    }
    if (response.status === 409) {
      open.decided = true;
      say(
        `Someone else decided document ${open.id.slice(0, 8)} first, or holds it (${answer.detail ?? 'conflict'}). Your decision was not recorded; moved on.`,
        'error',
      );
      await moveOn();
      return;
    }
    if (response.status === 503) {
      tell(`${answer.detail ?? 'The review service cannot be reached.'} Try again.`, 'error');
      return;
    }
    tell(`The decision was refused (${response.status}): ${answer.detail ?? ''}`, 'error');
  } catch (error) {
    tell(error.message, 'error');
  } finally {
    page.deciding = false;
  }
}

// --- Wiring ----------------------------------------------------------------------------------------

view.tokenBar.addEventListener('submit', (event) => {
  event.preventDefault();
  const token = view.token.value.trim();
  if (!token) {
    say('Paste a token first.', 'error');
    return;
  }
  signIn(token);
});
view.signOut.addEventListener('click', () => signOut());
// Development only: the server mints a reviewer token; any other mode answers 404, said plainly.
view.devSignIn.addEventListener('click', async () => {
  const response = await fetch('/console/dev-sign-in', { method: 'POST' }).catch(() => null);
  if (!response?.ok) {
    say('Signing in without a token works only on a development server.', 'error');
    return;
  }
  const { token } = await response.json();
  signIn(token);
});
view.closeDocument.addEventListener('click', () => closeDocument());
// Filtering is the server's: a new filter starts again from its first page.
for (const filter of [view.filterReason, view.filterType])
  filter.addEventListener('change', () => {
    page.pagesLoaded = 1;
    refreshQueue();
  });
view.queueMore.addEventListener('click', () => loadMore());
view.zoomIn.addEventListener('click', () => {
  page.zoom = Math.min(4, page.zoom + ZOOM_STEP);
  applyTransform();
});
view.zoomOut.addEventListener('click', () => {
  page.zoom = Math.max(ZOOM_STEP, page.zoom - ZOOM_STEP);
  applyTransform();
});
view.rotate.addEventListener('click', () => {
  page.rotation = (page.rotation + 90) % 360;
  applyTransform();
});
view.resetView.addEventListener('click', () => {
  page.zoom = 1;
  page.rotation = 0;
  applyTransform();
});
view.approve.addEventListener('click', () => decide('approve'));
view.reject.addEventListener('click', () => decide('reject'));

document.addEventListener('keydown', (event) => {
  if (!page.token || event.ctrlKey || event.metaKey || event.altKey) return;
  const target = event.target;
  if (
    target instanceof HTMLInputElement ||
    target instanceof HTMLTextAreaElement ||
    target instanceof HTMLSelectElement
  ) {
    if (event.key === 'Escape') target.blur();
    return;
  }
  const actions = {
    j: async () => {
      const next = await neighbour(1);
      if (next) openDocument(next.id);
    },
    k: async () => {
      const previous = await neighbour(-1);
      if (previous) openDocument(previous.id);
    },
    a: () => decide('approve'),
    r: () => decide('reject'),
    '/': () => view.reason.focus(),
  };
  const action = actions[event.key];
  if (!action) return;
  event.preventDefault();
  action();
});

// A document's id put in the hash (a link, or typed): open it.
window.addEventListener('hashchange', () => {
  const id = /^#doc=([0-9a-f-]{36})$/i.exec(location.hash)?.[1];
  if (page.token && id && id !== page.open?.id) openDocument(id);
});

if (page.token) signIn(page.token);
