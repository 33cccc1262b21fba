# syntax=docker/dockerfile:1
#
# Latchkey container image.
#
#   docker build --build-arg VERSION=$(git describe --always --dirty) -t latchkey .
#
# The binary is pure Go (the embedded SQLite engine included), so it is
# built with CGO_ENABLED=0 and runs on a distroless static image as a non-root
# user. The final image has no shell or curl: its health check is the binary
# itself, `latchkey healthcheck` (GET /readyz on server.addr), which
# docker-compose.yml runs.

# ---- build ---------------------------------------------------------------
# Pinned to the patch release go.mod asks for, so the toolchain is never
# downloaded at build time.
FROM golang:1.26.8-bookworm AS build

WORKDIR /src

# Module downloads get their own layer: it is rebuilt only when a go.mod,
# go.sum or the workspace (go.work) changes, not on every source edit. The
# server's module requires the public modules client/ and verify/ from the
# directories beside it (go.work, and replace in go.mod), so their go.mod
# and go.sum come first too; go.work also names verify/ginverify.
COPY go.work go.work.sum go.mod go.sum ./
COPY client/go.mod client/go.sum ./client/
COPY verify/go.mod ./verify/
COPY verify/ginverify/go.mod verify/ginverify/go.sum ./verify/ginverify/
RUN go mod download && go mod verify

COPY . .

ARG VERSION=dev
RUN CGO_ENABLED=0 go build -trimpath -ldflags "-s -w -X main.version=${VERSION}" -o /out/latchkey ./cmd/latchkey \
 && mkdir -p /out/data

# ---- run -----------------------------------------------------------------
FROM gcr.io/distroless/static-debian12:nonroot

COPY --from=build /out/latchkey /latchkey
# The data directory must be writable by the nonroot user (65532); a named
# volume mounted here inherits this ownership.
COPY --from=build --chown=65532:65532 /out/data /data

USER 65532:65532
WORKDIR /data
VOLUME ["/data"]

# Inside a container the server must listen on every interface, not on the
# loopback default (127.0.0.1:8080). With no LATCHKEY_STORE_MONGODB_URI the
# embedded store keeps its files in /data.
ENV LATCHKEY_SERVER_ADDR=0.0.0.0:8080 \
    LATCHKEY_STORE_DATA_DIR=/data
EXPOSE 8080

ENTRYPOINT ["/latchkey"]
CMD ["serve"]
