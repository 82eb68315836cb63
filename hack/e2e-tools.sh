#!/usr/bin/env bash
# hack/e2e-tools.sh builds the pinned binaries the e2e tests (test/e2e) need,
# unpacks Debian's chromium (which renders the topology diagrams), and
# pre-fetches the upstream CRD modules (the harness vendors charts out of
# some of them; the CRDs themselves are embedded in internal/crds).
#
#   hack/e2e-tools.sh            # build what is missing, print exports
#   eval "$(hack/e2e-tools.sh)"  # ... and export TELEPACE_TOOLS_DIR
#
# Binaries are cached OUTSIDE the checkout, keyed by version:
#   ${TELEPACE_TOOLS_DIR:-$HOME/.cache/telepace-platform-charts/tools}/<name>-<version>
# A binary that is already there is not rebuilt, so a warm run takes about a
# second. Versions come from the go.mod files under tools/ (the only place they
# are pinned), chromium's from tools/chromium/version; CRD module versions
# come from internal/crds/crd-versions.txt, and the operators of those CRDs (external-secrets, sealed-secrets,
# prometheus-operator) must be pinned at the same versions in both.
#
# Progress goes to stderr; stdout carries only `export NAME=value` lines.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
TOOLS_SRC="$ROOT/tools"
TOOLS_DIR="${TELEPACE_TOOLS_DIR:-${HOME}/.cache/telepace-platform-charts/tools}"
CRD_VERSIONS="$ROOT/internal/crds/crd-versions.txt"

