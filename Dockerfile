# syntax=docker/dockerfile:1
# Multi-stage build: dependencies are compiled in their own cached layer, the
# runtime image holds only the binary, its source definitions and CA roots.

FROM rust:1-slim-bookworm AS build
SHELL ["/bin/bash", "-o", "pipefail", "-c"]
WORKDIR /src
# 1. Dependency layer: build once with an empty crate, reused while Cargo.* are unchanged.
COPY Cargo.toml Cargo.lock ./
RUN mkdir -p src benches \
    && echo 'fn main() {}' > src/main.rs && touch src/lib.rs && echo 'fn main() {}' > build.rs \
    && for b in $(sed -n 's/^name = "\(.*\)"$/\1/p' Cargo.toml | tail -n +2); do echo 'fn main() {}' > "benches/$b.rs"; done \
    && cargo build --release --locked \
    && rm -rf src benches build.rs
# 2. The project itself (data/ is embedded in the binary at compile time; build.rs
#    builds the gazetteer's name index from data/geo).
COPY build.rs ./
COPY src ./src
COPY data ./data
COPY benches ./benches
COPY tests ./tests
RUN touch src/main.rs src/lib.rs && cargo build --release --locked --bin skilltrack

FROM debian:bookworm-slim AS runtime
# Unpinned on purpose: the image takes bookworm's current security updates at each build.
# hadolint ignore=DL3008
RUN apt-get update \
    && apt-get install -y --no-install-recommends ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/skilltrack --create-home skilltrack
COPY --from=build /src/target/release/skilltrack /usr/local/bin/skilltrack
COPY extractors /etc/skilltrack/extractors
ENV SKILLTRACK_DATA_DIR=/var/lib/skilltrack/db \
    SKILLTRACK_EXTRACTORS_DIR=/etc/skilltrack/extractors \
    SKILLTRACK_BIND=0.0.0.0:8080 \
    RUST_LOG=info
USER 10001
VOLUME ["/var/lib/skilltrack"]
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s --retries=3 \
    CMD ["curl", "-fsS", "-o", "/dev/null", "http://127.0.0.1:8080/healthz"]
ENTRYPOINT ["skilltrack"]
CMD ["serve"]
