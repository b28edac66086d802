# swipeset as a container: a Hugging Face Space (deploy/space/README.md) or any Docker host.
#
# `build` compiles the release server and the browser bundle from source, the
# same steps as `make build`; `runtime` is Debian slim with the binary, the site and a
# non-root user with uid 1000 (Spaces run as 1000), listening on 7860 (a Space's default
# `app_port`) and keeping its SQLite database under /data (a Space's persistent storage).
#
#   docker build -t swipeset .
#   docker run -p 7860:7860 -v swipeset-data:/data -e SWIPESET_DEMO=true swipeset
#
# The last stage, `runtime`, is what `docker build` makes. `--target runtime-prebuilt`
# makes the same image from `prebuilt/swipeset` and `prebuilt/site` in the build context
# instead of compiling: the test suite builds it that way around the server it has just
# tested (scripts/container-test.sh; a dev build there, to save compiling it twice). Both take everything but the two files from
# `runtime-base`.

ARG RUST_IMAGE=docker.io/library/rust:1.95-slim-bookworm
ARG RUNTIME_IMAGE=docker.io/library/debian:bookworm-slim

FROM ${RUST_IMAGE} AS build
WORKDIR /src
ENV CARGO_TARGET_DIR=/src/target CARGO_TERM_COLOR=never
COPY . .
# setup.sh adds what the build needs and the image lacks: the wasm target, Node.js and npm
# (for binaryen's wasm-opt and terser, from npm). Then the two steps of `make build`.
RUN scripts/setup.sh run \
 && cargo build --release --package swipeset-server --locked \
 && cargo xtask site --release \
 && mkdir -p /out \
 && cp target/release/swipeset /out/swipeset \
 && cp -r target/site /out/site

FROM ${RUNTIME_IMAGE} AS runtime-base
# No packages to add: TLS (the OpenID provider, the Hub, model endpoints) is rustls with
# its own root certificates, and the health check is the binary itself.
RUN useradd --create-home --uid 1000 --shell /bin/bash user \
 && mkdir -p /data /app \
 && chown user:user /data
ENV SWIPESET_ADDR=0.0.0.0:7860 \
    SWIPESET_SITE_ROOT=/app/site \
    DATABASE_URL=sqlite:///data/swipeset.db \
    RUST_LOG=info,sqlx=warn,sea_orm=warn
USER 1000
WORKDIR /home/user
EXPOSE 7860
HEALTHCHECK --interval=30s --timeout=10s --start-period=30s --retries=3 \
  CMD ["swipeset", "healthcheck"]
# SIGTERM (docker stop, a Space restart) lets the requests in flight finish and their
# ratings commit, then exits.
STOPSIGNAL SIGTERM
ENTRYPOINT ["swipeset"]
CMD ["serve"]

FROM runtime-base AS runtime-prebuilt
COPY prebuilt/swipeset /usr/local/bin/swipeset
COPY prebuilt/site /app/site

FROM runtime-base AS runtime
COPY --from=build /out/swipeset /usr/local/bin/swipeset
COPY --from=build /out/site /app/site
