# syntax=docker/dockerfile:1
#
# The misar-scan container image (SPEC §7): a static (musl) misar-scan, git
# (history scans and `ci github` run git), CA certificates (`--verify`), a
# non-root user, `misar-scan` as the entrypoint. The release publishes it as
# ghcr.io/misar/misar-scan:<version> and :latest (linux/amd64, linux/arm64).
#
#   docker build -t misar-scan .                       # compiles from this checkout
#   docker run --rm -v "$PWD:/src" misar-scan scan /src
#   docker run --rm -v "$PWD:/src" misar-scan scan --git /src
#
# Stages:
#   build     compiles the static binary (rust:alpine)
#   prebuilt  takes it from the build context instead (image/<arch>/misar-scan,
#             the release's own binaries: `--build-arg BINARY=prebuilt`)
#   image     alpine + git + the binary, non-root: the default, what is published
#   minimal   FROM scratch, the binary alone (no git, no shell): file and
#             stdin scans only; built by scripts/container-test.sh, which
#             needs no base image
ARG RUST_VERSION=1.95
ARG ALPINE_VERSION=3.22
ARG BINARY=build

FROM rust:${RUST_VERSION}-alpine${ALPINE_VERSION} AS build
RUN apk add --no-cache musl-dev gcc
WORKDIR /src
COPY . .
RUN cargo build --release --locked --bin misar-scan \
 && cp target/release/misar-scan /misar-scan

FROM scratch AS prebuilt
ARG TARGETARCH
COPY image/${TARGETARCH}/misar-scan /misar-scan

# The stage the binary comes from (`build` or `prebuilt`).
FROM ${BINARY} AS binary

FROM alpine:${ALPINE_VERSION} AS image
RUN apk add --no-cache git ca-certificates \
 && adduser -D -H -u 10001 -g misar-scan misar \
 && git config --system --add safe.directory '*'
COPY --from=binary --chmod=0755 /misar-scan /usr/local/bin/misar-scan
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["/usr/local/bin/misar-scan"]
CMD ["--help"]

FROM scratch AS minimal
COPY --from=binary --chmod=0755 /misar-scan /misar-scan
USER 10001:10001
WORKDIR /src
ENTRYPOINT ["/misar-scan"]
CMD ["--help"]

# The default target: the published image.
FROM image
