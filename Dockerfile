# kubeding container image.
#
#   docker build -t kubeding .
#   docker run --read-only --tmpfs /tmp -v kubeding-state:/var/lib/kubeding \
#     -v "$PWD/kubeding.yaml:/etc/kubeding/kubeding.yaml:ro" \
#     -e KUBEDING_CONFIG=/etc/kubeding/kubeding.yaml kubeding
#
# Two stages: `build` installs every dependency (esbuild is a devDependency) and bundles the
# TypeScript sources into dist/ (npm run build: one minified file plus chunks that only some
# configurations load); `runtime` gets dist/ and package.json, and nothing else: the bundle
# holds every production dependency it uses, so the image has no node_modules at all.

FROM node:24-slim AS build
WORKDIR /app
COPY package.json package-lock.json ./
# --ignore-scripts: the dev-only `node` package's install script would fetch a second Node; the
# base image's Node 24 runs the build. esbuild's binary comes from its platform package.
RUN npm ci --ignore-scripts --no-audit --no-fund
COPY scripts ./scripts
COPY src ./src
COPY commands ./commands
RUN node scripts/build.ts

FROM node:24-slim AS runtime
ENV NODE_ENV=production
# glibc hands blocks of 64 KiB and more (each socket read's buffer) to mmap, and back to the
# system when freed, instead of carving them from the main heap: there, read buffers freed in
# whatever order the GC frees them left the heap ~10 MiB larger after 1,000,000 events than after
# 100,000, for good (read from /proc/PID/smaps). `npm start` and the shebang set it too.
ENV MALLOC_MMAP_THRESHOLD_=65536
WORKDIR /app
# The state directory is a mount point for a volume (emptyDir or PVC in Kubernetes); created here
# and owned by the runtime user so a `docker run` with a named volume works as well. A config
# without `state.dir` (environment-only mode too) keeps its store in `./data`, which here is that
# volume: /app itself is root's and read-only to the process.
RUN mkdir -p /var/lib/kubeding && chown 1000:1000 /var/lib/kubeding && ln -s /var/lib/kubeding /app/data
COPY --from=build /app/dist ./dist
# package.json says `"type": "module"` (dist/ is ES modules) and holds the version kubeding prints.
COPY package.json ./
# Numeric user (the base image's `node` user): Kubernetes can only enforce `runAsNonRoot` when the
# image's user is a number. Everything above is root-owned and read-only to it, which is what a
# read-only root filesystem expects: the process writes only to /var/lib/kubeding and /tmp.
USER 1000:1000
EXPOSE 8080
# Node runs as PID 1 without an init: it spawns no children to reap, and main.ts installs the
# SIGTERM/SIGINT handlers (PID 1 gets no default signal action), flushes the outbox and exits 0.
STOPSIGNAL SIGTERM
# The V8 flags are the ones `npm start` uses and bench/footprint.ts measures this command with
# (it reads this line): 1 MiB semi-spaces keep V8's young generation from growing to tens of MiB
# that an event bot never needs; one V8 worker thread (--v8-pool-size=1, Node's default is 4)
# gives its background compiling and GC work one malloc arena instead of four, which measured
# ~8 MiB less after 1,000,000 events at the same CPU per event. --optimize-for-size, --max-opt=2
# and --liftoff-only are set by kubeding itself once its code is loaded (src/memory-flags.ts): on
# this line they made Node compile each of its built-in modules again, ~50 ms more to ready.
CMD ["node", "--max-semi-space-size=1", "--v8-pool-size=1", "dist/kubeding.js"]
