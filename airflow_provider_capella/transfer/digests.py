"""A product's data-integrity digest: finding and fetching it, and checking written files against it.

An item's digest asset (key, role or file name containing ``digest`` or ``checksum``) is fetched once,
when a file of the item is about to be written; each file is then checked once written (a local file
before its rename, an S3 object once complete) and removed on a mismatch. A digest that cannot be read
fails the item's files. Format: ``{"algorithm": "sha256", "files": {"X.tif": "9f86d0..."}}`` or, per
file, ``{"<algorithm>": ..., "size": ...}`` (``files`` may be a list of such with a ``name``);
algorithms ``sha256``, ``sha512``, ``sha1``, ``md5``, ``crc32`` and ``crc32c`` (hex).
"""

from __future__ import annotations

import hashlib
import json
import logging
import threading
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer import source
from airflow_provider_capella.transfer.checksums import crc_named
from airflow_provider_capella.transfer.errors import IntegrityError
from airflow_provider_capella.transfer.retry import Attempts
from airflow_provider_capella.transfer.targets import filename_from_url

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.s3 import S3MultipartSink
    from airflow_provider_capella.transfer.settings import TransferSettings
    from airflow_provider_capella.transfer.source import PresignedUrls

log = logging.getLogger(__name__)

HASHES = ("sha256", "sha512", "sha1", "md5")
CRCS = ("crc32", "crc32c")
NAME_FIELDS = ("name", "file", "filename", "path", "key")
DIGEST_WORDS = ("digest", "checksum")
BLOCK = 8 * 1024 * 1024
MAX_DIGEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FileDigest:
    """The checksum a product's digest lists for one file."""

    name: str
    algorithm: str
    value: str

    def check(self, actual: str, where: str) -> None:
        """Raise :class:`IntegrityError` unless ``actual`` (hex) is the listed value."""
        if actual.lower() != self.value.lower():
            raise IntegrityError(f"{where}: {self.algorithm} is {actual}; the digest lists {self.value}")
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

    def _digest_of(self, blocks: Iterable[bytes]) -> str:
        if self.algorithm in CRCS:
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
        names = [key.lower(), filename_from_url(str(asset["href"]), fallback=key).lower(), *roles]
        if any(word in name for name in names for word in DIGEST_WORDS):
            return key
    return None


def parse_digest(document: bytes) -> dict[str, FileDigest]:
    """Read ``{file name: FileDigest}`` from a digest JSON; raises ValueError when it lists nothing usable."""
    record = json.loads(document)
    if not isinstance(record, dict):
        raise ValueError("a digest document is a JSON object")
    default = str(record.get("algorithm") or "sha256").lower()
    files = record.get("files")
    entries: list[tuple[str, Any]]
    if isinstance(files, dict):
        entries = list(files.items())
    elif isinstance(files, list):
        entries = [
            (str(next((entry[name] for name in NAME_FIELDS if entry.get(name)), "")), entry)
            for entry in files
            if isinstance(entry, dict)
        ]
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


def _digest_of_entry(name: str, entry: Any, default: str) -> FileDigest | None:
    if not name:
        return None
    if isinstance(entry, str):
        return FileDigest(name, default, entry) if default in HASHES + CRCS else None
    if isinstance(entry, dict):
        for algorithm in (*CRCS, *HASHES):
            value = entry.get(algorithm)
            if isinstance(value, str) and value:
                return FileDigest(name, algorithm, value)
    return None


class LazyDigests:
    """The digest of each file: its item's document is fetched once, when a file of the item is to be written.

    An item whose files are all complete already (a re-run) has its document never fetched.
    """

    def __init__(self, items: list[dict[str, Any]], urls: PresignedUrls, settings: TransferSettings) -> None:
        keys = {str(item.get("id")): digest_asset_key(item) for item in items}
        self._keys = {stac_id: key for stac_id, key in keys.items() if key is not None}
        self._urls, self._settings = urls, settings
        self._locks = {stac_id: threading.Lock() for stac_id in self._keys}
        self._fetched: dict[str, dict[str, FileDigest] | BaseException] = {}

    def fetcher(self, stac_id: str, filename: str) -> Callable[[], FileDigest | None] | None:
        """Give a function returning ``filename``'s digest (the document fetched once); None without one."""
        if stac_id not in self._keys:
            return None
        return lambda: self._of_item(stac_id).get(filename)

    def _of_item(self, stac_id: str) -> dict[str, FileDigest]:
        with self._locks[stac_id]:
            if stac_id not in self._fetched:
                try:
                    self._fetched[stac_id] = self._fetch(stac_id)
                except Exception as error:
                    self._fetched[stac_id] = error
            found = self._fetched[stac_id]
        if isinstance(found, BaseException):
            raise found
        return found

    def _fetch(self, stac_id: str) -> dict[str, FileDigest]:
        """Fetch and read one item's document (into memory: it is small), retried as any asset is."""
        ref = (stac_id, self._keys[stac_id])
        attempts = Attempts(f"{stac_id} {ref[1]}", self._settings.max_attempts)
        with source.new_session(1) as session:
            while True:
                with source.send_get(session, self._urls, ref, {}, attempts, self._settings.timeout) as got:
                    size = source.total_size_of(got)
                    if (size or 0) > MAX_DIGEST_BYTES:
                        raise IntegrityError(f"{attempts.label}: too large for a digest document")
                    try:
                        document = got.raw.read(MAX_DIGEST_BYTES)
                        if size is not None and len(document) != size:
                            raise source.BodyDropped(f"{len(document)} of {size} bytes received")
                        break
                    except Exception as error:
                        attempts.failed(error, f"connection dropped ({type(error).__name__})")
        try:
            digests = parse_digest(document)
        except ValueError as error:
            raise IntegrityError(f"{attempts.label}: the product's digest cannot be read: {error}") from None
        log.info("%s: files will be checked against the product's digest", stac_id)
        return digests
