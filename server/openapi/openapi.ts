import { type Router as ExpressRouter, Router } from 'express';
import { PROBLEM_PAGES_PATH } from '../http/problemTypes.ts';
import { buli2RouteTable } from '../routes/buli2Routes.ts';
import {
  applicantRouteTable,
  documentRouteTable,
  uploadRouteTable,
  verificationRouteTable,
} from '../routes/client/index.ts';
import { consoleRouteTable } from '../routes/consoleRoutes.ts';
import { healthRouteTable } from '../routes/health.ts';
import { inspectorRouteTable } from '../routes/inspectorRoutes.ts';
import { metricsRouteTable } from '../routes/metrics.ts';
import { reviewRouteTable } from '../routes/reviewRoutes.ts';
import { finishDocument } from './documentShape.ts';
import { problemPageRoutes } from './problemPages.ts';
import { REFERENCE_ASSETS_PATH, referencePageRoutes } from './referencePage.ts';
import { openApiPaths, type TaggedRouteTable } from './routeTable.ts';

/**
 * The OpenAPI 3.1 document, its paths built from the route tables the routers are built from
 * (routeTable.ts), so the description cannot drift from what is served, and finished by
 * documentShape.ts (named schemas, descriptions, the reason codes). `/docs` renders it with Scalar's
 * API reference, served from node_modules (referencePage.ts). These routes, and the problem type
 * pages (problemPages.ts), describe the API and are not part of it.
 */

/** Every route the app serves besides the document itself, in the order the document lists them, each table under its tag. */
export const ROUTE_SECTIONS: readonly TaggedRouteTable[] = [
  {
    tag: 'Uploads',
    description: 'Send a KTP or NPWP card to be verified. Safe to retry with an `Idempotency-Key`.',
    table: uploadRouteTable,
  },
  {
    tag: 'Documents',
    description: 'Your documents: list, detail and history. NIK and NPWP are masked to their last 4 digits.',
    table: documentRouteTable,
  },
  {
    tag: 'Applicants',
    description:
      "One person's cards grouped: create an applicant, name it in each upload, then read one verdict for the person with the checks across their KTP and NPWP.",
    table: applicantRouteTable,
  },
  {
    tag: 'Verification',
    description:
      'The verdict for a document (pending, approved, rejected, in_review), with its score and reasons; once, or as a stream of Server-Sent Events.',
    table: verificationRouteTable,
  },
  {
    tag: 'Review',
    description: 'For reviewers and admins: the review queue, claims and decisions.',
    table: reviewRouteTable,
  },
  {
    tag: 'Inspector',
    description: 'For reviewers and admins: the live map of the verification machine.',
    table: inspectorRouteTable,
  },
  { tag: 'Console', description: 'The reviewer console: a static page and its files.', table: consoleRouteTable },
  {
    tag: 'BULI2',
    description: 'For BULI2, the external review service: its signed decisions, and the signed image links it follows.',
    table: buli2RouteTable,
  },
  { tag: 'Health', description: 'Probes for the orchestrator.', table: healthRouteTable },
  { tag: 'Metrics', description: 'Prometheus metrics.', table: metricsRouteTable },
];

/** The routes that serve the document (outside it): the JSON, its rendering, and the problem type pages. */
export const DOCUMENT_ROUTES = {
  json: '/openapi.json',
  page: '/docs',
  pageScripts: `${REFERENCE_ASSETS_PATH}/:file`,
  problems: PROBLEM_PAGES_PATH,
  problem: `${PROBLEM_PAGES_PATH}/:code`,
} as const;

const AUTHENTICATION = [
  'Every call to the client API carries a JSON Web Token from your identity provider:',
  '`Authorization: Bearer <JWT>`. Its `sub` is the caller (a user sees only their own documents) and its',
  '`role` one of `user`, `reviewer` or `admin` (the review API under `/internal` is for reviewers and',
  'admins). A missing, expired or foreign token is answered `401` with `WWW-Authenticate: Bearer`; a',
  'token with the wrong role, `403`. In development, `npm run token` mints one.',
  '',
  '```sh',
  'curl -H "Authorization: Bearer $TOKEN" -F type=KTP -F file=@ktp.jpg http://localhost:3000/documents/upload',
  '```',
  '',
  'Errors are RFC 9457 problems (`application/problem+json`) whose `type` links to the page that documents',
  `them (\`${PROBLEM_PAGES_PATH}/<code>\`; all of them at \`${PROBLEM_PAGES_PATH}\`).`,
].join('\n');

export function openApiDocument() {
  // A copy: the route tables' operations are shared, and finishing the document moves their schemas.
  const paths = structuredClone(openApiPaths(ROUTE_SECTIONS));
  return finishDocument({
    openapi: '3.1.0',
    info: {
      title: 'FiLot KYC engine',
      version: '1',
      summary: 'Verification of Indonesian KTP and NPWP cards.',
      description: `Verification of Indonesian KTP and NPWP cards: upload a card, then read its verdict.\n\n## Authentication\n\n${AUTHENTICATION}`,
    },
    servers: [{ url: '/', description: 'The service that serves this document' }],
    tags: ROUTE_SECTIONS.map(({ tag, description }) => ({ name: tag, description })),
    components: {
      schemas: {},
      securitySchemes: {
        bearer: {
          type: 'http',
          scheme: 'bearer',
          bearerFormat: 'JWT',
          description:
            'A JWT from the identity provider: `sub` is the caller, `role` is `user`, `reviewer` or `admin`.',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'The METRICS_TOKEN the service was configured with, for `/metrics` only (not a JWT).',
        },
        buli2Signature: {
          type: 'apiKey',
          in: 'header',
          name: 'X-Buli2-Signature',
          description:
            't=<unix seconds>,v1=<hex HMAC-SHA256(secret, t + "." + raw body)>; several v1 entries while secrets rotate; at most 5 minutes from our clock',
        },
      },
    },
    paths,
  });
}

export function openApiRoutes(): ExpressRouter {
  const router = Router();
  const document = openApiDocument();
  router.get(DOCUMENT_ROUTES.json, (_request, response) => {
    response.json(document);
  });
  router.use(referencePageRoutes({ page: DOCUMENT_ROUTES.page, document: DOCUMENT_ROUTES.json }));
  router.use(problemPageRoutes());
  return router;
}
