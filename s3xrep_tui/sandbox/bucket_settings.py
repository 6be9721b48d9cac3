"""Bucket-level S3 behaviour moto 5 skips: the ``ExpectedBucketOwner`` guard and Request Payment.

moto accepts any ``x-amz-expected-bucket-owner`` and answers
``PutBucketRequestPayment`` with 200 without storing anything. S3 answers a
mismatched owner with 403 (for HEAD: no body, but the ``x-amz-bucket-region``
header, which is how a tool still learns the region), and keeps the payer.
"""

from __future__ import annotations

from werkzeug.wrappers import Response

from .moto_access import find_bucket
from .server import Call, Forward, s3_error

_NS = "http://s3.amazonaws.com/doc/2006-03-01/"


class BucketSettingsMiddleware:
    def __call__(self, call: Call, forward: Forward) -> Response:
        if call.service != "s3" or call.is_s3control or not call.bucket:
            return forward()
        bucket = find_bucket(call.bucket)
        if bucket is None:
            return forward()
        expected = call.request.headers.get("x-amz-expected-bucket-owner")
        if expected and expected != bucket.account_id:
            if call.method == "HEAD":
                return Response(status=403, headers={"x-amz-bucket-region": bucket.region_name})
            return s3_error("AccessDenied", "Access Denied", 403)
        if call.key is None and "requestPayment" in call.args:
            if call.method == "PUT":
                bucket.payer = "Requester" if b"<Payer>Requester</Payer>" in call.body else "BucketOwner"
                return Response(status=200)
            if call.method == "GET":
                return Response(
                    f'<?xml version="1.0" encoding="UTF-8"?>\n<RequestPaymentConfiguration xmlns="{_NS}">'
                    f"<Payer>{bucket.payer}</Payer></RequestPaymentConfiguration>",
                    content_type="application/xml",
                )
        return forward()
