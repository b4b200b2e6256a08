"""Presigned asset downloads over real HTTP: content, ranges, validators, signatures and S3 error shapes."""

from __future__ import annotations

import hashlib
import itertools
import json
import struct
import time
import zlib
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit
from xml.etree import ElementTree

import pytest
import requests
from capella_emulator.asset_content import asset_payload, asset_sha256
from capella_emulator.signing import presign_url


def presigned_item(emulator: Any, product_type: str = "GEO") -> dict[str, Any]:
    """A catalog item of ``product_type`` as an order's download returns it (hrefs presigned)."""
    items = [
        item
        for item in emulator.state.catalog.items
        if item["properties"]["sar:product_type"] == product_type
        and item["properties"]["capella:ownership"] in ("ownedByOrganization", "sharedWithOrganization")
    ]
    assert items, f"the emulator's catalog has no {product_type} item"
    item = items[0]
    body = {"items": [{"collectionId": item["collection"], "granuleId": item["id"]}]}
    order = requests.post(f"{emulator.url}/orders", json=body, headers=emulator.auth_headers, timeout=30)
    assert order.status_code == 200, order.text
    download = requests.get(
        f"{emulator.url}/orders/{order.json()['orderId']}/download", headers=emulator.auth_headers, timeout=30
    )
    assert download.status_code == 200, download.text
    return download.json()[0]


@pytest.fixture
def item(capella_emulator) -> dict[str, Any]:
    return presigned_item(capella_emulator)


def raster_key(item: dict[str, Any]) -> str:
    return next(key for key, asset in item["assets"].items() if "data" in asset["roles"])


