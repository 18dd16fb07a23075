// The API reference page (/docs): Scalar's standalone bundle, served by this service from
// node_modules (referencePage.ts), rendering the service's own /openapi.json. Loaded as a file, not
// inline, so the page runs under the app's Content-Security-Policy. No outside fonts or proxy: the
// page loads nothing from another origin.
const page = document.getElementById('reference');
window.Scalar.createApiReference(page, {
  url: page.dataset.document,
  withDefaultFonts: false,
  showDeveloperTools: 'never',
  hideClientButton: false,
  defaultHttpClient: { targetKey: 'shell', clientKey: 'curl' },
  authentication: { preferredSecurityScheme: 'bearer' },
  hideDownloadButton: false,
  telemetry: false,
  agent: { disabled: true },
  mcp: { disabled: true },
});
