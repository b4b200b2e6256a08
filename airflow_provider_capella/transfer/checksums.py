"""The CRC (CRC32C with ``awscrt``, else CRC32) of every S3 part, and joining part CRCs into the object's."""

from __future__ import annotations

import base64
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache

_CRC32_POLY = 0xEDB88320  # reflected polynomials
_CRC32C_POLY = 0x82F63B78
_TOP = 1 << 31


@dataclass(frozen=True)
class Crc:
    """One CRC algorithm as S3 names it, its running update and its combination of two CRCs."""

    name: str
    update: Callable[[bytes | bytearray | memoryview, int], int]
    poly: int

    @property
    def parameter(self) -> str:
        """Name the boto3 parameter and response field carrying this checksum (``ChecksumCRC32``)."""
        return f"Checksum{self.name}"

    def combine(self, first: int, second: int, second_length: int) -> int:
        """Return the CRC of ``A + B`` from ``crc(A)``, ``crc(B)`` and ``len(B)``."""
        if second_length <= 0:
            return first
        shift, k, powers = _TOP, 3, _powers(self.poly)  # x^(8 * len(B)): crc(A) past len(B) zero bytes
        while second_length:
            if second_length & 1:
                shift = _multiply(powers[k], shift, self.poly)
            second_length >>= 1
            k += 1
        return _multiply(shift, first, self.poly) ^ second

    def of(self, data: bytes | bytearray | memoryview) -> int:
        """Return the CRC of ``data``."""
        return self.update(data, 0)


def encode(value: int) -> str:
    """Write a CRC as S3 does: the four big-endian bytes, base64 (``0xCBF43926`` is ``y/Q5Jg==``)."""
    return base64.b64encode(value.to_bytes(4, "big")).decode("ascii")


CRC32 = Crc("CRC32", zlib.crc32, _CRC32_POLY)


@cache
def default_crc() -> Crc:
    """Pick CRC32C when ``awscrt`` is installed (hardware accelerated), else CRC32."""
    try:
        from awscrt import checksums  # lazy: optional (boto3[crt]), and heavy
    except ImportError:
        return CRC32
    return Crc("CRC32C", lambda data, value: int(checksums.crc32c(data, value)), _CRC32C_POLY)


def crc_named(name: str) -> Crc | None:
    """Return the algorithm S3 calls ``name``, when this process can compute it."""
    return next((crc for crc in (default_crc(), CRC32) if crc.name == name.upper()), None)


def _multiply(a: int, b: int, poly: int) -> int:
    """Multiply ``a * b`` modulo the polynomial, both in reflected bit order."""
    product = 0
    mask = _TOP
    while mask:
        if a & mask:
            product ^= b
        mask >>= 1
        b = (b >> 1) ^ poly if b & 1 else b >> 1
    return product


@cache
def _powers(poly: int) -> tuple[int, ...]:
    """Tabulate ``x^(2^k)`` modulo the polynomial, for k = 0..63."""
    powers = [_TOP >> 1]  # x^1
    for _ in range(63):
        powers.append(_multiply(powers[-1], powers[-1], poly))
    return tuple(powers)
