"""One client for every chain the hub anchors on, with one error layer.

Backends:
- ``EmbeddedChain``: py-evm in this process (eth-tester), the default of ``hub demo`` and ``hub serve``.
  It persists by journaling every signed transaction with its block time and replaying the journal at
  start-up, so anchors stay verifiable after a restart with the same blocks, times and addresses.
- ``RpcChain``: any Ethereum JSON-RPC node (anvil in tests, Hyperledger Besu in production). Zero gas
  price (Besu's free-gas networks) and priced networks both work; the nonce is read from the pending pool
  at each send, receipts are polled because they often arrive late, and a node that restarts is simply
  asked again.

Errors (one tree for both backends)::

    ChainError
     ├── ChainUnavailable   the node did not answer (down, restarting, timed out)
     └── ChainRejected      the node or the contract refused (revert with its decoded reason, bad nonce...)
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any, cast

import requests
from eth_account import Account
from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.contract import Contract
from web3.exceptions import (
    ContractCustomError,
    ContractLogicError,
    TimeExhausted,
    TransactionNotFound,
    Web3Exception,
)
from web3.providers import HTTPProvider
from web3.providers.eth_tester import EthereumTesterProvider
from web3.types import TxParams

from hub.canonical import keccak
from ledger.build import CONTRACT_NAMES

ARTIFACTS = Path(__file__).resolve().parent / "contracts" / "build"

#: Python's recursion limit in every process that talks to a chain. Importing eth_account (through
#: eth_keys and py_ecc) sets it to 100,000, and at that limit a deep enough recursion in C (the standard
#: library's JSON decoder on a 100,000-deep array, for one) overflows the C stack and kills the process
#: with a segmentation fault, where Python would have raised RecursionError. py-evm, the embedded chain,
#: asks for this much to reach the EVM's 1,024 nested calls, and raises it no further when imported later.
RECURSION_LIMIT = 12_288
sys.setrecursionlimit(RECURSION_LIMIT)


# The anchor registry's role for a regulator's supervisory account (OpenZeppelin AccessControl: any role id
# can be granted by the registry's admin; this one is checked by ``is_supervisor`` and by the network).
SUPERVISOR_ROLE = Web3.keccak(text="SUPERVISOR_ROLE")


class ChainError(Exception):
    """Anything that went wrong talking to a chain."""


class ChainUnavailable(ChainError):
    """The node did not answer."""


class ChainRejected(ChainError):
    """The node or the contract refused; ``reason`` is the decoded custom error or revert string."""

    def __init__(self, message: str, reason: str | None = None) -> None:
        super().__init__(message)
        self.reason = reason


def load_artifact(name: str) -> dict[str, Any]:
    """A committed contract artifact (ABI and bytecode)."""
    return json.loads((ARTIFACTS / f"{name}.json").read_text())  # type: ignore[no-any-return]


def _error_selectors(abi: list[dict[str, Any]]) -> dict[bytes, str]:
    selectors = {}
    for item in abi:
        if item.get("type") == "error":
            signature = f"{item['name']}({','.join(i['type'] for i in item['inputs'])})"
            selectors[keccak(signature.encode())[:4]] = item["name"]
    return selectors


def _revert_data(exc: BaseException) -> bytes | None:
    data = getattr(exc, "data", None)
    if isinstance(data, str) and data.startswith("0x"):
        return bytes.fromhex(data[2:])
    if isinstance(data, bytes | HexBytes):
        return bytes(data)
    # eth-tester: TransactionFailed("execution reverted: b'...'")
    text = str(exc.args[0]) if exc.args else ""
    if "b'" in text or 'b"' in text:
        with contextlib.suppress(Exception):
            literal = text[text.index("b") :]
            import ast

            value = ast.literal_eval(literal)
            if isinstance(value, bytes):
                return value
    return None


@dataclass(frozen=True)
class OnChainAnchor:
    """What the registry stores for a root."""

    root: bytes
    record_count: int
    anchored_at: int
    block_number: int
    submitter: str


@dataclass(frozen=True)
class Receipt:
    """The part of a transaction receipt the hub keeps."""

    tx_hash: str
    block_number: int
    status: int


class ChainClient:
    """The hub's view of a chain: one registry contract, one signing account."""

    backend = "rpc"

    def __init__(self, w3: Web3, private_key: str, *, receipt_timeout: float = 60.0) -> None:
        self.w3 = w3
        self.account: LocalAccount = Account.from_key(private_key)
        self.receipt_timeout = receipt_timeout
        self._registry: Contract | None = None
        self._artifacts = {name: load_artifact(name) for name in CONTRACT_NAMES}
        self._artifact = self._artifacts["AnchorRegistry"]
        self.contracts: dict[str, Contract] = {}
        self._selectors = {
            k: v for a in self._artifacts.values() for k, v in _error_selectors(a["abi"]).items()
        }
        # Held from choosing a nonce until the transaction is sent, by every sender in this process
        # (anchoring, titles, financing), so two of them never sign with the same nonce.
        self._send_lock = threading.RLock()
        # An in-process EVM is not thread-safe: the embedded chain serialises every call through this.
        self._lock: contextlib.AbstractContextManager[Any] = contextlib.nullcontext()

    # -- errors ---------------------------------------------------------------------------------------
    def _reason(self, exc: BaseException) -> str | None:
        data = _revert_data(exc)
        if data and len(data) >= 4 and data[:4] in self._selectors:
            return self._selectors[data[:4]]
        message = str(exc)
        return message.removeprefix("execution reverted: ") if "revert" in message else None

    @contextlib.contextmanager
    def errors(self, doing: str) -> Iterator[None]:
        """Turn every backend's exceptions into ChainUnavailable or ChainRejected."""
        try:
            with self._lock:
                yield
        except ChainError:
            raise
        except (requests.ConnectionError, requests.Timeout, ConnectionError, TimeoutError, OSError) as exc:
            raise ChainUnavailable(f"{doing}: the chain node did not answer ({type(exc).__name__})") from exc
        except (ContractCustomError, ContractLogicError) as exc:
            reason = self._reason(exc)
            raise ChainRejected(f"{doing}: the contract refused ({reason})", reason) from exc
        except (Web3Exception, ValueError, Exception) as exc:
            if type(exc).__name__ == "TransactionFailed":  # eth-tester's revert
                reason = self._reason(exc)
                raise ChainRejected(f"{doing}: the contract refused ({reason})", reason) from exc
            if isinstance(exc, requests.RequestException):
                raise ChainUnavailable(f"{doing}: the chain node did not answer ({exc})") from exc
            raise ChainRejected(f"{doing}: {exc}") from exc

    # -- basics ---------------------------------------------------------------------------------------
    @cached_property
    def chain_id(self) -> int:
        """The chain's id (asked once)."""
        with self.errors("reading the chain id"):
            return int(self.w3.eth.chain_id)

    def ping(self) -> int:
        """The latest block number; raises ChainUnavailable when the node is down."""
        with self.errors("reading the latest block"):
            return int(self.w3.eth.block_number)

    @property
    def registry(self) -> Contract:
        """The anchor registry contract (``use_registry`` or ``deploy_registry`` first)."""
        if self._registry is None:
            raise ChainError("no anchor registry is configured")
        return self._registry

    def attach(self, name: str, address: str) -> Contract:
        """Talk to contract ``name`` at ``address``, after checking that this very code lives there."""
        artifact = self._artifacts[name]
        with self.errors(f"checking the {name} address"):
            checksum = Web3.to_checksum_address(address)
            code = self.w3.eth.get_code(checksum)
        if not code or code == b"":
            raise ChainRejected(f"no contract at {address} on chain {self.chain_id}")
        if code.hex().removeprefix("0x") != artifact["deployedBytecode"].removeprefix("0x"):
            raise ChainRejected(f"the contract at {address} is not this version of {name}")
        contract = self.w3.eth.contract(address=checksum, abi=artifact["abi"])
        self.contracts[name] = contract
        if name == "AnchorRegistry":
            self._registry = contract
        return contract

    def deploy(self, name: str) -> str:
        """Deploy contract ``name``, administered by this client's account; return its address."""
        artifact = self._artifacts[name]
        factory = self.w3.eth.contract(abi=artifact["abi"], bytecode=artifact["bytecode"])
        with self.errors(f"deploying {name}"):
            constructor = factory.constructor(self.account.address)
            # What the deployment costs, with a margin: the title registry deploys its escrow too.
            gas = int(constructor.estimate_gas({"from": self.account.address}) * 1.2)
            tx = constructor.build_transaction(self._tx_fields(gas=gas))
        receipt = self.transact(tx)
        if receipt.status != 1:
            raise ChainRejected(f"deploying {name} failed")
        with self.errors("reading the deployment receipt"):
            address = str(self.w3.eth.get_transaction_receipt(HexBytes(receipt.tx_hash))["contractAddress"])
        self.attach(name, address)
        return address

    # -- the supervisory read role ------------------------------------------------------------------
    # A regulator's account, granted SUPERVISOR_ROLE on the anchor registry, is on record (on chain, for
    # every node to check) as a supervisor of the network: its node reads every block, and the network's
    # permissioning admits it (docker/README.md, "Supervisory node"). Reading needs no role on chain, and
    # the role confers nothing else: a supervisor cannot anchor or grant roles.
    def grant_supervisor(self, address: str) -> Receipt:
        """Give ``address`` the supervisory read role (the registry's admin only)."""
        return self.call_and_wait(
            "AnchorRegistry", "grantRole", SUPERVISOR_ROLE, Web3.to_checksum_address(address)
        )

    def revoke_supervisor(self, address: str) -> Receipt:
        """Take the supervisory read role away from ``address``."""
        return self.call_and_wait(
            "AnchorRegistry", "revokeRole", SUPERVISOR_ROLE, Web3.to_checksum_address(address)
        )

    def is_supervisor(self, address: str) -> bool:
        """Whether ``address`` holds the supervisory read role."""
        return bool(
            self.read("AnchorRegistry", "hasRole", SUPERVISOR_ROLE, Web3.to_checksum_address(address))
        )

    def use_registry(self, address: str) -> None:
        """Talk to the anchor registry at ``address``."""
        self.attach("AnchorRegistry", address)

    def deploy_registry(self) -> str:
        """Deploy a new anchor registry; return its address."""
        return self.deploy("AnchorRegistry")

    def sign_call(self, name: str, function: str, *args: Any, gas: int = 200_000) -> tuple[str, bytes]:
        """A signed transaction calling ``function`` on contract ``name``, simulated first so that a refusal
        surfaces as ChainRejected with its reason."""
        call = getattr(self.contracts[name].functions, function)(*args)
        with self.errors(f"preparing {name}.{function}"):
            call.call({"from": self.account.address})
            tx = call.build_transaction(cast(TxParams, self._tx_fields(gas=gas)))
        signed = self.account.sign_transaction(cast(Any, tx))
        return signed.hash.to_0x_hex(), bytes(signed.raw_transaction)

    def read(self, name: str, function: str, *args: Any) -> Any:
        """A view call on contract ``name``."""
        with self.errors(f"reading {name}.{function}"):
            return getattr(self.contracts[name].functions, function)(*args).call()

    # -- transactions ---------------------------------------------------------------------------------
    def sending(self) -> contextlib.AbstractContextManager[Any]:
        """Hold this while signing and sending one transaction (see ``_send_lock``)."""
        return self._send_lock

    def call_and_wait(self, name: str, function: str, *args: Any, gas: int = 200_000) -> Receipt:
        """Sign, send and wait for one call; ChainRejected if it reverts (with the reason when it can be read
        again), ChainUnavailable if no receipt arrives in time."""
        with self.sending():
            tx_hash, raw = self.sign_call(name, function, *args, gas=gas)
            self.send_raw(raw)
        receipt = self.wait_receipt(tx_hash)
        if receipt is None:
            raise ChainUnavailable(f"no receipt for {name}.{function} ({tx_hash}) in time")
        if receipt.status != 1:
            # Simulated fine, then lost a race on chain: simulate again to learn why.
            try:
                self.sign_call(name, function, *args, gas=gas)
            except ChainRejected as exc:
                raise ChainRejected(
                    f"{name}.{function} reverted on chain ({exc.reason})", exc.reason
                ) from exc
            raise ChainRejected(f"{name}.{function} reverted on chain ({tx_hash})")
        return receipt

    def _tx_fields(self, gas: int) -> dict[str, Any]:
        with self.errors("preparing a transaction"):
            return {
                "from": self.account.address,
                "nonce": self.w3.eth.get_transaction_count(self.account.address, "pending"),
                "gasPrice": self.w3.eth.gas_price,
                "chainId": self.chain_id,
                "gas": gas,
            }

    def sign_anchor(self, root: bytes, record_count: int, *, simulate: bool = True) -> tuple[str, bytes]:
        """A signed ``anchor(root, count)`` transaction: its hash (known before sending) and raw bytes.

        With ``simulate`` the call is run first, so a refusal (``RootAlreadyAnchored``, a missing role)
        surfaces here as ChainRejected with its reason instead of as a failed transaction.
        """
        with self.errors("preparing the anchor transaction"):
            if simulate:
                self.registry.functions.anchor(root, record_count).call({"from": self.account.address})
            tx = self.registry.functions.anchor(root, record_count).build_transaction(
                cast(TxParams, self._tx_fields(gas=200_000))
            )
        signed = self.account.sign_transaction(cast(Any, tx))
        return signed.hash.to_0x_hex(), bytes(signed.raw_transaction)

    def send_raw(self, raw: bytes) -> None:
        """Submit a signed transaction; resubmitting one the node already has is not an error."""
        with self.errors("sending a transaction"):
            try:
                self._send(raw)
            except (ValueError, Web3Exception) as exc:
                if "already known" in str(exc).lower() or "already imported" in str(exc).lower():
                    return
                raise

    def _send(self, raw: bytes) -> None:
        self.w3.eth.send_raw_transaction(raw)

    def wait_receipt(self, tx_hash: str, timeout: float | None = None) -> Receipt | None:
        """Poll for a receipt; None when none came in time (the transaction may still be mined later)."""
        deadline = time.monotonic() + (self.receipt_timeout if timeout is None else timeout)
        delay = 0.005
        while True:
            with self.errors("reading a receipt"):
                try:
                    r = self.w3.eth.get_transaction_receipt(HexBytes(tx_hash))
                    return Receipt(
                        tx_hash=tx_hash, block_number=int(r["blockNumber"]), status=int(r["status"])
                    )
                except (TransactionNotFound, TimeExhausted):
                    pass
            if time.monotonic() >= deadline:
                return None
            time.sleep(delay)
            delay = min(delay * 2, 0.25)

    def transact(self, tx: dict[str, Any]) -> Receipt:
        """Sign, send and wait for a transaction built by web3."""
        with self._send_lock:
            signed = self.account.sign_transaction(tx)
            self.send_raw(bytes(signed.raw_transaction))
        receipt = self.wait_receipt(signed.hash.to_0x_hex())
        if receipt is None:
            raise ChainUnavailable("no receipt arrived in time")
        return receipt

    # -- reads ----------------------------------------------------------------------------------------
    def anchor_of(self, root: bytes) -> OnChainAnchor | None:
        """What the registry stores for ``root``, or None when it was never anchored."""
        with self.errors("reading an anchor"):
            count, at, block, submitter = self.registry.functions.anchorOf(root).call()
        if at == 0:
            return None
        return OnChainAnchor(
            root=root, record_count=count, anchored_at=at, block_number=block, submitter=submitter
        )

    def verify_on_chain(self, root: bytes, leaf: bytes, proof: list[bytes]) -> bool:
        """Ask the contract itself whether ``leaf`` is in the anchored ``root``."""
        with self.errors("verifying a proof on chain"):
            return bool(self.registry.functions.verify(root, leaf, proof).call())

    def close(self) -> None:
        """Release what the client holds."""


