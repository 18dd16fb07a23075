import { type Router as ExpressRouter, Router } from 'express';
import { buli2RouteTable } from '../routes/buli2Routes.ts';
import { consoleRouteTable } from '../routes/consoleRoutes.ts';
import { documentRouteTable } from '../routes/documentRoutes.ts';
import { healthRouteTable } from '../routes/health.ts';
import { inspectorRouteTable } from '../routes/inspectorRoutes.ts';
import { metricsRouteTable } from '../routes/metrics.ts';
import { reviewRouteTable } from '../routes/reviewRoutes.ts';
import { uploadRouteTable } from '../routes/uploadRoutes.ts';
import { verificationRouteTable } from '../routes/verificationRoutes.ts';
import { openApiPaths, type RouteTable } from './routeTable.ts';

/**
 * The OpenAPI 3.1 document, its paths built from the route tables the routers are built from
 * (routeTable.ts), so the description cannot drift from what is served. `/docs` renders it as a
 * plain page with no outside assets; these two routes describe the API and are not part of it.
 */

/** Every route the app serves besides the document itself, in the order the document lists them. */
export const ROUTE_TABLES: readonly RouteTable[] = [
  uploadRouteTable,
  documentRouteTable,
  verificationRouteTable,
  reviewRouteTable,
  inspectorRouteTable,
  consoleRouteTable,
  buli2RouteTable,
  healthRouteTable,
  metricsRouteTable,
];

/** The routes that serve the document (outside it): the JSON and its rendering. */
export const DOCUMENT_ROUTES = { json: '/openapi.json', page: '/docs' } as const;

export function openApiDocument() {
  return {
    openapi: '3.1.0',
    info: { title: 'FiLot KYC engine', version: '1', description: 'Verification of Indonesian KTP and NPWP cards.' },
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
        buli2Signature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Buli2-Signature',
          description:
            't=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>; several v1 entries while secrets rotate; at most 5 minutes from our clock',
        },
      },
    },
    paths: openApiPaths(ROUTE_TABLES),
  };
}

const escapeHtml = (text: string) => text.replace(/[&<>"']/g, (character) => `&#${character.charCodeAt(0)};`);

export function openApiRoutes(): ExpressRouter {
  const router = Router();
  const document = openApiDocument();
  router.get(DOCUMENT_ROUTES.json, (_request, response) => {
    response.json(document);
  });
  router.get(DOCUMENT_ROUTES.page, (_request, response) => {
    const operations = Object.entries(document.paths).flatMap(([path, methods]) =>
      Object.entries(methods).map(
        ([method, operation]) =>
          `<section><h2><code>${method.toUpperCase()} ${escapeHtml(path)}</code></h2><p>${escapeHtml(operation.summary)}</p>` +
          `<details><summary>Schema</summary><pre>${escapeHtml(JSON.stringify(operation, null, 2))}</pre></details></section>`,
      ),
    );
    response
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>FiLot KYC API</title>` +
          `<style>body{font:15px/1.5 system-ui,sans-serif;max-width:60rem;margin:2rem auto;padding:0 1rem}` +
          `h2{font-size:1rem;margin:1.5rem 0 .25rem}pre{background:#f4f4f4;padding:.75rem;overflow:auto}</style></head>` +
          `<body><h1>FiLot KYC API</h1><p>OpenAPI 3.1: <a href="/openapi.json">/openapi.json</a>. ` +
          `Authenticate with <code>Authorization: Bearer &lt;JWT&gt;</code>; errors are ` +
          `<code>application/problem+json</code>.</p>${operations.join('')}</body></html>`,
      );
  });
  return router;
}
