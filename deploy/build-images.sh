#!/usr/bin/env bash
# Build the image of every service (or of the ones named), tagged
# bazaar/<service>:<version from its package.json> — the tags compose.yaml and
# the Kubernetes base use. Run from anywhere; needs Docker with BuildKit.
#   deploy/build-images.sh                 # all services
#   deploy/build-images.sh catalog orders  # some
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [ "$#" -gt 0 ]; then services=("$@"); else
  services=()
  for dir in services/*/; do services+=("$(basename "$dir")"); done
fi
for service in "${services[@]}"; do
  manifest="services/$service/package.json"
  [ -f "$manifest" ] || { echo "no $manifest" >&2; exit 1; }
  version="$(sed -n 's/^  "version": "\(.*\)",$/\1/p' "$manifest")"
  echo "==> bazaar/$service:${version:-latest}"
  docker build --file deploy/Dockerfile --build-arg "SERVICE=$service" --tag "bazaar/$service:${version:-latest}" .
done
