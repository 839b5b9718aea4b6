#!/bin/sh
# A regulator's supervisory node: a full, non-validating Besu node that follows the QBFT network from
# validator 1 (the bootnode), keeps every block, and answers read calls only (ETH, NET, WEB3). It holds
# no validator key and no account: it signs nothing. Its node key is made on first start in its volume;
# `besu public-key export` prints the enode that the validators' allowlists name (docker/README.md).
set -eu
bootnode_pub=$(sed 's/^0x//' /data/validator1/key.pub)
exec besu \
  --data-path=/var/lib/besu/supervisor \
  --genesis-file=/data/genesis.json \
  --sync-mode=FULL \
  --p2p-host=172.28.1.9 --p2p-port=30303 \
  --bootnodes="enode://${bootnode_pub}@172.28.1.1:30303" \
  --rpc-http-enabled --rpc-http-host=0.0.0.0 --rpc-http-port=8545 \
  --rpc-http-api=ETH,NET,WEB3 \
  --rpc-ws-enabled=false \
  --host-allowlist="*" \
  --profile=ENTERPRISE
