"""This hub as an eBL platform among others (DCSA PINT): its platform code, its signing key, and the peer
platforms it exchanges titles with.

- **Signing key**: an RSA key in a PEM file (``HUB_PINT_SIGNING_KEY_FILE``); unset, a development key is
  made once under ``var/`` (refused in production). Everything this hub signs is a compact JWS with RS256
  and the key's RFC 7638 thumbprint as ``kid``; its public half is served at ``/.well-known/jwks.json``.
- **Peers** (``HUB_PINT_PEERS_FILE``, JSON): the platforms this hub has an agreement with, each with its
  code, its base URL, its public keys (JWK), the key this hub presents when it calls the peer, and the
  name of the organisation on this hub that stands for the peer: the peer calls this hub with a key of
  that organisation (an ``ebl_platform``), and a title sent there is held by it on this hub::

      {"platforms": [{"code": "BUSN", "name": "Busan hub", "url": "https://pint.busan.example",
                      "organisation": "Busan hub", "apiKey": "hub_...", "keys": [{"kty": "RSA", ...}]}]}

  The file is operator configuration, like a key file: its URLs are called as written.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

from joserfc import jws
from joserfc.errors import JoseError
from joserfc.jwk import KeySet, RSAKey

from adapters.dcsa.pint import Refused, unverified_payload
from hub.errors import Invalid
from hub.settings import Settings

ALGORITHM = "RS256"


@dataclass(frozen=True)
class Peer:
    """A platform this hub exchanges titles with."""

    code: str
    name: str
    url: str
    organisation: str
    api_key: str
    keys: KeySet


@dataclass(frozen=True)
class Platform:
    """This hub as a PINT platform: who it is, how it signs, whom it knows."""

    code: str
    name: str
    key: RSAKey
    peers: dict[str, Peer]

    @property
    def kid(self) -> str:
        return str(self.key.thumbprint())

    def public_keys(self) -> dict[str, Any]:
        """The JWKS of this platform's signing key (public half only)."""
        public = self.key.as_dict(private=False)
        return {"keys": [{**public, "kid": self.kid, "use": "sig", "alg": ALGORITHM}]}

    def sign(self, payload: dict[str, Any]) -> str:
        """``payload`` as a compact JWS signed with this platform's key."""
        body = json.dumps(payload, separators=(",", ":"), ensure_ascii=False).encode()
        return str(jws.serialize_compact({"alg": ALGORITHM, "kid": self.kid}, body, self.key))

    def keys_of(self, code: str) -> KeySet | None:
        """The public keys of platform ``code``: this hub's own, a peer's, or None for a stranger."""
        if code == self.code:
            return KeySet([RSAKey.import_key(self.key.as_dict(private=False))])
        peer = self.peers.get(code)
        return peer.keys if peer else None

    def verify(self, signed: str, code: str, where: str) -> dict[str, Any]:
        """The payload of ``signed`` if platform ``code`` signed it; ``Refused`` BSIG otherwise."""
        keys = self.keys_of(code)
        if keys is None:
            raise Refused(
                "BSIG", f"{where} is signed by platform {code!r}, whose keys this platform does not know"
            )
        unverified_payload(signed, where)
        try:
            return json.loads(jws.deserialize_compact(signed, keys, algorithms=[ALGORITHM]).payload)  # type: ignore[no-any-return]
        except (JoseError, ValueError) as exc:
            raise Refused("BSIG", f"{where}: the signature is not platform {code}'s ({exc})") from None

    def peer_by_organisation(self, name: str) -> Peer | None:
        """The peer whose stand-in organisation on this hub is called ``name``."""
        for peer in self.peers.values():
            if peer.organisation == name:
                return peer
        return None


def _load_peers(path: str | None) -> dict[str, Peer]:
    if not path:
        return {}
    try:
        raw = json.loads(Path(path).read_text(encoding="utf-8"))
        peers = {}
        for i, entry in enumerate(raw["platforms"]):
            code = str(entry["code"])
            if not 1 <= len(code) <= 4 or " " in code:
                raise ValueError(f"platforms[{i}].code: 1 to 4 characters, no spaces")
            peers[code] = Peer(
                code=code,
                name=str(entry.get("name") or code),
                url=str(entry["url"]).rstrip("/"),
                organisation=str(entry["organisation"]),
                api_key=str(entry["apiKey"]),
                keys=KeySet([RSAKey.import_key(k) for k in entry["keys"]]),
            )
    except (OSError, KeyError, TypeError, ValueError, JoseError) as exc:
        raise Invalid(f"HUB_PINT_PEERS_FILE {path}: {exc}", field="HUB_PINT_PEERS_FILE") from exc
    return peers


def _signing_key(path: str | None, data_dir: str) -> RSAKey:
    if path:
        return RSAKey.import_key(Path(path).read_bytes())
    dev = Path(data_dir).parent / "pint-signing-key.pem"
    if not dev.exists():
        dev.parent.mkdir(parents=True, exist_ok=True)
        key = RSAKey.generate_key(2048, private=True)
        dev.write_bytes(key.as_pem(private=True))
        dev.chmod(0o600)
    return RSAKey.import_key(dev.read_bytes())


@cache
def _platform(code: str, name: str, key_file: str | None, data_dir: str, peers_file: str | None) -> Platform:
    return Platform(code=code, name=name, key=_signing_key(key_file, data_dir), peers=_load_peers(peers_file))


def platform(settings: Settings) -> Platform:
    """This hub's platform, read once per configuration."""
    return _platform(
        settings.pint_platform,
        settings.pint_platform_name,
        settings.pint_signing_key_file,
        settings.chain_data_dir,
        settings.pint_peers_file,
    )