class RpcChain(ChainClient):
    """A JSON-RPC node: anvil, Besu, or any Ethereum client."""

    backend = "rpc"

    def __init__(
        self, url: str, private_key: str, *, request_timeout: float = 10.0, receipt_timeout: float = 60.0
    ) -> None:
        provider = HTTPProvider(url, request_kwargs={"timeout": request_timeout}, cache_allowed_requests=True)
        super().__init__(Web3(provider), private_key, receipt_timeout=receipt_timeout)
        self.url = url


class EmbeddedChain(ChainClient):
    """py-evm inside this process, persisted as a journal of signed transactions with their block times."""

    backend = "embedded"

    def __init__(self, data_dir: Path | None, *, read_only: bool = False) -> None:
        """The chain journaled in ``data_dir`` (None: in memory only). ``read_only`` replays the journal as
        it is now, without the directory's lock, so that a record can be checked while a hub process
        serves the chain; such a copy sends nothing and sees no later transaction."""
        from eth_tester import EthereumTester, PyEVMBackend

        self.data_dir = data_dir
        self.read_only = read_only
        self._journal_path = None if data_dir is None else data_dir / "journal.jsonl"
        self._lock_file = None
        if read_only and (self._journal_path is None or not self._journal_path.exists()):
            raise ChainError(f"no embedded chain in {data_dir}: its journal.jsonl is missing")
        if data_dir is not None and not read_only:
            data_dir.mkdir(parents=True, exist_ok=True)
            self._lock_file = (data_dir / "lock").open("w")
            try:
                fcntl.flock(self._lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError as exc:
                self._lock_file.close()
                raise ChainError(
                    f"the embedded chain in {data_dir} is in use by another process; it serves one hub process "
                    "(ask that hub, or run a real node and set HUB_CHAIN_URL for several processes)"
                ) from exc
        entries: list[dict[str, Any]] = []
        genesis_time = int(time.time())
        if self._journal_path is not None and self._journal_path.exists():
            lines = [line for line in self._journal_path.read_text().splitlines() if line.strip()]
            header = json.loads(lines[0])
            genesis_time = int(header["genesis_timestamp"])
            for line in lines[1:]:
                try:
                    entries.append(json.loads(line))
                except ValueError:
                    break  # a torn last line from a crash: that transaction was never acknowledged
        elif self._journal_path is not None:
            self._journal_path.parent.mkdir(parents=True, exist_ok=True)
            self._write_line({"genesis_timestamp": genesis_time, "format": 1})
        backend = PyEVMBackend(
            genesis_parameters=PyEVMBackend.generate_genesis_params(overrides={"timestamp": genesis_time})
        )
        self._backend = backend
        self._tester = EthereumTester(backend)
        key = backend.account_keys[0].to_hex()
        super().__init__(Web3(EthereumTesterProvider(self._tester)), key, receipt_timeout=5.0)
        self._lock = threading.RLock()
        self._last_time = genesis_time
        for entry in entries:
            with contextlib.suppress(Exception):  # a transaction the chain refused then is refused again
                self._apply(bytes.fromhex(entry["raw"]), int(entry["t"]))
        self.replayed = len(entries)

    def attach(self, name: str, address: str) -> Contract:
        """As for any chain, with a clearer message when the journal was lost but the database was not."""
        try:
            return super().attach(name, address)
        except ChainRejected as exc:
            raise ChainRejected(
                f"{exc}. The embedded chain's journal in {self.data_dir} was lost or replaced, so anchors in this "
                "database cannot be checked against it: restore the journal, or start over with a new database"
            ) from exc

    def close(self) -> None:
        """Release the data directory for another process."""
        if self._lock_file is not None:
            fcntl.flock(self._lock_file, fcntl.LOCK_UN)
            self._lock_file.close()
            self._lock_file = None

    def _write_line(self, value: dict[str, Any]) -> None:
        assert self._journal_path is not None
        with self._journal_path.open("a") as journal:
            journal.write(json.dumps(value, separators=(",", ":")) + "\n")
            journal.flush()
            os.fsync(journal.fileno())

    def _apply(self, raw: bytes, timestamp: int) -> None:
        # The block that includes this transaction gets exactly this time, on first run and on replay.
        self._backend.chain.header = self._backend.chain.header.copy(timestamp=timestamp)
        self._last_time = timestamp
        self.w3.eth.send_raw_transaction(raw)

    def _send(self, raw: bytes) -> None:
        # Called inside errors(), which holds the chain lock.
        if self.read_only:
            raise ChainRejected("this copy of the embedded chain is read-only: it verifies, it does not send")
        timestamp = max(int(time.time()), self._last_time + 1)
        if self._journal_path is not None:
            self._write_line({"t": timestamp, "raw": raw.hex()})  # write-ahead: replayed if we crash now
        self._apply(raw, timestamp)
