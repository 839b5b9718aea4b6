#!/bin/sh
# Run once, by the `besu-init` service: a QBFT genesis and four validator keys in the shared volume.
set -eu
if [ -f /data/genesis.json ]; then
  echo "network already generated"
  exit 0
fi
besu operator generate-blockchain-config --config-file=/config/qbft-config.json --to=/tmp/network \
  --private-key-file-name=key
cp /tmp/network/genesis.json /data/genesis.json
i=1
for dir in $(ls -d /tmp/network/keys/* | sort); do
  mkdir -p "/data/validator$i"
  cp "$dir/key" "$dir/key.pub" "/data/validator$i/"
  i=$((i + 1))
done
echo "generated genesis and $((i - 1)) validator keys"
