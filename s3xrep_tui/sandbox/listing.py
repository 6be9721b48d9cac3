"""ListObjectVersions and ListObjectsV2 answered from moto's data in time proportional to the page.

moto 5's ``list_object_versions`` deep-copies every version of the bucket (bodies
included) and sorts them on every call, and ``list_objects_v2`` builds and sorts
the whole bucket's listing per page, so listing a big bucket page by page is
quadratic. :class:`ListingMiddleware` answers ``GET /<bucket>?versions`` and
``GET /<bucket>?list-type=2`` itself:

* a sorted list of the bucket's key names (the *index*) is kept per bucket;
  a page bisects to its start (prefix, marker) and walks only as many names as
  it needs, reading each key's versions live from moto's store (no copies);
* a common prefix is rolled up by bisecting past its block of names, so
  ``Delimiter=/`` over a folder of 100,000 keys costs one bisection;
* the index learns about changes through the store itself: the first listing
  of a bucket turns its moto key store (``bucket.keys``) into a
  :class:`_WatchedKeyStore` (a subclass that only adds bookkeeping), whose
  mutators note every name that was added or removed. That catches every
  writer, HTTP or not (the replication engine, Batch Operations and the demo
  seed write straight into moto). The next listing applies the noted names
  (idempotently: each is made to match the store) or, after many changes,
  rebuilds the index; a length check rebuilds it too if something slipped past.

What is answered follows moto where moto matches S3 (so the sandbox keeps
showing what it showed), and S3 where moto's pagination is wrong: a key's
versions newest first (by LastModified, the newer write first on a tie) with
IsLatest on the first; ``KeyMarker`` alone resumes *after* that key (moto drops
the next version instead); ``NextKeyMarker`` after a common prefix is that
prefix; ``EncodingType=url`` encodes what S3 encodes (moto ignores it for
versions); ``FetchOwner=false`` means no owner; ListObjectsV2 shows a common
prefix only if some key under it is not deleted. Owner ids are the sandbox's
per-account canonical ids (the writer's account, or the destination's for a
replica, as the replication engine recorded). Requests this does not handle
(no such bucket, odd parameters, moto's IAM enforcement switched on) go to moto.
"""

from __future__ import annotations

import base64
import binascii
import re
import threading
from bisect import bisect_left, bisect_right
from collections import deque
from collections.abc import Callable
from functools import lru_cache
from typing import Any
from urllib.parse import quote
from xml.sax.saxutils import escape, unescape

from werkzeug.wrappers import Response

from .canonical_ids import canonical_user_id
from .moto_access import find_bucket
from .server import Call, Forward, s3_error

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"
_MOTO_OWNER = "75aa57f09aa0c8caeab4f8c24e99d10f8e7faeebf76c078efc7c6caea54ba06a"  # moto's fixed object owner id
_DISPLAY_NAME = "webfile"  # moto's owner display name, kept as the sandbox has always shown it
_REBUILD_AFTER = 256  # noted name changes beyond which rebuilding the index is cheaper than applying them
_TOKEN_PREFIX = "s3xrep-v2:"

# moto's GET-bucket dispatch checks these sub-resources before ?versions / ?list-type=2
_EARLIER_SUBRESOURCES = frozenset({
    "object-lock", "uploads", "location", "lifecycle", "versioning", "policyStatus", "policy", "website", "acl",
    "tagging", "logging", "cors", "notification", "accelerate", "publicAccessBlock", "inventory",
})
_EARLIER_THAN_V2 = _EARLIER_SUBRESOURCES | {"versions", "encryption"}

OwnerOf = Callable[[str, str, str, str], "str | None"]  # (bucket, key, version id, default account) -> account


# -- the index --------------------------------------------------------------------------------

_index_lock = threading.Lock()
_RESET = object()  # noted instead of a name when the whole store changed (clear, update)


