# syntax=docker/dockerfile:1
# certbridge operator image: Node runs the TypeScript sources directly (type stripping, ADR 0001), so
# the image is the Node runtime, production dependencies and src/ — no build step, no dev tooling.
#   docker build -t certbridge:0.1.0 .
# Pin the base by digest in CI: --build-arg NODE_IMAGE=node:26-alpine@sha256:...
ARG NODE_IMAGE=node:26-alpine

FROM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
# Production dependencies only, exactly as locked. No install scripts: none of them needs one, and
# the devDependency `node` (whose script fetches a Node binary) is omitted anyway.
RUN npm ci --omit=dev --ignore-scripts --no-audit --no-fund \
 && npm cache clean --force

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# npm and yarn are not needed at run time; drop them from the final image's surface.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
# Owned by root and not writable by the runtime user: works with a read-only root filesystem and
# nothing at run time can modify the code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY bin ./bin
COPY src ./src
# A numeric non-root user (Kubernetes' runAsNonRoot can verify it without /etc/passwd).
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "bin/certbridge.js"]
CMD ["run"]
