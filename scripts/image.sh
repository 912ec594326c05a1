#!/usr/bin/env bash
# image.sh — build kbench's container image without a Docker daemon.
#
#   scripts/image.sh [VERSION]
#
# Cross-builds the static release binary for each platform (scripts/release.sh)
# and assembles the image with go-containerregistry (scripts/imagebuild): no
# base image, CA certificates, user 65532 (nonroot), entrypoint
# /usr/local/bin/kbench, OCI labels with the version, commit and source.
# Writes to $OUT:
#   oci/                    OCI image layout (an index when several platforms)
#   image-OS-ARCH.tar       one `docker load` tarball per platform
#
# Push or load it:
#   crane push out/image/oci ghcr.io/you/kbench:v1.2.0       # all platforms
#   skopeo copy --all oci:out/image/oci:latest docker://ghcr.io/you/kbench:v1.2.0
#   docker load -i out/image/image-linux-amd64.tar             # tagged $IMAGE
#   kind load image-archive out/image/image-linux-amd64.tar    # a local kind cluster
#
# Environment:
#   IMAGE       image name and tag (default: ghcr.io/kbench/kbench:latest, the
#               name scripts/k8s-indexed-job.yaml uses)
#   PLATFORMS   linux OS/ARCH list (default: linux/amd64 linux/arm64)
#   OUT         output directory (default: out/image)
#   CA_CERTS    CA bundle to install (default: /etc/ssl/certs/ca-certificates.crt)
#   SOURCE      org.opencontainers.image.source (default: https://github.com/kbench/kbench)
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
# The commit time, so that building a commit twice gives the same digest.
created=${SOURCE_DATE_EPOCH:-$(git log -1 --format=%ct 2>/dev/null || echo 0)}
image=${IMAGE:-ghcr.io/kbench/kbench:latest}
platforms=${PLATFORMS:-linux/amd64 linux/arm64}
out=${OUT:-out/image}

bins=$(mktemp -d)
trap 'rm -rf "$bins"' EXIT
DIST=$bins KBENCH_TARGETS=$platforms COMMIT=$commit scripts/release.sh "$version"

args=()
for p in $platforms; do
  args+=(-binary "$p=$bins/kbench-${p%/*}-${p#*/}")
done
mkdir -p "$out"
go run ./scripts/imagebuild -ref "$image" "${args[@]}" \
  -ca-certs "${CA_CERTS:-/etc/ssl/certs/ca-certificates.crt}" \
  -version "$version" -revision "$commit" -created "$created" \
  -source "${SOURCE:-https://github.com/kbench/kbench}" \
  -oci "$out/oci" -docker-dir "$out"
echo "image: $image ($version) in $out" >&2