@lru_cache(maxsize=1)
def _watched_class() -> type:
    from moto.s3.utils import _VersionedKeyStore

    class _WatchedKeyStore(_VersionedKeyStore):  # type: ignore[misc,valid-type]
        """moto's key store, noting names that appear or disappear (for the listing index)."""

        def _s3xrep_note(self, name: Any) -> None:
            journal = self.__dict__.get("_s3xrep_journal")
            if journal is not None:
                journal.append(name)

        def __setitem__(self, key: str, value: Any) -> Any:
            new = not dict.__contains__(self, key)
            result = super().__setitem__(key, value)
            if new:
                self._s3xrep_note(key)
            return result

        def setlist(self, key: Any, list_: Any) -> Any:
            new = not dict.__contains__(self, key)
            result = super().setlist(key, list_)
            if new:
                self._s3xrep_note(key)
            return result

        def pop(self, key: str, *default: Any) -> Any:  # type: ignore[override]
            try:
                if default and not dict.__contains__(self, key):
                    return default[0]
                return super().pop(key)
            finally:
                self._s3xrep_note(key)

        def __delitem__(self, key: str) -> None:
            super().__delitem__(key)
            self._s3xrep_note(key)

        def popitem(self) -> Any:
            item = super().popitem()
            self._s3xrep_note(item[0])
            return item

        def setdefault(self, key: str, default: Any = None) -> Any:
            new = not dict.__contains__(self, key)
            result = super().setdefault(key, default)
            if new:
                self._s3xrep_note(key)
            return result

        def clear(self) -> None:
            super().clear()
            self._s3xrep_note(_RESET)

        def update(self, *args: Any, **kwargs: Any) -> None:
            super().update(*args, **kwargs)
            self._s3xrep_note(_RESET)

        def __ior__(self, other: Any) -> Any:
            result = super().__ior__(other)
            self._s3xrep_note(_RESET)
            return result

    _WatchedKeyStore.__module__ = __name__  # findable by name (pickle), like a module-level class
    globals()["_WatchedKeyStore"] = _WatchedKeyStore
    return _WatchedKeyStore


def _snapshot(store: dict[str, Any]) -> list[str]:
    for _ in range(10):
        try:
            return sorted(dict.keys(store))
        except RuntimeError:  # changed size during iteration: another thread wrote; try again
            continue
    return sorted(dict(store))


def sorted_names(store: dict[str, Any]) -> list[str]:
    """The sorted key names of a moto key store, kept up to date cheaply (see the module docstring).

    The list returned is never changed afterwards (a change makes a new one), so a
    page can walk it while other threads write.
    """
    from moto.s3.utils import _VersionedKeyStore

    watched = _watched_class()
    with _index_lock:
        names: list[str] | None = None
        if type(store) is not watched:
            if type(store) is not _VersionedKeyStore:  # not moto's plain store: no bookkeeping, sort each time
                return _snapshot(store)
            store.__dict__["_s3xrep_journal"] = deque()
            store.__class__ = watched
        else:
            names = store.__dict__.get("_s3xrep_names")
        journal: deque[Any] = store.__dict__["_s3xrep_journal"]
        if names is None or len(journal) > _REBUILD_AFTER or _RESET in journal:
            journal.clear()
            names = _snapshot(store)
        elif journal:
            names = list(names)
            while journal:
                try:
                    name = journal.popleft()
                except IndexError:
                    break
                present = dict.__contains__(store, name)
                position = bisect_left(names, name)
                indexed = position < len(names) and names[position] == name
                if present and not indexed:
                    names.insert(position, name)
                elif indexed and not present:
                    del names[position]
        if len(names) != len(store):  # a write went around the store's methods: start again
            names = _snapshot(store)
        store.__dict__["_s3xrep_names"] = names
        return names


def _block_end(names: list[str], common_prefix: str, start: int) -> int:
    """Index of the first name at or after ``start`` that does not begin with ``common_prefix``."""
    return bisect_left(names, True, start, len(names), key=lambda name: not name.startswith(common_prefix))


def _versions(store: dict[str, Any], name: str) -> list[Any]:
    try:
        return dict.__getitem__(store, name) or []
    except KeyError:
        return []


def newest_first(versions: list[Any]) -> list[Any]:
    """A key's versions newest first: by LastModified (as moto sorts them), the later write first on a tie."""
    if len(versions) < 2:
        return list(versions)
    ordered = sorted(((version.last_modified, index) for index, version in enumerate(versions)), reverse=True)
    return [versions[index] for _, index in ordered]


# -- the middleware ---------------------------------------------------------------------------


class _Unhandled(Exception):
    """The request is left to moto."""


def _resume_at(names: list[str], store: Any, index: int, key_marker: str | None,
               version_id_marker: str | None) -> tuple[int, int]:
    """Where a page starts after the markers: the name's index, and how many of its versions were listed."""
    if key_marker is None:
        return index, 0
    resume = bisect_right(names, key_marker)  # the first key after the marker
    offset = 0
    if version_id_marker is not None and resume > 0 and names[resume - 1] == key_marker:
        ids = [str(version.version_id) for version in newest_first(_versions(store, key_marker))]
        # resume inside the marker's key, after that version; a version id that is gone
        # (deleted since the last page) resumes at the next key
        if version_id_marker in ids and ids.index(version_id_marker) + 1 < len(ids):
            resume, offset = resume - 1, ids.index(version_id_marker) + 1
    if resume >= index:
        return resume, offset
    return index, 0


