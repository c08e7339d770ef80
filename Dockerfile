# syntax=docker/dockerfile:1
# certbridge operator image: a build stage compiles src/ to JavaScript (tsc -p tsconfig.build.json), the
# runtime stage runs that JavaScript with production dependencies only, as a numeric non-root user, on
# a read-only root filesystem (docs/adr/0009-image-and-release.md).
#   docker build -t certbridge:0.1.0 .
# NODE_IMAGE: a Node 26 image with npm and a POSIX shell. Pin it by digest in CI
# (--build-arg NODE_IMAGE=node:26-alpine@sha256:...). Where no registry is reachable,
# test/harness/build-image.sh assembles one from Debian packages and builds with buildah.
ARG NODE_IMAGE=node:26-alpine

# The build and dependency stages run on the build machine's platform, so a multi-arch build emulates
# nothing heavy: the JavaScript output and the (pure JavaScript) production dependencies are the same
# on every architecture. A dependency with a native addon would have to move to the runtime stage.
FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS build
WORKDIR /src
COPY package.json package-lock.json ./
# No install scripts: the `node` devDependency's script would fetch a second Node we do not need.
# Behind a TLS-inspecting proxy, hand its CA in as a build secret: --secret id=extra_ca,src=<PEM file>.
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi; \
    npm ci --ignore-scripts --no-audit --no-fund
COPY tsconfig.json tsconfig.build.json ./
COPY src ./src
# The dev command imports the test control plane; it is compiled, but not shipped.
COPY test/harness ./test/harness
RUN node node_modules/typescript/bin/tsc -p tsconfig.build.json

FROM --platform=$BUILDPLATFORM ${NODE_IMAGE} AS deps
WORKDIR /app
COPY package.json package-lock.json ./
RUN --mount=type=cache,target=/root/.npm --mount=type=secret,id=extra_ca \
    if [ -s /run/secrets/extra_ca ]; then export NODE_EXTRA_CA_CERTS=/run/secrets/extra_ca; fi; \
    npm ci --omit=dev --ignore-scripts --no-audit --no-fund

FROM ${NODE_IMAGE}
ENV NODE_ENV=production
WORKDIR /app
# npm, npx, corepack and yarn are not needed at run time; drop them from the final image's surface.
RUN rm -rf /usr/local/lib/node_modules/npm /usr/local/lib/node_modules/corepack /opt/yarn-* \
      /usr/local/bin/npm /usr/local/bin/npx /usr/local/bin/corepack /usr/local/bin/yarn /usr/local/bin/yarnpkg
# Owned by root and not writable by the runtime user: works with a read-only root filesystem and
# nothing at run time can modify the code.
COPY --from=deps /app/node_modules ./node_modules
COPY package.json ./
COPY --from=build /src/dist/src ./dist
# A numeric non-root user (Kubernetes' runAsNonRoot can verify it without /etc/passwd).
USER 65532:65532
EXPOSE 8080
ENTRYPOINT ["node", "dist/cli.js"]
CMD ["run"]
