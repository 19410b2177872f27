# syntax=docker/dockerfile:1
# Build: the same steps as scripts/docker-steps.sh (which CI runs, since CI has no Docker engine).
FROM node:20-bookworm-slim AS build
WORKDIR /src
COPY package.json package-lock.json ./
# Bun itself comes from npm (pinned in package.json), like on every developer machine.
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx bun run build && ./dist/skinstack version && mkdir -p /out/data

# Runtime: only the binary. distroless/cc has glibc and libstdc++, which the Bun runtime links against.
FROM gcr.io/distroless/cc-debian12:nonroot
WORKDIR /app
COPY --from=build --chown=nonroot:nonroot /src/dist/skinstack /usr/local/bin/skinstack
COPY --from=build --chown=nonroot:nonroot /out/data /app/data
ENV HOST=0.0.0.0 PORT=3000 DATA_DIR=/app/data
# The embedded database (when DATABASE_URL is unset) writes here; mount a volume to keep it.
VOLUME ["/app/data"]
USER nonroot
EXPOSE 3000
# No shell or curl in this image: the binary checks its own /healthz.
HEALTHCHECK --interval=10s --timeout=3s --start-period=20s --retries=3 CMD ["/usr/local/bin/skinstack", "healthcheck"]
ENTRYPOINT ["/usr/local/bin/skinstack"]
CMD ["serve"]
