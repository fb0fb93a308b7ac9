"""S3 adapter: bytes in, bytes out, with conditional reads and error translation.

Generic on purpose (search indexes, import batches, exports): callers name keys, this module moves bytes.
`get_if_changed` sends the previous ETag (If-None-Match) so a reader polling a small pointer object pays a 304
and
no body when nothing moved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from shared.aws.clients import client as aws_client
from shared.errors import Conflict, ServiceUnavailable

_MISSING = {"NoSuchKey", "404", "NotFound", "NoSuchBucket"}


@dataclass(frozen=True)
class StoredObject:
    key: str
    body: bytes
    etag: str
    content_type: str | None = None


def _code(error: Exception) -> str:
    response = getattr(error, "response", None) or {}
    return str(response.get("Error", {}).get("Code", ""))


def _unavailable(error: Exception) -> ServiceUnavailable:
    return ServiceUnavailable(
        "Le stockage est momentanément indisponible; réessayez dans un instant.",
        message_en="Storage is briefly unavailable; retry in a moment.",
        details={"aws_error": _code(error) or type(error).__name__},
    )


class Bucket:
    def __init__(self, name: str, client: Any | None = None) -> None:
        self.name = name
        self._client = client

    @property
    def client(self) -> Any:
        return self._client or aws_client("s3")

    def put(self, key: str, body: bytes, *, content_type: str = "application/octet-stream") -> str:
        """Write an object; returns its ETag."""
        try:
            answer = self.client.put_object(Bucket=self.name, Key=key, Body=body, ContentType=content_type)
        except Exception as error:
            raise _unavailable(error) from error
        return str(answer.get("ETag", ""))

    def put_if(
        self, key: str, body: bytes, *, if_match: str | None, content_type: str = "application/octet-stream"
    ) -> str:
        """Write an object only if it is still the version read (ETag `if_match`), or, with None, only if it does
        not exist yet (S3 conditional writes); Conflict otherwise. Returns the new ETag."""
        condition = {"IfMatch": if_match} if if_match else {"IfNoneMatch": "*"}
        try:
            answer = self.client.put_object(
                Bucket=self.name, Key=key, Body=body, ContentType=content_type, **condition
            )
        except Exception as error:
            if _code(error) in ("PreconditionFailed", "412", "ConditionalRequestConflict", "409"):
                raise Conflict(
                    "L'objet a changé entre-temps.",
                    message_en="The object changed meanwhile.",
                    details={"key": key},
                ) from error
            raise _unavailable(error) from error
        return str(answer.get("ETag", ""))

    def get(self, key: str) -> StoredObject | None:
        """The object, or None when it does not exist."""
        try:
            answer = self.client.get_object(Bucket=self.name, Key=key)
        except Exception as error:
            if _code(error) in _MISSING:
                return None
            raise _unavailable(error) from error
        return StoredObject(
            key, answer["Body"].read(), str(answer.get("ETag", "")), answer.get("ContentType")
        )

    def get_if_changed(self, key: str, etag: str | None) -> StoredObject | None:
        """The object if its ETag differs from `etag` (or `etag` is None); None when unchanged or missing."""
        if not etag:
            return self.get(key)
        try:
            answer = self.client.get_object(Bucket=self.name, Key=key, IfNoneMatch=etag)
        except Exception as error:
            if _code(error) in _MISSING or _code(error) in ("304", "NotModified"):
                return None
            raise _unavailable(error) from error
        return StoredObject(
            key, answer["Body"].read(), str(answer.get("ETag", "")), answer.get("ContentType")
        )

    def head(self, key: str) -> dict[str, Any] | None:
        try:
            answer = self.client.head_object(Bucket=self.name, Key=key)
        except Exception as error:
            if _code(error) in _MISSING:
                return None
            raise _unavailable(error) from error
        return {"etag": answer.get("ETag", ""), "size": answer.get("ContentLength", 0)}

    def list_keys(self, prefix: str) -> list[str]:
        """Every key under `prefix` (ListObjectsV2, paged)."""
        keys: list[str] = []
        request: dict[str, Any] = {"Bucket": self.name, "Prefix": prefix}
        while True:
            try:
                answer = self.client.list_objects_v2(**request)
            except Exception as error:
                raise _unavailable(error) from error
            keys.extend(item["Key"] for item in answer.get("Contents", []))
            if not answer.get("IsTruncated"):
                return keys
            request["ContinuationToken"] = answer["NextContinuationToken"]

    def delete(self, key: str) -> None:
        try:
            self.client.delete_object(Bucket=self.name, Key=key)
        except Exception as error:
            if _code(error) in _MISSING:
                return
            raise _unavailable(error) from error

    def presign_put(self, key: str, content_type: str, expires_in: int = 900) -> str:
        """A URL that lets its holder PUT one object at `key` (with this Content-Type) until it expires."""
        return str(
            self.client.generate_presigned_url(
                "put_object",
                Params={"Bucket": self.name, "Key": key, "ContentType": content_type},
                ExpiresIn=expires_in,
            )
        )

    def presign_get(self, key: str, expires_in: int = 900) -> str:
        return str(
            self.client.generate_presigned_url(
                "get_object", Params={"Bucket": self.name, "Key": key}, ExpiresIn=expires_in
            )
        )