class ListingMiddleware:
    """Answers ListObjectVersions and ListObjectsV2 for existing buckets from moto's data, page-proportionally."""

    def __init__(self, owner_of: OwnerOf | None = None) -> None:
        self._owner_of = owner_of

    def __call__(self, call: Call, forward: Forward) -> Response:
        if (call.service != "s3" or call.is_s3control or not call.bucket or call.key is not None
                or call.method != "GET"):
            return forward()
        args = call.args
        versions = "versions" in args and not _EARLIER_SUBRESOURCES.intersection(args)
        if not versions and (args.get("list-type") != "2" or _EARLIER_THAN_V2.intersection(args)):
            return forward()
        bucket = find_bucket(call.bucket)
        if bucket is None:
            return forward()  # NoSuchBucket and the like: moto's answers
        try:
            if not _moto_would_allow(bucket, call.account_id):
                raise _Unhandled  # cross-account refusal, IAM enforcement: moto decides
            if versions:
                return self._list_object_versions(bucket, args)
            return self._list_objects_v2(bucket, args)
        except _Unhandled:
            response = forward()
            if versions and response.status_code == 200:
                self._rewrite_moto_owners(response, bucket)
            return response

    # -- owners

    def _owner_xml(self, bucket: Any, key: str, version_id: str) -> str:
        account = self._account_of(bucket, key, version_id)
        return f"<Owner><ID>{_canonical(account)}</ID><DisplayName>{_DISPLAY_NAME}</DisplayName></Owner>"

    def _rewrite_moto_owners(self, response: Response, bucket: Any) -> None:
        """moto's fixed owner id in a ListObjectVersions answer it gave, made each version's (the odd cases)."""
        body = response.get_data(as_text=True)
        if _MOTO_OWNER not in body:
            return

        def version_block(match: re.Match[str]) -> str:
            block = match.group(0)
            key = _xml_text(block, "Key") or ""
            version_id = _xml_text(block, "VersionId") or "null"
            return block.replace(_MOTO_OWNER, _canonical(self._account_of(bucket, key, version_id)))

        response.set_data(re.sub(r"<(Version|DeleteMarker)>.*?</\1>", version_block, body, flags=re.DOTALL))

    def _account_of(self, bucket: Any, key: str, version_id: str) -> str:
        if self._owner_of is None:
            return str(bucket.account_id)
        return self._owner_of(bucket.name, key, str(version_id), bucket.account_id) or str(bucket.account_id)

    # -- ListObjectVersions

    def _list_object_versions(self, bucket: Any, args: Any) -> Response:
        prefix = args.get("prefix", "")
        delimiter = args.get("delimiter")
        key_marker = args.get("key-marker") or None
        version_id_marker = args.get("version-id-marker") or None
        max_keys = _max_keys(args)
        encode = _encoder(args)
        if max_keys <= 0 or (version_id_marker and key_marker is None):
            raise _Unhandled  # moto's answers for the odd cases
        store = bucket.keys
        names = sorted_names(store)
        total = len(names)
        index = bisect_left(names, prefix)
        # first_offset: versions of names[index] already listed (resuming inside a key)
        index, first_offset = _resume_at(names, store, index, key_marker, version_id_marker)
        parts: list[str] = []
        prefixes: list[str] = []
        count = 0
        truncated = False
        next_key: str | None = None
        next_version: str | None = None
        while index < total and count <= max_keys:
            name = names[index]
            if not name.startswith(prefix):
                break
            if delimiter:
                cut = name.find(delimiter, len(prefix))
                if cut >= 0:
                    common = name[: cut + len(delimiter)]
                    start, end = index, _block_end(names, common, index)
                    index, first_offset = end, 0
                    if common == key_marker or not any(_versions(store, names[i]) for i in range(start, end)):
                        continue
                    if count == max_keys:
                        truncated = True
                        break
                    prefixes.append(common)
                    count += 1
                    next_key, next_version = common, None
                    continue
            ordered = newest_first(_versions(store, name))
            for position in range(first_offset, len(ordered)):
                if count == max_keys:
                    truncated = True
                    break
                version = ordered[position]
                version_id = str(version.version_id)
                parts.append(self._version_xml(bucket, name, version, position == 0, encode))
                count += 1
                next_key, next_version = name, version_id
            if truncated:
                break
            index, first_offset = index + 1, 0

        head = [
            f'<?xml version="1.0" encoding="UTF-8"?>\n<ListVersionsResult xmlns="{_NS}">',
            f"<Name>{escape(bucket.name)}</Name>",
            f"<Prefix>{escape(encode(prefix))}</Prefix>",
            f"<KeyMarker>{escape(encode(key_marker or ''))}</KeyMarker>",
            f"<VersionIdMarker>{escape(version_id_marker or '')}</VersionIdMarker>",
        ]
        if truncated and next_key is not None:
            head.append(f"<NextKeyMarker>{escape(encode(next_key))}</NextKeyMarker>")
            if next_version is not None:
                head.append(f"<NextVersionIdMarker>{escape(next_version)}</NextVersionIdMarker>")
        head.append(f"<MaxKeys>{max_keys}</MaxKeys>")
        if delimiter is not None:
            head.append(f"<Delimiter>{escape(encode(delimiter))}</Delimiter>")
        head.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
        if args.get("encoding-type") == "url":
            head.append("<EncodingType>url</EncodingType>")
        tail = [f"<CommonPrefixes><Prefix>{escape(encode(p))}</Prefix></CommonPrefixes>" for p in prefixes]
        return _xml("".join(head + parts + tail) + "</ListVersionsResult>")

    def _version_xml(self, bucket: Any, name: str, version: Any, is_latest: bool, encode: Any) -> str:
        """One <Version> (an object version) or <DeleteMarker> of a ListVersionsResult."""
        from moto.s3.models import FakeKey

        version_id = str(version.version_id)
        latest = "true" if is_latest else "false"
        modified = _iso(version.last_modified)
        owner = self._owner_xml(bucket, name, version_id)
        key_xml = escape(encode(name))
        if isinstance(version, FakeKey):
            checksum = version.checksum_algorithm
            return (
                f"<Version><Key>{key_xml}</Key><VersionId>{escape(version_id)}</VersionId>"
                f"<IsLatest>{latest}</IsLatest><LastModified>{modified}</LastModified>"
                f"<ETag>{escape(version.etag)}</ETag>"
                + (f"<ChecksumAlgorithm>{escape(checksum)}</ChecksumAlgorithm>" if checksum else "")
                + f"<Size>{version.size}</Size>"
                f"<StorageClass>{escape(version.storage_class or 'STANDARD')}</StorageClass>{owner}</Version>"
            )
        return (
            f"<DeleteMarker><Key>{key_xml}</Key><VersionId>{escape(version_id)}</VersionId>"
            f"<IsLatest>{latest}</IsLatest><LastModified>{modified}</LastModified>{owner}</DeleteMarker>"
        )

    # -- ListObjectsV2

    def _list_objects_v2(self, bucket: Any, args: Any) -> Response:
        prefix = args.get("prefix", "")
        delimiter = args.get("delimiter") or None
        max_keys = _max_keys(args)
        encode = _encoder(args)
        token = args.get("continuation-token")
        start_after = args.get("start-after") or None
        fetch_owner = args.get("fetch-owner", "").lower() == "true"
        if max_keys < 0 or token == "":
            raise _Unhandled
        marker = start_after
        if token is not None:
            marker = _decode_token(token)
            if marker is None:
                return s3_error("InvalidArgument", "The continuation token provided is incorrect", 400,
                                ArgumentName="continuation-token")
        from moto.s3.models import FakeDeleteMarker

        store = bucket.keys
        names = sorted_names(store) if max_keys else []
        total = len(names)
        index = bisect_left(names, prefix)
        if marker is not None:
            index = max(index, bisect_right(names, marker))
        contents: list[str] = []
        prefixes: list[str] = []
        truncated = False
        last: str | None = None

        def current(name: str) -> Any | None:
            versions = _versions(store, name)
            latest = versions[-1] if versions else None
            return None if latest is None or isinstance(latest, FakeDeleteMarker) else latest

        while index < total:
            name = names[index]
            if not name.startswith(prefix):
                break
            if delimiter:
                cut = name.find(delimiter, len(prefix))
                if cut >= 0:
                    common = name[: cut + len(delimiter)]
                    end = _block_end(names, common, index)
                    start, index = index, end
                    if marker is not None and common <= marker:
                        continue
                    if not any(current(names[i]) is not None for i in range(start, end)):
                        continue  # only deleted keys under it: S3 shows no such prefix
                    if len(contents) + len(prefixes) >= max_keys:
                        truncated = True
                        break
                    prefixes.append(common)
                    last = common
                    continue
            obj = current(name)
            index += 1
            if obj is None:
                continue
            if len(contents) + len(prefixes) >= max_keys:
                truncated = True
                break
            owner = self._owner_xml(bucket, name, str(obj.version_id)) if fetch_owner else ""
            contents.append(_contents_xml(name, obj, owner, encode))
            last = name

        head = _list_bucket_head(bucket, args, prefix, delimiter, max_keys, token, start_after,
                                 len(contents) + len(prefixes), truncated, last, encode)
        tail = [f"<CommonPrefixes><Prefix>{escape(encode(p))}</Prefix></CommonPrefixes>" for p in prefixes]
        return _xml("".join(head + contents + tail) + "</ListBucketResult>")


