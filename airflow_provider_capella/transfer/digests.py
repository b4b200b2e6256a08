"""A product's data-integrity digest: found, fetched, read in any plausible shape, checked."""

from __future__ import annotations

import contextlib
import functools
import hashlib
import json
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from airflow_provider_capella.transfer import source
from airflow_provider_capella.transfer.errors import Attempts, CapellaDownloadError, IntegrityError, log
from airflow_provider_capella.transfer.s3_parts import crc_named
from airflow_provider_capella.transfer.targets import filename_from_url, sanitize_name

if TYPE_CHECKING:
    from airflow_provider_capella.transfer.settings import TransferSettings
    from airflow_provider_capella.transfer.sinks import S3MultipartSink
    from airflow_provider_capella.transfer.source import PresignedUrls


HEX_LENGTHS = {"md5": 32, "sha1": 40, "sha256": 64, "sha512": 128, "crc32": 8, "crc32c": 8}
MULTIHASH_CODES = {0x12: "sha256", 0x13: "sha512", 0xD5: "md5", 0x11: "sha1"}
NAME_FIELDS = ("name", "file", "filename", "path", "key")
VALUE_FIELDS = ("checksum", "hash", "digest", "value")
DIGEST_WORDS = ("digest", "checksum")
HEX = re.compile(r"^[0-9a-fA-F]+$")
BLOCK = 8 * 1024 * 1024
MAX_DIGEST_BYTES = 16 * 1024 * 1024


@dataclass(frozen=True)
class FileDigest:
    """The checksum (and size, if listed) a product's digest gives for one file."""

    name: str
    algorithm: str
    value: str
    size: int | None = None

    def check(self, actual: str, where: str) -> None:
        """Raise :class:`IntegrityError` unless ``actual`` (hex) is the listed value."""
        if actual.lower() != self.value.lower():
            raise IntegrityError(f"{where}: {self.algorithm} is {actual}; the digest lists {self.value}")
        log.info("%s matches the product's digest (%s)", where, self.algorithm)

    def verify_file(self, path: str, where: str) -> None:
        with open(path, "rb") as handle:
            self.check(self._digest_of(handle.read), where)

    def verify_s3(self, sink: S3MultipartSink, whole_crc: int) -> None:
        """Check a completed S3 object: by its CRC when the digest lists the engine's, else read it back."""
        body = None
        if self.algorithm != sink.crc.name.lower():
            body = sink.client.get_object(Bucket=sink.bucket, Key=sink.key)["Body"]
        self.check(f"{whole_crc:08x}" if body is None else self._digest_of(body.read), sink.location)

    def _digest_of(self, read: Callable[[int], bytes]) -> str:
        blocks = iter(lambda: read(BLOCK), b"")
        if self.algorithm.startswith("crc"):
            crc = crc_named(self.algorithm)
            if crc is None:
                raise IntegrityError(f"{self.name}: {self.algorithm} needs awscrt (pip install 'boto3[crt]')")
            return f"{functools.reduce(lambda value, block: crc.update(block, value), blocks, 0):08x}"
        digest = hashlib.new(self.algorithm)
        for block in blocks:
            digest.update(block)
        return digest.hexdigest()


def parse_digest(document: bytes) -> dict[str, FileDigest]:
    """Read ``{file name: FileDigest}`` from a digest document (see docs/transfer.md); ValueError if none."""
    try:
        record = json.loads(document)
    except ValueError:  # sha256sum's lines: "<hex>  <name>" (or "<hex> *<name>")
        pairs = [line.split(None, 1) for line in document.decode(errors="replace").splitlines()]
        record = {pair[1].lstrip("*"): pair[0] for pair in pairs if len(pair) == 2}
    record = {"files": record} if isinstance(record, list) else record
    if not isinstance(record, dict):
        raise ValueError("it is neither a JSON object or list nor `<hex>  <name>` lines")
    default = _algorithm_name(record.get("algorithm"))
    files = record.get("files", record)
    if isinstance(files, list):
        files = {next((str(e[f]) for f in NAME_FIELDS if e.get(f)), ""): e for e in files if type(e) is dict}
    if not isinstance(files, dict):
        raise ValueError("its `files` is neither a map nor a list")
    found = {d.name: d for name, entry in files.items() if name and (d := _entry(str(name), entry, default))}
    if not found:
        raise ValueError(f"it lists no file with a usable checksum ({', '.join(HEX_LENGTHS)}, in hex)")
    return found


def _entry(name: str, entry: Any, default: str) -> FileDigest | None:
    """One file's digest from a bare value or an object of fields; None when nothing in it is usable."""
    candidates, size = [(default, entry)], None
    if isinstance(entry, dict):
        size = entry.get("size")
        named = _algorithm_name(entry.get("algorithm")) or default
        candidates = [(algorithm, entry.get(algorithm)) for algorithm in HEX_LENGTHS]
        candidates += [(named, entry.get(field)) for field in VALUE_FIELDS]
    for algorithm, value in candidates:
        if isinstance(value, str) and HEX.match(value):
            algorithm = algorithm or next((a for a, n in HEX_LENGTHS.items() if n == len(value)), "")
            if HEX_LENGTHS.get(algorithm) == len(value):
                listed = size if type(size) is int else None
                return FileDigest(sanitize_name(name, fallback="asset"), algorithm, value.lower(), listed)
    return None


