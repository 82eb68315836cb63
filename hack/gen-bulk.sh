#!/bin/sh
# Generates the Go bindings of the jsii library in jsii/bulk into a
# directory (default: internal/bulk): compiles its TypeScript with the jsii
# compiler, runs jsii-pacmak's Go target, and copies the package and its
# embedded assembly, without the go.mod pacmak writes for a module of its
# own (the bindings belong to this module) and without the comment pacmak
# puts on main.go (internal/bulk/doc.go documents the package).
#
# It builds in a temporary copy of the library, so the checkout stays as it
# was. Needs jsii/bulk/node_modules: `npm ci --prefix jsii/bulk`.
#
#   hack/gen-bulk.sh [outdir]
set -eu
root=$(cd "$(dirname "$0")/.." && pwd)
src="$root/jsii/bulk"
out="${1:-$root/internal/bulk}"
if [ ! -x "$src/node_modules/.bin/jsii-pacmak" ]; then
	echo "gen-bulk: jsii/bulk/node_modules is missing: run npm ci --prefix jsii/bulk" >&2
	exit 1
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cp -R "$src/src" "$src/package.json" "$src/package-lock.json" "$src/README.md" "$work/"
ln -s "$src/node_modules" "$work/node_modules"
# The jsii tools print an end-of-life notice for Node.js 20, the release
# this project supports; silence it as internal/jsiienv does for synth.
export JSII_SILENCE_WARNING_END_OF_LIFE_NODE_VERSION=20
(
	cd "$work"
	node_modules/.bin/jsii >/dev/null
	node_modules/.bin/jsii-pacmak --targets go --outdir dist >/dev/null
)
gen="$work/dist/go/bulk"
mkdir -p "$out/jsii"
# Drop what an earlier run generated; doc.go and the tests are not generated.
find "$out" -maxdepth 1 -name '*.go' ! -name doc.go ! -name '*_test.go' -exec rm -f {} +
rm -f "$out"/jsii/*
for f in "$gen"/*.go; do
	case "$(basename "$f")" in
	main.go) sed '1{/^\/\/ /d;}' "$f" >"$out/main.go" ;;
	*) cp "$f" "$out/" ;;
	esac
done
cp "$gen"/jsii/jsii.go "$gen"/jsii/*.tgz "$out/jsii/"
gofmt -w "$out"/*.go "$out"/jsii/*.go
