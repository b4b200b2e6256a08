"""A product bundle's data-integrity digest: which files it lists, and checking written files against it.

A Capella product bundle can hold a digest JSON listing a checksum per file. When an item has such an
asset (key, role or file name containing ``digest`` or ``checksum``), it is fetched first and every
file of that item is checked against it once written: a local file before it is renamed into place,
an S3 object once complete. A mismatch fails that file and removes what was written. The accepted format::

    {"algorithm": "sha256",
     "files": {"CAPELLA_X.tif": "9f86d0...", "CAPELLA_X_extended.json": {"sha256": "...", "size": 1234}}}

``files`` may also be a list of ``{"name": ..., "<algorithm>": ..., "size": ...}``. Algorithms: ``sha256``,
``sha512``, ``sha1``, ``md5`` (hex) and ``crc32``/``crc32c`` (hex). A CRC of the engine's own algorithm is
checked for free (the object's CRC is computed while it streams); a hash needs one more read of the file.
"""

from __future__ import annotations

import hashlib
import json
import logging
import zlib
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer.errors import IntegrityError
from airflow_provider_capella.transfer.naming import filename_from_url

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.sinks.s3 import S3MultipartSink

log = logging.getLogger(__name__)

HASHES = ("sha256", "sha512", "sha1", "md5")
CRCS = ("crc32", "crc32c")
NAME_FIELDS = ("name", "file", "filename", "path", "key")
BLOCK = 8 * 1024 * 1024
DIGEST_WORDS = ("digest", "checksum")


@dataclass(frozen=True)
class FileDigest:
    """The checksum a product's digest lists for one file.

    Example::

        FileDigest("CAPELLA_X.tif", "sha256", "9f86d081884c7d65...", size=1 << 30)
    """

    name: str
    algorithm: str
    value: str
    size: int | None = None

    def check(self, actual: str, where: str) -> None:
        """Raise :class:`IntegrityError` unless ``actual`` (hex) is the listed value."""
        if actual.lower() != self.value.lower():
            raise IntegrityError(
                f"{where}: {self.algorithm} is {actual}, but the product's digest lists {self.value}"
            )
        log.info("%s matches the product's digest (%s)", where, self.algorithm)

    def verify_file(self, path: str, where: str) -> None:
        """Check a local file."""
        with open(path, "rb") as handle:
            self.check(self._digest_of(iter(lambda: handle.read(BLOCK), b"")), where)

    def verify_s3(self, sink: S3MultipartSink, whole_crc: int) -> None:
        """Check a completed S3 object: by its CRC when the digest lists the engine's, else read it back."""
        if self.algorithm == sink.crc.name.lower():
            self.check(f"{whole_crc:08x}", sink.location)
            return
        body = sink.client.get_object(Bucket=sink.bucket, Key=sink.key)["Body"]
        self.check(self._digest_of(iter(lambda: body.read(BLOCK), b"")), sink.location)

    def _digest_of(self, blocks: Any) -> str:
        if self.algorithm in CRCS:
            from airflow_provider_capella.transfer.checksums import crc_named

            crc = crc_named(self.algorithm)
            if crc is None:
                raise IntegrityError(f"{self.name}: {self.algorithm} needs awscrt (pip install 'boto3[crt]')")
            value = 0
            for block in blocks:
                value = crc.update(block, value)
            return f"{value:08x}"
        digest = hashlib.new(self.algorithm)
        for block in blocks:
            digest.update(block)
        return digest.hexdigest()


def digest_asset_key(item: dict[str, Any]) -> str | None:
    """Find the key of ``item``'s data-integrity digest asset, if it has one."""
    for key, asset in (item.get("assets") or {}).items():
        if not isinstance(asset, dict) or not asset.get("href"):
            continue
        roles = [str(role).lower() for role in asset.get("roles") or []]
        filename = filename_from_url(str(asset["href"]), fallback=key).lower()
        names = [key.lower(), filename, *roles]
        if any(word in name for name in names for word in DIGEST_WORDS):
            return key
    return None


def parse_digest(document: bytes) -> dict[str, FileDigest]:
    """Read ``{file name: FileDigest}`` from a digest JSON; raises ValueError when it lists nothing usable.

    Example::

        parse_digest(b'{"algorithm": "sha256", "files": {"x.tif": "ab12..."}}')["x.tif"].algorithm  # 'sha256'
    """
    record = json.loads(document)
    if not isinstance(record, dict):
        raise ValueError("a digest document is a JSON object")
    default = str(record.get("algorithm") or "sha256").lower()
    files = record.get("files")
    entries: list[tuple[str, Any]]
    if isinstance(files, dict):
        entries = list(files.items())
    elif isinstance(files, list):
        entries = [(_name_of(entry), entry) for entry in files if isinstance(entry, dict)]
    else:
        raise ValueError("a digest document lists its files under `files`")
    digests: dict[str, FileDigest] = {}
    for name, entry in entries:
        found = _digest_of_entry(str(name).rsplit("/", 1)[-1], entry, default)
        if found is not None:
            digests[found.name] = found
    if not digests:
        raise ValueError("the digest document lists no file with a known algorithm")
    return digests


def _name_of(entry: dict[str, Any]) -> str:
    return str(next((entry[field] for field in NAME_FIELDS if entry.get(field)), ""))


def _digest_of_entry(name: str, entry: Any, default: str) -> FileDigest | None:
    if not name:
        return None
    if isinstance(entry, str):
        return FileDigest(name, default, entry) if default in HASHES + CRCS else None
    if not isinstance(entry, dict):
        return None
    size = entry.get("size")
    for algorithm in (*CRCS, *HASHES):
        value = entry.get(algorithm)
        if isinstance(value, str) and value:
            return FileDigest(name, algorithm, value, int(size) if isinstance(size, int) else None)
    return None


def crc32_hex(data: bytes) -> str:
    """Return the CRC32 of ``data`` as a digest lists it (8 hex digits)."""
    return f"{zlib.crc32(data):08x}"
