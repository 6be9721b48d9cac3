"""The AWS Price List API (``pricing``) in the sandbox: moto has none (it answers 404 "Not yet implemented").

Three operations, in the JSON protocol the SDKs and the CLI speak
(``X-Amz-Target: AWSPriceListService.<Operation>``), shaped as the AWS Price List
Query API reference documents them
(https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_Operations_AWS_Price_List_Service.html):

* ``DescribeServices`` (ServiceCode optional): ``Services`` of ``ServiceCode`` and
  ``AttributeNames``, ``FormatVersion`` ``aws_v1``;
* ``GetAttributeValues`` (ServiceCode, AttributeName): ``AttributeValues`` of ``{"Value"}``;
* ``GetProducts`` (ServiceCode, Filters, FormatVersion, MaxResults <= 100, NextToken):
  ``PriceList``, each item one product as a JSON *string*, ``product.attributes`` and
  ``terms.OnDemand.<sku>.<term>.priceDimensions`` with ``pricePerUnit.USD``. Filters of
  type ``TERM_MATCH`` / ``EQUALS`` (equal), ``CONTAINS``, ``ANY_OF`` / ``NONE_OF``
  (comma-separated values) must all hold.

Paging: ``MaxResults`` items per page and an opaque ``NextToken``; a token that is not one we
gave is ``InvalidNextTokenException``, an unknown service ``NotFoundException``, a bad filter
``InvalidParameterException`` (HTTP 400, ``__type`` and ``Message`` as the JSON protocol carries errors).
The products come from ``price_list.json`` beside this module, built for each region it lists.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Callable
from functools import cache
from importlib import resources
from typing import Any

from werkzeug.wrappers import Response

TARGET_PREFIX = "AWSPriceListService."
FORMAT_VERSION = "aws_v1"
MAX_RESULTS = 100
FILTER_TYPES = ("TERM_MATCH", "EQUALS", "CONTAINS", "ANY_OF", "NONE_OF")


def _error(code: str, message: str, status: int = 400) -> Response:
    return Response(json.dumps({"__type": code, "Message": message}), status=status,
                    content_type="application/x-amz-json-1.1")


def _ok(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body), status=200, content_type="application/x-amz-json-1.1")


def _sku(*parts: str) -> str:
    return hashlib.sha256(":".join(parts).encode()).hexdigest()[:16].upper()


def _dimensions(sku: str, row: dict[str, Any], description: str) -> dict[str, Any]:
    tiers = row.get("tiers") or [["0", "Inf", row["usd"]]]
    out = {}
    for n, (begin, end, usd) in enumerate(tiers):
        code = f"{sku}.JRTCKXETXF.{n:010d}"
        out[code] = {"unit": row["unit"], "beginRange": begin, "endRange": end, "description": description,
                     "appliesTo": [], "rateCode": code, "pricePerUnit": {"USD": f"{float(usd):.10f}"}}
    return out


def _product(row: dict[str, Any], region: str, info: dict[str, str], published: str,
             usagetype: str | None = None, extra: dict[str, str] | None = None) -> dict[str, Any]:
    usage = usagetype or (info["prefix"] + row["usagetype"])
    sku = _sku(row["service"], region, usage)
    attributes = {"servicecode": row["service"], "regionCode": region, "location": info["location"],
                  "locationType": "AWS Region", "usagetype": usage, "operation": "",
                  "servicename": row["service"], **row.get("attributes", {}), **(extra or {})}
    return {
        "product": {"productFamily": row["family"], "attributes": attributes, "sku": sku},
        "serviceCode": row["service"],
        "terms": {"OnDemand": {f"{sku}.JRTCKXETXF": {
            "priceDimensions": _dimensions(sku, row, f"{row['unit']} of {usage} in {info['location']}"),
            "sku": sku, "effectiveDate": published, "offerTermCode": "JRTCKXETXF", "termAttributes": {}}}},
        "version": published[:10].replace("-", ""),
        "publicationDate": published,
    }


@cache
def catalogue() -> dict[str, list[dict[str, Any]]]:
    """Every product of the sandbox's price list, per service code."""
    data = json.loads(resources.files(__package__).joinpath("price_list.json").read_text(encoding="utf-8"))
    published = data["publication_date"]
    products: dict[str, list[dict[str, Any]]] = {}
    regions = data["regions"]
    for region, info in regions.items():
        for row in data["products"]:
            products.setdefault(row["service"], []).append(_product(row, region, info, published))
        for target, target_info in regions.items():  # inter-region transfer out, to every other region
            if target == region:
                continue
            row = {"service": "AmazonS3", "family": "Data Transfer", "unit": "GB", "usd": data["transfer_usd"]}
            usage = f"{info['transfer_code']}-{target_info['transfer_code']}-AWS-Out-Bytes"
            products["AmazonS3"].append(_product(row, region, info, published, usage, {
                "transferType": "InterRegion Outbound", "fromRegionCode": region, "toRegionCode": target,
                "fromLocation": info["location"], "toLocation": target_info["location"]}))
    return products


def _attribute_names(service_code: str) -> list[str]:
    names = {"productFamily"}
    for product in catalogue()[service_code]:
        names.update(product["product"]["attributes"])
    return sorted(names)


def _value_of(product: dict[str, Any], field: str) -> str | None:
    if field in ("productFamily", "sku"):
        return str(product["product"][field])
    value = product["product"]["attributes"].get(field)
    return None if value is None else str(value)