def s3_error(response: requests.Response) -> tuple[str, str]:
    assert response.headers["Content-Type"].startswith("application/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "Error"
    return root.findtext("Code") or "", root.findtext("Message") or ""


def with_query(url: str, **changes: str | None) -> str:
    parts = urlsplit(url)
    query = {name: values[0] for name, values in parse_qs(parts.query).items()}
    for name, value in changes.items():
        if value is None:
            query.pop(name, None)
        else:
            query[name] = value
    return urlunsplit(parts._replace(query=urlencode(query)))


def test_full_download_hashes_to_the_public_checksum(capella_emulator, item):
    key = raster_key(item)
    size = capella_emulator.state.config.asset_size

    response = requests.get(item["assets"][key]["href"], timeout=30)

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == asset_sha256(item["id"], key, size)
    assert response.headers["Content-Length"] == str(size)
    assert response.headers["Accept-Ranges"] == "bytes"
    assert response.headers["Content-Type"] == item["assets"][key]["type"]
    assert response.headers["ETag"].startswith('"') and response.headers["ETag"].endswith('"')
    assert response.headers["Last-Modified"].endswith(" GMT")


def test_range_pieces_concatenate_to_the_whole(capella_emulator):
    capella_emulator.settings(asset_size=3 * 2**20 + 17)
    item = presigned_item(capella_emulator)
    url = item["assets"][raster_key(item)]["href"]
    whole = requests.get(url, timeout=30).content
    size = len(whole)
    cuts = [0, 1, 70_000, 2**20 - 1, 2**20 + 5, 2 * 2**20 + 300_000, size - 1]
    spans = [f"bytes={start}-{stop - 1}" for start, stop in itertools.pairwise(cuts)] + [f"bytes={size - 1}-"]

    pieces = [requests.get(url, headers={"Range": span}, timeout=30) for span in spans]

    assert all(piece.status_code == 206 for piece in pieces)
    assert b"".join(piece.content for piece in pieces) == whole
    assert pieces[1].headers["Content-Range"] == f"bytes 1-69999/{size}"
    assert pieces[1].headers["Content-Length"] == "69999"


def test_suffix_and_open_ended_ranges(capella_emulator, item):
    url = item["assets"][raster_key(item)]["href"]
    whole = requests.get(url, timeout=30).content
    size = len(whole)

    suffix = requests.get(url, headers={"Range": "bytes=-1000"}, timeout=30)
    open_ended = requests.get(url, headers={"Range": f"bytes={size - 10}-"}, timeout=30)
    beyond_end = requests.get(url, headers={"Range": f"bytes=5-{size * 2}"}, timeout=30)
    longer_suffix = requests.get(url, headers={"Range": f"bytes=-{size * 2}"}, timeout=30)

    assert (suffix.status_code, suffix.content) == (206, whole[-1000:])
    assert suffix.headers["Content-Range"] == f"bytes {size - 1000}-{size - 1}/{size}"
    assert (open_ended.status_code, open_ended.content) == (206, whole[-10:])
    assert (beyond_end.status_code, beyond_end.content) == (206, whole[5:])
    assert (longer_suffix.status_code, longer_suffix.content) == (206, whole)


@pytest.mark.parametrize("span", ["bytes=10-20,30-40", "bytes=20-10", "items=0-10", "bytes=abc"])
def test_multi_and_malformed_ranges_get_the_whole_asset(capella_emulator, item, span):
    response = requests.get(item["assets"][raster_key(item)]["href"], headers={"Range": span}, timeout=30)

    assert response.status_code == 200
    assert len(response.content) == capella_emulator.state.config.asset_size


@pytest.mark.parametrize("span", ["bytes={size}-", "bytes={size}-{end}", "bytes=-0"])
def test_unsatisfiable_range_is_416(capella_emulator, item, span):
    size = capella_emulator.state.config.asset_size
    header = span.format(size=size, end=size + 10)

    response = requests.get(item["assets"][raster_key(item)]["href"], headers={"Range": header}, timeout=30)

    assert response.status_code == 416
    assert response.headers["Content-Range"] == f"bytes */{size}"
    assert s3_error(response)[0] == "InvalidRange"


def test_head_gives_the_headers_of_a_get_without_a_body(capella_emulator, item):
    url = item["assets"][raster_key(item)]["href"]

    head = requests.head(url, timeout=30)
    get = requests.get(url, timeout=30)
    ranged_head = requests.head(url, headers={"Range": "bytes=0-99"}, timeout=30)

    assert head.status_code == 200
    assert head.content == b""
    for name in ("Content-Length", "ETag", "Last-Modified", "Content-Type", "Accept-Ranges"):
        assert head.headers[name] == get.headers[name]
    assert ranged_head.status_code == 206
    assert ranged_head.headers["Content-Length"] == "100"


def test_if_range_honours_the_range_only_for_the_current_etag_or_date(capella_emulator, item):
    url = item["assets"][raster_key(item)]["href"]
    head = requests.head(url, timeout=30)
    size = int(head.headers["Content-Length"])

    def ranged(if_range: str) -> requests.Response:
        return requests.get(url, headers={"Range": "bytes=100-199", "If-Range": if_range}, timeout=30)

    assert ranged(head.headers["ETag"]).status_code == 206
    assert ranged(head.headers["Last-Modified"]).status_code == 206
    stale = ranged('"0123456789abcdef"')
    assert stale.status_code == 200
    assert len(stale.content) == size
    assert ranged("Mon, 01 Jan 2001 00:00:00 GMT").status_code == 200


def test_if_match_serves_only_the_current_etag_else_412(capella_emulator, item):
    url = item["assets"][raster_key(item)]["href"]
    etag = requests.head(url, timeout=30).headers["ETag"]

    def ranged(if_match: str) -> requests.Response:
        return requests.get(url, headers={"Range": "bytes=100-199", "If-Match": if_match}, timeout=30)

    assert ranged(etag).status_code == 206
    assert ranged("*").status_code == 206
    stale = ranged('"0123456789abcdef"')
    assert stale.status_code == 412
    assert s3_error(stale)[0] == "PreconditionFailed"


def test_assets_changed_after_some_ranged_gets_have_new_bytes_and_etag(capella_emulator, item):
    url = item["assets"][raster_key(item)]["href"]
    capella_emulator.settings(change_assets_after=2)
    answers = [requests.get(url, headers={"Range": "bytes=0-99"}, timeout=30) for _ in range(3)]

    assert answers[0].headers["ETag"] == answers[1].headers["ETag"] != answers[2].headers["ETag"]
    assert answers[0].content == answers[1].content != answers[2].content
    assert capella_emulator.settings()["asset_revision"] == 1


def test_a_download_rate_slows_every_presigned_download(capella_emulator, item):
    url = item["assets"][raster_key(item)]["href"]
    size = int(requests.head(url, timeout=30).headers["Content-Length"])
    capella_emulator.settings(download_rate=size)  # one second per whole asset

    started = time.monotonic()
    body = requests.get(url, timeout=30).content
    seconds = time.monotonic() - started

    assert len(body) == size and 0.9 <= seconds < 5
    started = time.monotonic()
    assert len(requests.get(url, headers={"Range": "bytes=0-99"}, timeout=30).content) == 100
    assert time.monotonic() - started < 0.5, "a small range is quick"


@pytest.mark.parametrize("digest_format", ["emulator", "flat", "sha512-list", "opaque", "multihash", "none"])
def test_the_product_digest_in_each_format(capella_emulator, digest_format):
    capella_emulator.settings(digest_format=digest_format)
    item = presigned_item(capella_emulator)
    key, size = raster_key(item), capella_emulator.state.config.asset_size
    name = item["assets"][key]["href"].split("?")[0].rsplit("/", 1)[1]
    sha256, sha512 = asset_sha256(item["id"], key, size), asset_sha256(item["id"], key, size, "sha512")

    if digest_format in ("multihash", "none"):
        assert "checksums" not in item["assets"]
        checksum = item["assets"][key].get("file:checksum")
        assert checksum == ("1220" + sha256 if digest_format == "multihash" else None)
        return
    document = requests.get(item["assets"]["checksums"]["href"], timeout=30).json()
    expected = {
        "emulator": lambda: document["files"][name]["sha256"] == sha256,
        "flat": lambda: document[name] == sha256,
        "sha512-list": lambda: (
            {"path": name, "algorithm": "SHA-512", "checksum": sha512, "size": size} in document["files"]
        ),
        "opaque": lambda: "files" not in document and name not in document,
    }
    assert expected[digest_format]()


def test_etag_is_stable_per_asset_and_differs_between_assets(capella_emulator, item):
    key = raster_key(item)
    first = requests.head(item["assets"][key]["href"], timeout=30).headers["ETag"]
    again = presigned_item(capella_emulator)

    assert requests.head(again["assets"][key]["href"], timeout=30).headers["ETag"] == first
    assert requests.head(item["assets"]["thumbnail"]["href"], timeout=30).headers["ETag"] != first


def test_expired_signature_is_403_request_has_expired(capella_emulator):
    capella_emulator.settings(presign_ttl_seconds=-5)  # the thumbnails of search results are signed with it
    search = requests.post(
        f"{capella_emulator.url}/catalog/search",
        json={"limit": 1},
        headers=capella_emulator.auth_headers,
        timeout=30,
    )
    item = search.json()["features"][0]

    response = requests.get(item["assets"]["thumbnail"]["href"], timeout=30)

    assert response.status_code == 403
    assert s3_error(response) == ("AccessDenied", "Request has expired")


def test_tampered_signature_is_403_signature_does_not_match(capella_emulator, item):
    url = item["assets"]["thumbnail"]["href"]
    expires = int(parse_qs(urlsplit(url).query)["Expires"][0])

    tampered = requests.get(with_query(url, Signature="A" * 43), timeout=30)
    extended = requests.get(with_query(url, Expires=str(expires + 3600)), timeout=30)
    other_file = requests.get(url.replace("_thumb.png", "_preview.png"), timeout=30)

    for response in (tampered, extended, other_file):
        assert response.status_code == 403
        assert s3_error(response)[0] == "SignatureDoesNotMatch"


def test_missing_or_partial_query_auth_is_403(capella_emulator, item):
    url = item["assets"]["thumbnail"]["href"]

    anonymous = requests.get(url.split("?")[0], timeout=30)
    partial = requests.get(with_query(url, Signature=None), timeout=30)
    wrong_key = requests.get(with_query(url, AWSAccessKeyId="AKIAOTHER"), timeout=30)

    assert (anonymous.status_code, s3_error(anonymous)) == (403, ("AccessDenied", "Access Denied"))
    assert (partial.status_code, s3_error(partial)[0]) == (403, "AccessDenied")
    assert (wrong_key.status_code, s3_error(wrong_key)[0]) == (403, "InvalidAccessKeyId")


def test_an_authorization_header_is_rejected_like_s3_does(capella_emulator, item):
    response = requests.get(
        item["assets"]["thumbnail"]["href"], headers=capella_emulator.auth_headers, timeout=30
    )

    assert response.status_code == 400
    code, message = s3_error(response)
    assert code == "InvalidArgument"
    assert message.startswith("Only one auth mechanism allowed")


def test_unknown_item_or_file_is_404_no_such_key(capella_emulator, item):
    state = capella_emulator.state
    expires = int(time.time()) + 600
    known = urlsplit(item["assets"]["thumbnail"]["href"]).path
    paths = [
        "/assets/capella-geo/CAPELLA_C99_SP_GEO_HH_20200101000000_20200101000010/x.tif",
        known.replace("_thumb.png", "_other.png"),
        known.replace("/capella-geo/", "/capella-slc/"),
    ]

    for path in paths:
        response = requests.get(
            presign_url(capella_emulator.url, path, expires, state.signing_secret), timeout=30
        )

        assert response.status_code == 404
        assert s3_error(response)[0] == "NoSuchKey"


def png_chunks(data: bytes) -> list[tuple[bytes, bytes]]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    chunks, position = [], 8
    while position < len(data):
        (length,) = struct.unpack(">I", data[position : position + 4])
        kind = data[position + 4 : position + 8]
        body = data[position + 8 : position + 8 + length]
        (crc,) = struct.unpack(">I", data[position + 8 + length : position + 12 + length])
        assert crc == zlib.crc32(kind + body) & 0xFFFFFFFF, f"bad CRC in {kind!r}"
        chunks.append((kind, body))
        position += 12 + length
    return chunks


def test_preview_is_a_geotiff_on_the_items_footprint(capella_emulator, item):
    response = requests.get(item["assets"]["preview"]["href"], timeout=30)

    assert response.status_code == 200
    assert item["assets"]["preview"]["href"].split("?")[0].endswith("_preview.tif")
    assert response.headers["Content-Type"].startswith("image/tiff")
    body = response.content
    assert body[:4] == b"II*\x00"
    ifd = struct.unpack("<I", body[4:8])[0]
    count = struct.unpack("<H", body[ifd : ifd + 2])[0]
    tags = {
        struct.unpack("<H", body[ifd + 2 + 12 * i : ifd + 4 + 12 * i])[0]: body[
            ifd + 2 + 12 * i : ifd + 14 + 12 * i
        ]
        for i in range(count)
    }
    assert {256, 257, 258, 273, 279, 33550, 33922, 34735} <= set(tags)  # size, strips, GeoTIFF tags
    width = struct.unpack("<H", tags[256][8:10])[0]
    strip_offset, strip_length = (struct.unpack("<I", tags[tag][8:12])[0] for tag in (273, 279))
    assert strip_length == width * width and strip_offset + strip_length <= len(body)


@pytest.mark.parametrize("key", ["thumbnail"])
def test_thumbnail_is_a_valid_png(capella_emulator, item, key):
    response = requests.get(item["assets"][key]["href"], timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    chunks = png_chunks(response.content)
    assert [kind for kind, _ in chunks] == [b"IHDR", b"IDAT", b"IEND"]
    width, height, depth, color, _, _, _ = struct.unpack(">IIBBBBB", chunks[0][1])
    assert (depth, color) == (8, 0)
    assert 0 < width <= 1024 and 0 < height <= 1024
    assert len(zlib.decompress(chunks[1][1])) == height * (width + 1)


def test_metadata_is_a_json_document_about_the_item(capella_emulator, item):
    response = requests.get(item["assets"]["metadata"]["href"], timeout=30)

    assert response.status_code == 200
    assert response.headers["Content-Type"] == "application/json"
    document = json.loads(response.content)
    assert document["id"] == item["id"]
    assert document["properties"] == item["properties"]
    assert document["collect"]["collect_id"] == item["properties"]["capella:collect_id"]
    original = capella_emulator.state.catalog.get(item["id"])
    assert hashlib.sha256(response.content).hexdigest() == asset_payload(original, "metadata", 0).sha256()


def test_analytic_products_are_served_like_rasters(capella_emulator):
    item = presigned_item(capella_emulator, product_type="VC")
    size = capella_emulator.state.config.asset_size

    response = requests.get(item["assets"]["analytic_product"]["href"], timeout=30)

    assert response.status_code == 200
    assert hashlib.sha256(response.content).hexdigest() == asset_sha256(item["id"], "analytic_product", size)


def resident_bytes() -> int:
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS in /proc/self/status")


@pytest.mark.timeout(60)
def test_a_2_gib_asset_streams_without_being_held_in_memory(capella_emulator):
    size = 2**31
    capella_emulator.settings(asset_size=size)
    item = presigned_item(capella_emulator)
    key = raster_key(item)
    baseline = peak = resident_bytes()
    digest, received, started = hashlib.sha256(), 0, time.monotonic()

    with requests.get(item["assets"][key]["href"], stream=True, timeout=30) as response:
        assert response.headers["Content-Length"] == str(size)
        for chunk in response.iter_content(chunk_size=1 << 20):
            digest.update(chunk)
            received += len(chunk)
            if received % (64 << 20) < len(chunk):
                peak = max(peak, resident_bytes())

    assert received == size
    assert time.monotonic() - started < 15
    assert peak - baseline < 200 * 1024 * 1024
    assert digest.hexdigest() == asset_sha256(item["id"], key, size)