def _algorithm_name(text: Any) -> str:
    """``SHA-256``, ``sha2-256`` and ``SHA256`` are ``sha256``."""
    name = str(text or "").lower().replace("-", "").replace("_", "")
    return {"sha2256": "sha256", "sha2512": "sha512"}.get(name, name)


def multihash_digest(name: str, asset: dict[str, Any]) -> FileDigest | None:
    """Read a STAC ``file:checksum`` (hex multihash: code, length, digest) of an asset; None if unusable."""
    try:
        raw = bytes.fromhex(str(asset.get("file:checksum") or ""))
    except ValueError:
        return None
    size = asset.get("file:size")
    for code, rest in (_varint(raw), (raw[0] if raw else 0, raw[1:])):
        algorithm = MULTIHASH_CODES.get(code)  # the code as multiformats' varint, or as one byte (0xd5)
        if algorithm and rest and rest[0] == len(rest) - 1 and 2 * rest[0] == HEX_LENGTHS[algorithm]:
            return FileDigest(name, algorithm, rest[1:].hex(), size if type(size) is int else None)
    return None


def _varint(raw: bytes) -> tuple[int, bytes]:
    """Split an unsigned varint (multiformats) off ``raw``: ``(value, the rest)``."""
    value = 0
    for index, byte in enumerate(raw[:9]):
        value |= (byte & 0x7F) << (7 * index)
        if byte < 0x80:
            return value, raw[index + 1 :]
    return -1, b""


class LazyDigests:
    """The digest of each file; its item's document is fetched once, when a file of it is to be written."""

    def __init__(self, items: list[dict[str, Any]], urls: PresignedUrls, settings: TransferSettings) -> None:
        self._keys: dict[str, str] = {}  # stac_id: the key of its digest asset
        self._own: set[tuple[str, str]] = set()  # the digest files themselves: no claim about them
        self._inline: dict[tuple[str, str], dict[str, Any]] = {}  # the assets with a file:checksum
        for item in items:
            stac_id = str(item.get("id"))
            for key, asset in (item.get("assets") or {}).items():
                if not isinstance(asset, dict) or not asset.get("href"):
                    continue
                filename = filename_from_url(str(asset["href"]), fallback=key)
                if asset.get("file:checksum"):
                    self._inline[(stac_id, filename)] = asset
                names = " ".join([key, filename, *map(str, asset.get("roles") or [])]).lower()
                if stac_id not in self._keys and any(word in names for word in DIGEST_WORDS):
                    self._keys[stac_id] = key
                    self._own.add((stac_id, filename))
        self._urls, self._settings = urls, settings
        self._locks = {stac_id: threading.Lock() for stac_id in self._keys}
        self._fetched: dict[str, dict[str, FileDigest] | str] = {}

    def fetcher(self, stac_id: str, filename: str) -> Callable[[], FileDigest | str | None] | None:
        """Give a function returning ``filename``'s digest (the document fetched once); None without one."""
        asset = self._inline.get((stac_id, filename))
        inline = multihash_digest(filename, asset) if asset else None
        if asset and inline is None:
            log.warning("%s %s: its file:checksum is not a multihash of a known algorithm", stac_id, filename)
        if stac_id not in self._keys or (stac_id, filename) in self._own:
            return None if inline is None else lambda: inline
        return lambda: self._lookup(stac_id, filename, inline)

    def _lookup(self, stac_id: str, filename: str, inline: FileDigest | None) -> FileDigest | str | None:
        with self._locks[stac_id]:
            if stac_id not in self._fetched:
                self._fetched[stac_id] = self._fetch(stac_id)
            found = self._fetched[stac_id]
        if isinstance(found, str):
            return inline or found
        return found.get(filename) or inline or "the product's digest does not list this file"

    def _fetch(self, stac_id: str) -> dict[str, FileDigest] | str:
        """Fetch and read one item's document (into memory: it is small); why not, when it cannot be."""
        ref = (stac_id, self._keys[stac_id])
        attempts = Attempts(f"{stac_id} {ref[1]}", self._settings.max_attempts)
        try:
            with contextlib.closing(source.Fetcher(self._urls, self._settings.timeout)) as fetcher:
                digests = parse_digest(self._read(fetcher, ref, attempts))
        except (CapellaDownloadError, ValueError) as error:
            text = source.redact(str(error)).removeprefix(f"{attempts.label}: ")
            reason = f"the product's digest {attempts.label} cannot be read: {text}"
            log.warning("%s; its files are downloaded unverified", reason)
            return reason
        log.info("%s: files will be checked against the product's digest", stac_id)
        return digests

    def _read(self, fetcher: source.Fetcher, ref: source.AssetRef, attempts: Attempts) -> bytes:
        """GET the document, again after a drop as ``attempts`` allow."""
        while True:
            with fetcher.get(ref, {}, attempts) as got:
                size = source.total_size_of(got)
                if (size or 0) > MAX_DIGEST_BYTES:
                    raise ValueError("too large for a digest document")
                try:
                    document = got.raw.read(MAX_DIGEST_BYTES)
                    if size is None or len(document) == size:
                        return bytes(document)
                    raise source.BodyDropped(f"{len(document)} of {size} bytes received")
                except Exception as error:
                    attempts.failed(error, f"connection dropped ({type(error).__name__})")