def _matches(product: dict[str, Any], filters: list[dict[str, Any]]) -> bool:
    for f in filters:
        value = _value_of(product, f["Field"])
        wanted = str(f["Value"])
        kind = f["Type"]
        if kind in ("TERM_MATCH", "EQUALS"):
            ok = value is not None and value.lower() == wanted.lower()
        elif kind == "CONTAINS":
            ok = value is not None and wanted.lower() in value.lower()
        else:
            options = {v.strip().lower() for v in wanted.split(",")}
            inside = value is not None and value.lower() in options
            ok = inside if kind == "ANY_OF" else not inside
        if not ok:
            return False
    return True


def _page(items: list[Any], body: dict[str, Any], what: str) -> tuple[list[Any], str | None] | Response:
    try:
        limit = int(body.get("MaxResults") or MAX_RESULTS)
    except (TypeError, ValueError):
        return _error("InvalidParameterException", "MaxResults must be a number")
    if not 1 <= limit <= MAX_RESULTS:
        return _error("InvalidParameterException", f"MaxResults must be between 1 and {MAX_RESULTS}")
    start = 0
    token = body.get("NextToken")
    if token:
        try:
            seen_what, start_text = base64.urlsafe_b64decode(token.encode()).decode().split("|", 1)
            start = int(start_text)
            if seen_what != what:
                raise ValueError(what)
        except (ValueError, UnicodeDecodeError):
            return _error("InvalidNextTokenException", "The NextToken is not valid for this request")
    chunk = items[start:start + limit]
    following = start + limit
    next_token = base64.urlsafe_b64encode(f"{what}|{following}".encode()).decode() if following < len(items) else None
    return chunk, next_token


def _service(body: dict[str, Any]) -> str | Response:
    code = body.get("ServiceCode")
    if not code:
        return _error("InvalidParameterException", "ServiceCode is required")
    if code not in catalogue():
        return _error("NotFoundException", f"The requested service {code} was not found")
    return str(code)


def describe_services(body: dict[str, Any]) -> Response:
    code = _service(body) if body.get("ServiceCode") else None
    if isinstance(code, Response):
        return code
    codes = [code] if code else sorted(catalogue())
    paged = _page(codes, body, "services")
    if isinstance(paged, Response):
        return paged
    chunk, token = paged
    out: dict[str, Any] = {"Services": [{"ServiceCode": c, "AttributeNames": _attribute_names(c)} for c in chunk],
                           "FormatVersion": FORMAT_VERSION}
    if token:
        out["NextToken"] = token
    return _ok(out)


def get_attribute_values(body: dict[str, Any]) -> Response:
    code = _service(body)
    if isinstance(code, Response):
        return code
    name = body.get("AttributeName")
    if not name:
        return _error("InvalidParameterException", "AttributeName is required")
    if name not in _attribute_names(code):
        return _error("NotFoundException", f"The requested attribute {name} was not found for {code}")
    values = sorted({v for p in catalogue()[code] if (v := _value_of(p, name))})
    paged = _page(values, body, f"values:{code}:{name}")
    if isinstance(paged, Response):
        return paged
    chunk, token = paged
    out: dict[str, Any] = {"AttributeValues": [{"Value": v} for v in chunk]}
    if token:
        out["NextToken"] = token
    return _ok(out)


def get_products(body: dict[str, Any]) -> Response:
    code = _service(body)
    if isinstance(code, Response):
        return code
    version = body.get("FormatVersion") or FORMAT_VERSION
    if version != FORMAT_VERSION:
        return _error("InvalidParameterException", f"FormatVersion must be {FORMAT_VERSION}")
    filters = body.get("Filters") or []
    for f in filters:
        if f.get("Type") not in FILTER_TYPES or not f.get("Field") or f.get("Value") is None:
            return _error("InvalidParameterException",
                          f"each filter needs Type (one of {', '.join(FILTER_TYPES)}), Field and Value")
    matched = [p for p in catalogue()[code] if _matches(p, filters)]
    paged = _page(matched, body, f"products:{code}:{json.dumps(filters, sort_keys=True)}")
    if isinstance(paged, Response):
        return paged
    chunk, token = paged
    out: dict[str, Any] = {"FormatVersion": FORMAT_VERSION, "PriceList": [json.dumps(p) for p in chunk]}
    if token:
        out["NextToken"] = token
    return _ok(out)


OPERATIONS = {"DescribeServices": describe_services, "GetAttributeValues": get_attribute_values,
              "GetProducts": get_products}


class PricingMiddleware:
    """Answers ``pricing`` calls; everything else goes on to moto."""

    def __call__(self, call: Any, forward: Callable[[], Response]) -> Response:  # server.Call, server.Forward
        target = call.request.headers.get("X-Amz-Target", "")
        if call.service != "pricing" or not target.startswith(TARGET_PREFIX):
            return forward()
        operation = OPERATIONS.get(target.removeprefix(TARGET_PREFIX))
        if operation is None:
            return _error("UnknownOperationException", f"the sandbox does not emulate {target}")
        try:
            body = json.loads(call.body or b"{}")
        except ValueError:
            return _error("SerializationException", "the request body is not JSON")
        if not isinstance(body, dict):
            return _error("SerializationException", "the request body is not a JSON object")
        return operation(body)