log() { printf 'e2e-tools: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

command -v go >/dev/null || die "go is not on PATH"
mkdir -p "$TOOLS_DIR"
TOOLS_DIR=$(cd "$TOOLS_DIR" && pwd)

# One builder at a time per cache directory.
if command -v flock >/dev/null; then
	exec 9>"$TOOLS_DIR/.lock"
	flock 9
fi

# modver GO_MOD MODULE prints MODULE's required version from GO_MOD without
# touching the network.
modver() {
	local v
	v=$(awk -v m="$2" '
		$1 == m && $2 ~ /^v/ { print $2; exit }
		$1 == "require" && $2 == m { print $3; exit }' "$1")
	[[ -n "$v" ]] || die "$2 is not required in $1"
	printf '%s\n' "$v"
}

export CGO_ENABLED=0 # static binaries, no C toolchain needed

# build NAME VERSION MODULE_DIR PACKAGE LDFLAGS
build() {
	local name=$1 ver=$2 dir=$3 pkg=$4 ldflags=$5
	local out="$TOOLS_DIR/$name-$ver"
	if [[ -x "$out" ]]; then
		log "have  $out"
		return
	fi
	log "build $name $ver ($pkg) ..."
	local start=$SECONDS
	(cd "$dir" && go build -buildvcs=false -tags "${BUILD_TAGS:-}" -ldflags "$ldflags" -o "$out.tmp.$$" "$pkg")
	mv -f "$out.tmp.$$" "$out"
	log "built $out in $((SECONDS - start))s"
}

K8S_VERSION=$(modver "$TOOLS_SRC/go.mod" k8s.io/kubernetes)
ETCD_VERSION=$(modver "$TOOLS_SRC/etcd/go.mod" go.etcd.io/etcd/server/v3)
KWOK_VERSION=$(modver "$TOOLS_SRC/kwok/go.mod" sigs.k8s.io/kwok)
HELM_VERSION=$(modver "$TOOLS_SRC/helm/go.mod" helm.sh/helm/v3)
KUBE_SCORE_VERSION=$(modver "$TOOLS_SRC/kube-score/go.mod" github.com/zegl/kube-score)
PROMTOOL_VERSION=$(modver "$TOOLS_SRC/promtool/go.mod" github.com/prometheus/prometheus)
AMTOOL_VERSION=$(modver "$TOOLS_SRC/amtool/go.mod" github.com/prometheus/alertmanager)

# crdver NAME prints the version crd-versions.txt pins under NAME.
crdver() {
	local v
	v=$(awk -v n="$1" '$1 == n { print $3; exit }' "$CRD_VERSIONS")
	[[ -n "$v" ]] || die "$1 is not pinned in $CRD_VERSIONS"
	printf '%s\n' "$v"
}

# The operators run at the versions of their CRDs: crd-versions.txt pins
# them, tools/<name>/go.mod must agree (the tests check it too).
# samever NAME GO_MOD MODULE
samever() {
	local want got
	want=$(crdver "$1")
	got=$(modver "$2" "$3")
	[[ "$got" == "$want" ]] || die "$2 requires $3 $got, but crd-versions.txt pins $1 $want: make them agree"
	printf '%s\n' "$got"
}
ESO_VERSION=$(samever external-secrets "$TOOLS_SRC/external-secrets/go.mod" github.com/external-secrets/external-secrets)
SEALED_VERSION=$(samever sealed-secrets "$TOOLS_SRC/sealed-secrets/go.mod" github.com/bitnami/sealed-secrets)
PO_VERSION=$(samever prometheus-operator "$TOOLS_SRC/prometheus-operator/go.mod" github.com/prometheus-operator/prometheus-operator)

k8s_minor=${K8S_VERSION#v1.}
k8s_minor=${k8s_minor%%.*}
K8S_LDFLAGS="-s -w"
for p in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
	K8S_LDFLAGS+=" -X $p.gitVersion=$K8S_VERSION -X $p.gitMajor=1 -X $p.gitMinor=$k8s_minor -X $p.gitTreeState=clean"
done

# Sequential on purpose: each build already uses every core.
for c in kube-apiserver kube-controller-manager kube-scheduler; do
	build "$c" "$K8S_VERSION" "$TOOLS_SRC" "k8s.io/kubernetes/cmd/$c" "$K8S_LDFLAGS"
done
build etcd "$ETCD_VERSION" "$TOOLS_SRC/etcd" . "-s -w"
build kwok "$KWOK_VERSION" "$TOOLS_SRC/kwok" sigs.k8s.io/kwok/cmd/kwok "-s -w"
build helm "$HELM_VERSION" "$TOOLS_SRC/helm" helm.sh/helm/v3/cmd/helm \
	"-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/chartutil.k8sVersionMinor=$k8s_minor -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMajor=1 -X helm.sh/helm/v3/pkg/lint/rules.k8sVersionMinor=$k8s_minor"
build kube-score "$KUBE_SCORE_VERSION" "$TOOLS_SRC/kube-score" github.com/zegl/kube-score/cmd/kube-score \
	"-s -w -X main.version=$KUBE_SCORE_VERSION"
# promtool runs the alert unit tests (pkg/synth). The remove_all_sd tag
# leaves out the cloud service-discovery plugins, which rule tests never use.
BUILD_TAGS=remove_all_sd build promtool "$PROMTOOL_VERSION" "$TOOLS_SRC/promtool" github.com/prometheus/prometheus/cmd/promtool \
	"-s -w -X github.com/prometheus/common/version.Version=${PROMTOOL_VERSION#v0.}"

# The operators the e2e suite runs against the installed charts.
# external-secrets: the module root is the controller's main package; its
# go.mod's replace directive is repeated in tools/external-secrets/go.mod.
build external-secrets "$ESO_VERSION" "$TOOLS_SRC/external-secrets" github.com/external-secrets/external-secrets "-s -w"
# sealed-secrets: imported as github.com/bitnami/sealed-secrets, replaced by
# the github.com/bitnami-labs/sealed-secrets module crd-versions.txt pins.
build sealed-secrets-controller "$SEALED_VERSION" "$TOOLS_SRC/sealed-secrets" github.com/bitnami/sealed-secrets/cmd/controller \
	"-s -w -X main.VERSION=$SEALED_VERSION"
build amtool "$AMTOOL_VERSION" "$TOOLS_SRC/amtool" github.com/prometheus/alertmanager/cmd/amtool \
	"-s -w -X github.com/prometheus/common/version.Version=${AMTOOL_VERSION#v}"

# prometheus-operator needs its pkg/client module, which the module proxy
# does not serve: upstream generates it (make k8s-client-gen) with
# k8s.io/code-generator. Generate it, with the code-generator version
# tools/prometheus-operator/go.mod pins, into a copy of that module in the
# cache (its `replace .../pkg/client => ./client`), never into the checkout,
# and build the operator there.
PO_BIN="$TOOLS_DIR/prometheus-operator-$PO_VERSION"
if [[ -x "$PO_BIN" ]]; then
	log "have  $PO_BIN"
else
	po_start=$SECONDS
	po_src="$TOOLS_DIR/src/prometheus-operator-$PO_VERSION"
	rm -rf "$po_src"
	mkdir -p "$po_src/client"
	cp "$TOOLS_SRC/prometheus-operator/go.mod" "$TOOLS_SRC/prometheus-operator/go.sum" "$po_src/"
	po_mod=github.com/prometheus-operator/prometheus-operator
	printf 'module %s/pkg/client\n\ngo 1.26.0\n' "$po_mod" >"$po_src/client/go.mod"
	po_dir=$(cd "$po_src" && go mod download -json "$po_mod@$PO_VERSION" | awk -F'"' '$2 == "Dir" { print $4 }')
	[[ -f "$po_dir/.header" ]] || die "cannot locate $po_mod@$PO_VERSION (its .header) in the module cache"
	log "generate $po_mod/pkg/client $PO_VERSION into $po_src/client ..."
	apis=("$po_mod/pkg/apis/monitoring/v1" "$po_mod/pkg/apis/monitoring/v1alpha1" "$po_mod/pkg/apis/monitoring/v1beta1")
	(
		cd "$po_src"
		gen=(--go-header-file "$po_dir/.header")
		go tool applyconfiguration-gen "${gen[@]}" --output-pkg "$po_mod/pkg/client/applyconfiguration" \
			--output-dir client/applyconfiguration "${apis[@]}"
		go tool client-gen "${gen[@]}" --apply-configuration-package "$po_mod/pkg/client/applyconfiguration" \
			--input-base "$po_mod/pkg/apis" --clientset-name versioned --output-pkg "$po_mod/pkg/client" \
			--output-dir client --input monitoring/v1 --input monitoring/v1beta1 --input monitoring/v1alpha1
		go tool lister-gen "${gen[@]}" --output-pkg "$po_mod/pkg/client/listers" --output-dir client/listers "${apis[@]}"
		go tool informer-gen "${gen[@]}" --versioned-clientset-package "$po_mod/pkg/client/versioned" \
			--listers-package "$po_mod/pkg/client/listers" --output-pkg "$po_mod/pkg/client/informers" \
			--output-dir client/informers "${apis[@]}"
	)
	build prometheus-operator "$PO_VERSION" "$po_src" "$po_mod/cmd/operator" \
		"-s -w -X github.com/prometheus/common/version.Version=${PO_VERSION#v}"
	log "generated and built prometheus-operator $PO_VERSION in $((SECONDS - po_start))s"
fi

# kwok has no built-in stages when run outside kwokctl: write the upstream
# default ("fast") node and pod stages of the same kwok version next to it.
KWOK_STAGES="$TOOLS_DIR/kwok-$KWOK_VERSION-stages.yaml"
if [[ ! -s "$KWOK_STAGES" ]]; then
	kwok_dir=$(cd "$TOOLS_SRC/kwok" && go list -m -f '{{.Dir}}' sigs.k8s.io/kwok)
	[[ -d "$kwok_dir" ]] || die "cannot locate sigs.k8s.io/kwok@$KWOK_VERSION in the module cache"
	{
		for f in stage/node/fast/node-initialize.yaml \
			stage/node/heartbeat-with-lease/node-heartbeat-with-lease.yaml \
			stage/pod/fast/pod-ready.yaml \
			stage/pod/fast/pod-complete.yaml \
			stage/pod/fast/pod-delete.yaml; do
			printf -- '---\n# from sigs.k8s.io/kwok@%s kustomize/%s\n' "$KWOK_VERSION" "$f"
			cat "$kwok_dir/kustomize/$f"
		done
	} >"$KWOK_STAGES.tmp.$$"
	mv -f "$KWOK_STAGES.tmp.$$" "$KWOK_STAGES"
	log "wrote $KWOK_STAGES"
fi

# Debian's chromium renders the topology diagrams to SVG (test/e2e). The
# version is pinned in tools/chromium/version. apt-get runs with a private
# configuration under the cache: Debian bookworm's archive (and its
# security and updates suites), verified with Debian's archive keyring,
# whatever the host's own sources are. Its resolver, simulated, names the
# packages the host lacks; apt-get download fetches them and dpkg-deb -x
# unpacks them into the cache. No root, nothing installed. The launcher
# <cache>/chromium-<version>/chromium sets the library path to the
# unpacked libraries.
CHROMIUM_VERSION=$(awk '!/^[[:space:]]*(#|$)/ { print $1; exit }' "$TOOLS_SRC/chromium/version")
[[ -n "$CHROMIUM_VERSION" ]] || die "no version in $TOOLS_SRC/chromium/version"
CHROMIUM_DIR="$TOOLS_DIR/chromium-$CHROMIUM_VERSION"
DEBIAN_KEYRING=${DEBIAN_KEYRING:-/usr/share/keyrings/debian-archive-keyring.gpg}
if [[ -x "$CHROMIUM_DIR/chromium" ]]; then
	log "have  $CHROMIUM_DIR/chromium"
else
	for c in apt-get dpkg-deb dpkg-query; do
		command -v "$c" >/dev/null || die "$c is not on PATH: Debian's chromium is fetched with apt-get download and unpacked with dpkg-deb"
	done
	[[ -r "$DEBIAN_KEYRING" ]] || die "Debian's archive keyring is missing ($DEBIAN_KEYRING): install the debian-archive-keyring package, or set DEBIAN_KEYRING"
	chr_start=$SECONDS
	apt_dir="$TOOLS_DIR/src/debian-apt"
	mkdir -p "$apt_dir/lists/partial" "$apt_dir/cache/archives/partial" "$apt_dir/etc/preferences.d"
	arch=$(dpkg --print-architecture)
	cat >"$apt_dir/sources.list" <<-EOF
		deb [arch=$arch signed-by=$DEBIAN_KEYRING] http://deb.debian.org/debian bookworm main
		deb [arch=$arch signed-by=$DEBIAN_KEYRING] http://deb.debian.org/debian bookworm-updates main
		deb [arch=$arch signed-by=$DEBIAN_KEYRING] http://deb.debian.org/debian-security bookworm-security main
	EOF
	apt_opts=(-o "Dir::Etc::SourceList=$apt_dir/sources.list" -o Dir::Etc::SourceParts=/nonexistent
		-o "Dir::Etc::Preferences=$apt_dir/etc/preferences" -o "Dir::Etc::PreferencesParts=$apt_dir/etc/preferences.d"
		-o "Dir::State::Lists=$apt_dir/lists" -o "Dir::Cache=$apt_dir/cache" -o Debug::NoLocking=1
		-o APT::Sandbox::User="$(id -un)" -o "APT::Architecture=$arch" -o APT::Architectures="$arch")
	log "chromium $CHROMIUM_VERSION: apt-get update (Debian bookworm, private lists in $apt_dir) ..."
	apt-get "${apt_opts[@]}" -qq update >&2 || die "apt-get update of Debian bookworm's archive failed"
	# The packages the host lacks: apt's resolver, simulated.
	plan=$(apt-get "${apt_opts[@]}" install --simulate --no-install-recommends \
		"chromium=$CHROMIUM_VERSION" "chromium-common=$CHROMIUM_VERSION" 2>&1) ||
		die "apt cannot install chromium=$CHROMIUM_VERSION from Debian bookworm (gone from the archive? move tools/chromium/version to what apt-cache policy chromium offers there):
$(tail -5 <<<"$plan")"
	pkgs=$(awk '$1 == "Inst" { v = $3; gsub(/[()]/, "", v); print $2 "=" v }' <<<"$plan")
	grep -q "^chromium=$CHROMIUM_VERSION\$" <<<"$pkgs" || die "apt's plan does not install chromium=$CHROMIUM_VERSION:
$plan"
	work="$CHROMIUM_DIR.tmp.$$"
	rm -rf "$work"
	mkdir -p "$work/debs" "$work/root"
	# shellcheck disable=SC2086 # one argument per package
	(cd "$work/debs" && apt-get "${apt_opts[@]}" -qq download $pkgs >&2) || die "apt-get download failed"
	for deb in "$work"/debs/*.deb; do
		dpkg-deb -x "$deb" "$work/root"
	done
	printf '%s\n' "$pkgs" >"$work/packages.txt"
	rm -rf "$work/debs"
	# Every directory the unpacked libraries are in (pulseaudio's private
	# one included), for the launcher's LD_LIBRARY_PATH.
	libs=
	while read -r d; do
		libs+=":\$here/root${d#"$work/root"}"
	done < <(find "$work/root" -name 'lib*.so*' -printf '%h\n' | LC_ALL=C sort -u)
	cat >"$work/chromium" <<-EOF
		#!/bin/sh
		# Debian's chromium $CHROMIUM_VERSION, unpacked by hack/e2e-tools.sh.
		here=\$(cd "\$(dirname "\$0")" && pwd)
		LD_LIBRARY_PATH="${libs#:}\${LD_LIBRARY_PATH:+:\$LD_LIBRARY_PATH}" exec "\$here/root/usr/lib/chromium/chromium" "\$@"
	EOF
	chmod +x "$work/chromium"
	"$work/chromium" --version >&2 || die "the unpacked chromium does not start"
	rm -rf "$CHROMIUM_DIR"
	mv "$work" "$CHROMIUM_DIR"
	log "unpacked chromium $CHROMIUM_VERSION and $(($(wc -l <"$CHROMIUM_DIR/packages.txt") - 1)) packages the host lacks into $CHROMIUM_DIR in $((SECONDS - chr_start))s"
fi

# Pre-fetch the CRD modules (module proxy only) so the tests need no network.
# Columns: name module version h1-sum dirs... ; '#' starts a comment.
if [[ -f "$CRD_VERSIONS" ]]; then
	while read -r name module version sum _; do
		[[ -z "$name" || "$name" == \#* ]] && continue
		# Some upstream module paths differ in case from what the checksum
		# database knows (e.g. github.com/kong/...): their content is checked
		# against the pinned h1 sum instead, here and in the tests.
		got=$(cd "$TOOLS_DIR" && GO111MODULE=on GONOSUMDB="$module" \
			go mod download -json "$module@$version" | awk -F'"' '$2 == "Sum" { print $4 }')
		[[ "$got" == "$sum" ]] || die "CRD module $module@$version has sum '$got', want '$sum' (see $CRD_VERSIONS)"
	done <"$CRD_VERSIONS"
	log "CRD modules present ($(grep -cv '^\s*\(#\|$\)' "$CRD_VERSIONS") pinned in ${CRD_VERSIONS#"$ROOT"/})"
fi

echo "export TELEPACE_TOOLS_DIR=$TOOLS_DIR"
for n in kube-apiserver:$K8S_VERSION kube-controller-manager:$K8S_VERSION kube-scheduler:$K8S_VERSION \
	etcd:$ETCD_VERSION kwok:$KWOK_VERSION helm:$HELM_VERSION kube-score:$KUBE_SCORE_VERSION promtool:$PROMTOOL_VERSION amtool:$AMTOOL_VERSION \
	external-secrets:$ESO_VERSION sealed-secrets-controller:$SEALED_VERSION prometheus-operator:$PO_VERSION \
	chromium:$CHROMIUM_VERSION/chromium; do
	log "  $TOOLS_DIR/${n%%:*}-${n#*:}"
done
