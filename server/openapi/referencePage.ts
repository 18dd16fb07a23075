import { existsSync, readFileSync } from 'node:fs';
import { type Router as ExpressRouter, type RequestHandler, Router } from 'express';
import { sendProblem } from '../http/problems.ts';

/**
 * `/docs`: the API reference, rendered in the browser by Scalar's API reference (its standalone
 * bundle, from node_modules, served here: no CDN, no outside fonts) from `/openapi.json`. The page
 * holds no inline script: reference/reference.js starts Scalar, so the page runs under the app's
 * Content-Security-Policy as it is. Scalar shows each operation with its schemas, examples and a
 * curl snippet.
 */

export const REFERENCE_ASSETS_PATH = '/docs/assets';

type Asset = { type: string; body: Buffer };

/**
 * Scalar's standalone bundle. `@scalar/api-reference` is a development dependency: in production it
 * would bring about 300 packages (245 MB) for this one 5 MB file. A development or test install
 * finds it in node_modules (beside the package's entry, dist/index.js: the package exports no path
 * to it); the images hold it at reference/scalar.standalone.js, which the Dockerfile's `reference`
 * stage takes from the tarball the lockfile pins, its integrity checked. Null when neither is there
 * (a checkout installed without development dependencies): /docs says so then.
 */
export function scalarBundle(): Buffer | null {
  const candidates: (() => URL)[] = [
    () => new URL('./reference/scalar.standalone.js', import.meta.url),
    // Relative to the package's entry, not to this file.
    () => new URL('browser/standalone.js', import.meta.resolve('@scalar/api-reference')),
  ];
  for (const candidate of candidates) {
    try {
      const path = candidate();
      if (existsSync(path)) return readFileSync(path);
    } catch {
      // Not installed: import.meta.resolve throws for a package that is not there.
    }
  }
  return null;
}

let assets: Record<string, Asset> | null | undefined;
/** Read once, on the first router built: the bundle is about 5 MB. */
function referenceAssets(): Record<string, Asset> | null {
  if (assets !== undefined) return assets;
  const bundle = scalarBundle();
  assets = bundle && {
    'scalar.js': { type: 'text/javascript', body: bundle },
    'before.js': { type: 'text/javascript', body: readFileSync(new URL('./reference/before.js', import.meta.url)) },
    'reference.js': {
      type: 'text/javascript',
      body: readFileSync(new URL('./reference/reference.js', import.meta.url)),
    },
  };
  return assets;
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export function referencePageRoutes(paths: { page: string; document: string }): ExpressRouter {
  const files = referenceAssets();
  const html = files
    ? '<!doctype html><html lang="en"><head><meta charset="utf-8">' +
      '<meta name="viewport" content="width=device-width, initial-scale=1">' +
      '<title>FiLot KYC API reference</title><link rel="icon" href="data:,"></head><body>' +
      `<div id="reference" data-document="${escapeHtml(paths.document)}"></div>` +
      `<script src="${REFERENCE_ASSETS_PATH}/before.js"></script>` +
      `<script src="${REFERENCE_ASSETS_PATH}/scalar.js"></script>` +
      `<script src="${REFERENCE_ASSETS_PATH}/reference.js"></script></body></html>`
    : '<!doctype html><html lang="en"><head><meta charset="utf-8"><title>FiLot KYC API reference</title></head>' +
      '<body><p>The rendered reference is not installed here (a development dependency). ' +
      `The OpenAPI document is at <a href="${escapeHtml(paths.document)}">${escapeHtml(paths.document)}</a>.</p></body></html>`;
  /** The files change only with a deployment: browsers ask again each time, and get 304 by ETag. */
  const page: RequestHandler = (_request, response) => {
    response.setHeader('Cache-Control', 'no-cache').type('html').send(html);
  };
  const asset: RequestHandler = (request, response) => {
    const file = files?.[String(request.params.file)];
    if (!file) return sendProblem(response, 'not_found', { detail: 'No such file.' });
    response.setHeader('Cache-Control', 'no-cache').type(file.type).send(file.body);
  };
  const router = Router();
  router.get(paths.page, page);
  router.get(`${REFERENCE_ASSETS_PATH}/:file`, asset);
  return router;
}
