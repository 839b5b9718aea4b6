#!/bin/sh
# Start validator N (1..4). Validator 1 is the bootnode; the others find it through its enode.
set -eu
n="$1"
bootnode_pub=$(sed 's/^0x//' /data/validator1/key.pub)
bootnodes=""
if [ "$n" != "1" ]; then
  bootnodes="--bootnodes=enode://${bootnode_pub}@172.28.1.1:30303"
fi
exec besu \
  --data-path="/var/lib/besu/validator$n" \
  --genesis-file=/data/genesis.json \
  --node-private-key-file="/data/validator$n/key" \
  --min-gas-price=0 \
  --p2p-host="172.28.1.$n" --p2p-port=30303 \
  --rpc-http-enabled --rpc-http-host=0.0.0.0 --rpc-http-port=8545 \
  --rpc-http-api=ETH,NET,WEB3,QBFT,TXPOOL \
  --host-allowlist="*" \
  --profile=ENTERPRISE \
  $bootnodes
