import { readFileSync } from 'node:fs';
import type { Router as ExpressRouter, RequestHandler } from 'express';
import { HttpProblem } from '../http/problems.ts';
import { type RouteTable, routerFor } from '../openapi/routeTable.ts';

/**
 * The reviewer console (reviewer, admin). `/console` is a page of static files served from
 * routes/console/ (no inline script or style, so it runs under the app's CSP as it is): the shell
 * is public and holds no data. It asks for a reviewer's or admin's token, keeps it in the tab's
 * sessionStorage and sends it as `Authorization: Bearer`, never in a URL. Everything it shows comes
 * from the review API (reviewRoutes.ts) and a document's history (documentRoutes.ts); the only URL
 * state is `#doc=<id>` (a document id, not PII).
 */

const content = (type: string) => ({ content: { [type]: { schema: { type: 'string' } } } });

export const consoleRouteTable = {
  page: {
    method: 'get',
    path: '/console',
    operation: {
      operationId: 'getConsolePage',
      summary:
        'The reviewer console page (reviewer, admin): a static page that asks for a bearer token and reads /internal/reviews with it',
      responses: { '200': { description: 'The page', ...content('text/html') } },
    },
  },
  script: {
    method: 'get',
    path: '/console/console.js',
    operation: {
      operationId: 'getConsoleScript',
      summary: "The reviewer console's script",
      responses: { '200': { description: 'The script', ...content('text/javascript') } },
    },
  },
  devSignIn: {
    method: 'post',
    path: '/console/dev-sign-in',
    operation: {
      operationId: 'devSignIn',
      summary:
        'Development only: a reviewer token for the console\'s "sign in as reviewer" button; 404 in any other mode',
      responses: {
        '200': { description: '{ token }: a reviewer token for an hour', ...content('application/json') },
        '404': { description: 'Not development: this process mints no tokens' },
      },
    },
  },
  style: {
    method: 'get',
    path: '/console/console.css',
    operation: {
      operationId: 'getConsoleStyle',
      summary: "The reviewer console's style sheet",
      responses: { '200': { description: 'The style sheet', ...content('text/css') } },
    },
  },
} as const satisfies RouteTable;

/** The page's files, read once. */
let pageFiles: { html: Buffer; script: Buffer; style: Buffer } | undefined;
function consoleFiles() {
  const read = (name: string) => readFileSync(new URL(`./console/${name}`, import.meta.url));
  pageFiles ??= { html: read('index.html'), script: read('console.js'), style: read('console.css') };
  return pageFiles;
}

/**
 * `devSignIn`: mints a reviewer token; given only in development (composition/devSignIn.ts), so a
 * production process answers 404 and mints nothing.
 */
export function consoleRoutes(deps: { devSignIn?: () => string } = {}): ExpressRouter {
  const files = consoleFiles();
  /** The page's files change only with a deployment: browsers ask again each time, and get 304 by ETag. */
  const file =
    (type: string, body: Buffer): RequestHandler =>
    (_request, response) => {
      response.setHeader('Cache-Control', 'no-cache').type(type).send(body);
    };
  return routerFor(consoleRouteTable, {
    page: [file('html', files.html)],
    script: [file('text/javascript', files.script)],
    style: [file('css', files.style)],
    devSignIn: [
      (_request, response) => {
        if (!deps.devSignIn) throw new HttpProblem('not_found');
        response.setHeader('Cache-Control', 'no-store').json({ token: deps.devSignIn() });
      },
    ],
  });
}
