#!/usr/bin/env bash
# Builds kube-apiserver, kube-controller-manager and kubectl for the test cluster
# (kube/testcluster), once per machine.
#
# They come from the k8s.io/kubernetes module, built in a throwaway module under the user cache
# dir so kockpit's own go.mod never depends on k8s.io/kubernetes. The staging modules
# (k8s.io/api, k8s.io/client-go, ...) are pinned by `replace`, as the kubernetes module's own
# go.mod points them at ./staging, which a module download does not have.
#
# Prints the directory holding the binaries on its last line.
set -euo pipefail

KUBE_VERSION="${KUBE_VERSION:-v1.37.2}"
STAGING_VERSION="v0${KUBE_VERSION#v1}"
cache="${KOCKPIT_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/kockpit}"
bin="$cache/kube-$KUBE_VERSION/bin"
stamp="$bin/.built"

cmds="kube-apiserver kube-controller-manager kubectl"

built=1
for cmd in $cmds; do
  [ -x "$bin/$cmd" ] || built=0
done
if [ -f "$stamp" ] && [ "$built" = 1 ]; then
  echo "$bin"
  exit 0
fi

work="$cache/kube-$KUBE_VERSION/module"
mkdir -p "$work" "$bin"
cd "$work"

gomod_of_kubernetes=$(GOFLAGS=-mod=mod go mod download -json "k8s.io/kubernetes@$KUBE_VERSION" |
  sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p')
[ -f "$gomod_of_kubernetes" ] || { echo "cannot download k8s.io/kubernetes@$KUBE_VERSION" >&2; exit 1; }

go_directive=$(sed -n 's/^go \([0-9.]*\)$/\1/p' "$gomod_of_kubernetes" | head -n1)
{
  echo "module kockpit.local/kubebinaries"
  echo
  echo "go $go_directive"
  echo
  echo "require k8s.io/kubernetes $KUBE_VERSION"
  echo
  echo "replace ("
  # Every `k8s.io/x => ./staging/src/k8s.io/x` line becomes `k8s.io/x => k8s.io/x vX.Y.Z`.
  sed -n 's#^[[:space:]]*\(k8s\.io/[a-z0-9-]*\) => \./staging/src/k8s\.io/[a-z0-9-]*$#\t\1 => \1 '"$STAGING_VERSION"'#p' "$gomod_of_kubernetes"
  echo ")"
} > go.mod
cat > tools.go <<'GO'
//go:build tools

package kubebinaries

import (
	_ "k8s.io/kubernetes/cmd/kube-apiserver"
	_ "k8s.io/kubernetes/cmd/kube-controller-manager"
	_ "k8s.io/kubernetes/cmd/kubectl"
)
GO

echo "resolving k8s.io/kubernetes $KUBE_VERSION modules (cold: a few minutes)..." >&2
GOFLAGS=-mod=mod go mod tidy -e >/dev/null 2>&1 || true
GOFLAGS=-mod=mod go get "k8s.io/kubernetes@$KUBE_VERSION" >&2

ldflags="-s -w -X k8s.io/component-base/version.gitVersion=$KUBE_VERSION \
 -X k8s.io/component-base/version.gitMajor=1 \
 -X k8s.io/component-base/version.gitMinor=$(echo "$KUBE_VERSION" | cut -d. -f2) \
 -X k8s.io/component-base/version.gitTreeState=clean \
 -X k8s.io/component-base/version.buildDate=1970-01-01T00:00:00Z \
 -X k8s.io/client-go/pkg/version.gitVersion=$KUBE_VERSION"
for cmd in $cmds; do
  echo "building $cmd $KUBE_VERSION..." >&2
  GOFLAGS=-mod=mod CGO_ENABLED=0 go build -trimpath -ldflags "$ldflags" -o "$bin/$cmd" "k8s.io/kubernetes/cmd/$cmd"
done
touch "$stamp"
echo "$bin"
