#!/usr/bin/env bash
# release.sh — cross-build kbench's release binaries with checksums.
#
#   scripts/release.sh [VERSION]
#
# Builds static (CGO_ENABLED=0), stripped, -trimpath binaries for every
# target into $DIST as kbench-OS-ARCH (kbench-OS-ARCH.exe on Windows), each
# stamped so `kbench version` prints VERSION, the commit and the Go version,
# and writes $DIST/SHA256SUMS (check with `sha256sum -c SHA256SUMS`).
#
# VERSION defaults to `git describe --tags --always --dirty` (dev outside a
# checkout); the commit is `git rev-parse HEAD` unless $COMMIT is set.
#
# Environment:
#   DIST             output directory (default: dist)
#   KBENCH_TARGETS   OS/ARCH list (default: linux, darwin and windows on amd64 and arm64)
set -euo pipefail
cd "$(dirname "$0")/.."

version=${1:-$(git describe --tags --always --dirty 2>/dev/null || echo dev)}
commit=${COMMIT:-$(git rev-parse HEAD 2>/dev/null || echo unknown)}
dist=${DIST:-dist}
targets=${KBENCH_TARGETS:-linux/amd64 linux/arm64 darwin/amd64 darwin/arm64 windows/amd64 windows/arm64}
ldflags="-s -w -X main.version=$version -X main.commit=$commit"

mkdir -p "$dist"
files=()
for t in $targets; do
  os=${t%/*} arch=${t#*/}
  out=kbench-$os-$arch
  [[ $os == windows ]] && out+=.exe
  echo "release: $out ($version, $commit)" >&2
  CGO_ENABLED=0 GOOS=$os GOARCH=$arch go build -trimpath -buildvcs=false -ldflags "$ldflags" -o "$dist/$out" ./cmd/kbench
  files+=("$out")
done
(cd "$dist" && sha256sum "${files[@]}" >SHA256SUMS)
echo "release: $dist/SHA256SUMS" >&2