# -- helpers ----------------------------------------------------------------------------------


def _contents_xml(name: str, obj: Any, owner: str, encode: Any) -> str:
    """One <Contents> of a ListBucketResult (V2)."""
    checksum = obj.checksum_algorithm
    return (
        f"<Contents><Key>{escape(encode(name))}</Key><LastModified>{_iso(obj.last_modified)}</LastModified>"
        f"<ETag>{escape(obj.etag)}</ETag>"
        + (f"<ChecksumAlgorithm>{escape(checksum)}</ChecksumAlgorithm>" if checksum else "")
        + f"<Size>{obj.size}</Size><StorageClass>{escape(obj.storage_class or 'STANDARD')}</StorageClass>"
        f"{owner}</Contents>"
    )


def _list_bucket_head(bucket: Any, args: Any, prefix: str, delimiter: str | None, max_keys: int, token: str | None,
                      start_after: str | None, key_count: int, truncated: bool, last: str | None,
                      encode: Any) -> list[str]:
    """A ListBucketResult's (V2) elements before its contents."""
    head = [
        f'<?xml version="1.0" encoding="UTF-8"?>\n<ListBucketResult xmlns="{_NS}">',
        f"<Name>{escape(bucket.name)}</Name>",
        f"<Prefix>{escape(encode(prefix))}</Prefix>",
    ]
    if token is not None:
        head.append(f"<ContinuationToken>{escape(token)}</ContinuationToken>")
    elif start_after:
        head.append(f"<StartAfter>{escape(encode(start_after))}</StartAfter>")
    head.append(f"<KeyCount>{key_count}</KeyCount><MaxKeys>{max_keys}</MaxKeys>")
    if delimiter:
        head.append(f"<Delimiter>{escape(encode(delimiter))}</Delimiter>")
    head.append(f"<IsTruncated>{'true' if truncated else 'false'}</IsTruncated>")
    if truncated and last is not None:
        head.append(f"<NextContinuationToken>{_encode_token(last)}</NextContinuationToken>")
    if args.get("encoding-type") == "url":
        head.append("<EncodingType>url</EncodingType>")
    return head


