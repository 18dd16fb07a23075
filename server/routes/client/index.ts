/**
 * The client API's routes: what a lending app's backend calls (docs/client-api.md). Reviewers',
 * BULI2's and the pages' routes are beside this folder.
 */
export { applicantRoutes, applicantRouteTable } from './applicantRoutes.ts';
export { documentRoutes, documentRouteTable } from './documentRoutes.ts';
export { uploadRoutes, uploadRouteTable } from './uploadRoutes.ts';
export { verificationRoutes, verificationRouteTable } from './verificationRoutes.ts';
