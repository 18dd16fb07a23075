import { type Router as ExpressRouter, Router } from 'express';
import { sendProblem } from '../http/problems.ts';
import {
  isProblemCode,
  PROBLEM_CODES,
  PROBLEM_PAGES_PATH,
  PROBLEM_TYPES,
  type ProblemCode,
  problemTypeUri,
} from '../http/problemTypes.ts';

/**
 * The pages a problem's `type` points to: `/problems` lists every kind, `/problems/<code>` documents
 * one. Plain HTML with no script, so that a `type` opened in a browser or fetched by a tool reads as
 * documentation. docs/errors.md is the same catalogue in Markdown (`errorsMarkdown`).
 */

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);
/** The descriptions' `code spans`, as HTML. */
const inlineCode = (text: string) => escapeHtml(text).replace(/`([^`]+)`/g, '<code>$1</code>');

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)} · FiLot KYC API</title>` +
  '<link rel="icon" href="data:,">' +
  '<style>body{font:15px/1.5 system-ui,sans-serif;max-width:48rem;margin:2rem auto;padding:0 1rem}' +
  'code{background:#f4f4f4;padding:0 .2em}dt{font-weight:600;margin-top:1rem}</style></head>' +
  `<body>${body}<p><a href="${PROBLEM_PAGES_PATH}">All problem types</a> · <a href="/docs">API reference</a></p></body></html>`;

function problemPage(code: ProblemCode): string {
  const { status, title, description } = PROBLEM_TYPES[code];
  return page(
    title,
    `<h1>${escapeHtml(title)}</h1>` +
      `<p>Problem type <code>${problemTypeUri(code)}</code>, <code>code</code>: <code id="code">${code}</code>, ` +
      `HTTP status <code>${status}</code>.</p><p>${inlineCode(description)}</p>` +
      '<p>The body is <code>application/problem+json</code> (RFC 9457): <code>type</code>, <code>code</code>, ' +
      '<code>title</code>, <code>status</code>, <code>detail</code> (this occurrence), <code>correlationId</code> ' +
      '(quote it when you contact us), and <code>errors</code> where the request broke rules.</p>',
  );
}

function indexPage(): string {
  const entries = PROBLEM_CODES.map((code) => {
    const { status, title } = PROBLEM_TYPES[code];
    return `<dt><a href="${problemTypeUri(code)}"><code>${code}</code></a> · ${status}</dt><dd>${escapeHtml(title)}</dd>`;
  });
  return page('Problem types', `<h1>Problem types</h1><dl>${entries.join('')}</dl>`);
}

export function problemPageRoutes(): ExpressRouter {
  const router = Router();
  router.get(PROBLEM_PAGES_PATH, (_request, response) => {
    response.type('html').send(indexPage());
  });
  router.get(`${PROBLEM_PAGES_PATH}/:code`, (request, response) => {
    const { code } = request.params;
    if (!isProblemCode(code)) return sendProblem(response, 'not_found', { detail: 'No such problem type.' });
    response.type('html').send(problemPage(code));
  });
  return router;
}

/** docs/errors.md: the catalogue, as scripts/errorsDoc.ts writes it. */
export function errorsMarkdown(): string {
  const rows = PROBLEM_CODES.map((code) => {
    const { status, title, description } = PROBLEM_TYPES[code];
    return `| \`${code}\` | ${status} | ${title} | ${description.replaceAll('|', '\\|')} |`;
  });
  return [
    '# Errors',
    '',
    '<!-- Written by `node scripts/errorsDoc.ts` from server/http/problemTypes.ts; a test fails when it is stale. -->',
    '',
    'Every error is an RFC 9457 problem (`Content-Type: application/problem+json`):',
    '',
    '```json',
    '{',
    '  "type": "/problems/not_found",',
    '  "code": "not_found",',
    '  "title": "Not found",',
    '  "status": 404,',
    '  "detail": "No such document.",',
    '  "correlationId": "4f6c0f4e-0b5e-4f8e-9a51-3f1d2c7b9e10"',
    '}',
    '```',
    '',
    '- `type` is the URI of the page that documents the kind, relative to the service that answered',
    `  (\`GET ${PROBLEM_PAGES_PATH}/<code>\`; \`GET ${PROBLEM_PAGES_PATH}\` lists them all). It never changes for a kind.`,
    '- `code` is the same kind as a short string: branch on it (or on `type`), never on `title` or `detail`.',
    '- `detail` explains this occurrence; `errors` lists `{ path, message }` for each rule a request broke;',
    '  `correlationId` is also the `X-Request-Id` header: quote it when you contact us.',
    '- Answers with `Retry-After` (429, 503) may be sent again after that many seconds.',
    '',
    '| code | status | title | meaning |',
    '|---|---|---|---|',
    ...rows,
    '',
  ].join('\n');
}