def _moto_would_allow(bucket: Any, account_id: str) -> bool:
    from moto import settings

    if settings.INITIAL_NO_AUTH_ACTION_COUNT != float("inf"):
        return False  # moto checks IAM on every call: let it
    return bucket.account_id == account_id or settings.s3_allow_crossdomain_access()


def _max_keys(args: Any) -> int:
    from moto import settings

    raw = args.get("max-keys")
    if raw is None:
        return settings.get_s3_default_max_keys()
    try:
        return int(raw)
    except ValueError:
        raise _Unhandled from None


def _encoder(args: Any) -> Callable[[str], str]:
    encoding = args.get("encoding-type")
    if encoding is None:
        return _identity
    if encoding != "url":
        raise _Unhandled
    return _url


def _identity(text: str) -> str:
    return text


def _url(text: str) -> str:
    return quote(text, safe="/")


@lru_cache(maxsize=64)
def _canonical(account: str) -> str:
    return canonical_user_id(account)


def _iso(when: Any) -> str:
    return when.strftime("%Y-%m-%dT%H:%M:%S.000Z")  # as moto writes it (S3 gives milliseconds; moto zeroes them)


def _encode_token(last: str) -> str:
    return base64.urlsafe_b64encode((_TOKEN_PREFIX + last).encode()).decode()


def _decode_token(token: str) -> str | None:
    try:
        text = base64.urlsafe_b64decode(token.encode()).decode()
    except (binascii.Error, UnicodeError, ValueError):
        return None
    return text[len(_TOKEN_PREFIX):] if text.startswith(_TOKEN_PREFIX) else None


def _xml(body: str) -> Response:
    return Response(body.encode(), status=200, content_type="application/xml")


def _xml_text(block: str, tag: str) -> str | None:
    match = re.search(rf"<{tag}>(.*?)</{tag}>", block, flags=re.DOTALL)
    return unescape(match.group(1), {"&quot;": '"', "&apos;": "'"}) if match else None
