// How a verification and its Merkle proof are shown, and the file a user downloads to check it alone.

export interface VerificationView {
  status: string;
  kind: string;
  recordId: string;
  version: number | null;
  recordHash: string | null;
  leaf: string | null;
  leafIndex: number | null;
  proof: string[];
  merkleRoot: string | null;
  chainId: string | null;
  contract: string | null;
  transactionHash: string | null;
  blockNumber: number | null;
  anchoredAt: string | null;
  detail: string;
}

/** A 32-byte hash shortened for a table, keeping both ends: "0x1234ab…9f0e". */
export function short(hash: string | null | undefined, keep = 6): string {
  if (!hash) return "—";
  if (hash.length <= 2 + keep * 2 + 1) return hash;
  return `${hash.slice(0, 2 + keep)}…${hash.slice(-4)}`;
}

const MEANING: Record<string, string> = {
  ANCHORED: "The record is exactly what was anchored: its hash, the proof and the root on chain all agree.",
  PENDING: "The record is stored but its batch is not on chain yet; it will be anchored shortly.",
  TAMPERED: "The record no longer matches what was anchored: it was changed after anchoring, or its anchor is wrong.",
  NOT_FOUND: "There is no such record that you may read.",
};

export function meaning(status: string): string {
  return MEANING[status] ?? status;
}

export interface ProofStep {
  level: number;
  sibling: string;
}

/** The proof as steps from the leaf up to the root (sorted-pair keccak, as OpenZeppelin's MerkleProof). */
export function steps(v: Pick<VerificationView, "proof">): ProofStep[] {
  return v.proof.map((sibling, level) => ({ level: level + 1, sibling }));
}

/** The name of the downloaded file: kind, id and version, safe on every file system. */
export function exportName(kind: string, recordId: string, version: number | null): string {
  const safe = (s: string) => s.replace(/[^A-Za-z0-9_.-]+/g, "-");
  return `${safe(kind)}-${safe(recordId)}${version === null ? "" : `-v${version}`}.json`;
}

/** What the "check it yourself" command is, for the file just downloaded. */
export function verifyCommand(file: string, chainId: string | null): string {
  const node = chainId === null ? "<node>" : "<an RPC node of chain " + chainId + ">";
  return `python -m ledger.verify ${file} --rpc ${node}`;
}
