"""The AWS Price List API in the sandbox, driven with the stock AWS CLI (``aws pricing ...``).

AWS pages (AWS Price List Query API reference):
* DescribeServices, https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_DescribeServices.html
  (``Services`` of ``ServiceCode`` and ``AttributeNames``, ``FormatVersion``);
* GetAttributeValues, https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetAttributeValues.html
  (``AttributeValues`` of ``{"Value"}``);
* GetProducts, https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_GetProducts.html
  (``PriceList``: each product a JSON string; Filters ``TERM_MATCH`` ... all of which must match;
  ``MaxResults`` up to 100 and ``NextToken``; errors InvalidParameterException, NotFoundException,
  InvalidNextTokenException);
* Filter, https://docs.aws.amazon.com/aws-cost-management/latest/APIReference/API_pricing_Filter.html
  (Type ``TERM_MATCH | EQUALS | CONTAINS | ANY_OF | NONE_OF``; ANY_OF/NONE_OF take comma-separated values).
"""

from __future__ import annotations

import json

from s3xrep_tui.core.price_list import read_price_list

REGION = ("--region", "us-east-1")


def test_describe_services_and_attribute_values(aws):
    services = aws("pricing", "describe-services", "--service-code", "AmazonS3", *REGION)
    assert services["FormatVersion"] == "aws_v1"
    (s3,) = services["Services"]
    assert s3["ServiceCode"] == "AmazonS3" and {"regionCode", "usagetype", "productFamily"} <= set(s3["AttributeNames"])
    every = aws("pricing", "describe-services", *REGION)
    assert {s["ServiceCode"] for s in every["Services"]} >= {"AmazonS3", "awskms", "AmazonAthena"}
    values = aws("pricing", "get-attribute-values", "--service-code", "AmazonS3", "--attribute-name", "regionCode",
                 *REGION)
    assert {"Value": "us-east-1"} in values["AttributeValues"]


def test_get_products_filters_and_each_item_is_a_json_string(aws):
    out = aws("pricing", "get-products", "--service-code", "AmazonS3", "--format-version", "aws_v1", *REGION,
              "--filters", "Type=TERM_MATCH,Field=regionCode,Value=us-east-1",
              "Type=TERM_MATCH,Field=usagetype,Value=Requests-Tier1")
    assert out["FormatVersion"] == "aws_v1"
    (item,) = out["PriceList"]
    assert isinstance(item, str)
    product = json.loads(item)
    assert product["product"]["attributes"]["usagetype"] == "Requests-Tier1"
    assert product["product"]["attributes"]["regionCode"] == "us-east-1"
    (term,) = product["terms"]["OnDemand"].values()
    (dimension,) = term["priceDimensions"].values()
    assert dimension["unit"] == "Requests" and float(dimension["pricePerUnit"]["USD"]) == 0.000005
    assert read_price_list(out["PriceList"], "AmazonS3")[0] == {"put.STANDARD": 0.005, "put.REDUCED_REDUNDANCY": 0.005}


def test_any_of_contains_and_inter_region_transfer(aws):
    filters = [{"Type": "TERM_MATCH", "Field": "regionCode", "Value": "us-east-1"},
               {"Type": "ANY_OF", "Field": "usagetype", "Value": "TimedStorage-ByteHrs,TimedStorage-SIA-ByteHrs"}]
    out = aws("pricing", "get-products", "--service-code", "AmazonS3", *REGION, "--filters", json.dumps(filters))
    assert sorted(json.loads(i)["product"]["attributes"]["usagetype"] for i in out["PriceList"]) == [
        "TimedStorage-ByteHrs", "TimedStorage-SIA-ByteHrs"]
    moves = aws("pricing", "get-products", "--service-code", "AmazonS3", *REGION, "--filters",
                "Type=TERM_MATCH,Field=fromRegionCode,Value=us-east-1",
                "Type=CONTAINS,Field=usagetype,Value=AWS-Out-Bytes")
    _, transfer = read_price_list(moves["PriceList"], "AmazonS3")
    assert transfer and "us-east-1" not in transfer and all(v == 0.02 for v in transfer.values())


def test_paging_with_max_results_and_next_token(aws):
    first = aws("pricing", "get-products", "--service-code", "AmazonS3", *REGION, "--no-paginate",
                "--max-results", "2", "--filters", "Type=TERM_MATCH,Field=regionCode,Value=us-east-1")
    assert len(first["PriceList"]) == 2 and first["NextToken"]
    every = aws("pricing", "get-products", "--service-code", "AmazonS3", *REGION,
                "--filters", "Type=TERM_MATCH,Field=regionCode,Value=us-east-1")  # the CLI follows every page
    assert "NextToken" not in every and len(every["PriceList"]) > 2
    assert first["PriceList"] == every["PriceList"][:2]


def test_errors_name_the_problem(aws):
    assert aws.fails("pricing", "get-products", "--service-code", "AmazonNothing", *REGION).code == "NotFoundException"
    bad = aws.fails("pricing", "get-products", "--service-code", "AmazonS3", *REGION,
                    "--filters", "Type=BOGUS,Field=regionCode,Value=us-east-1")
    assert bad.code == "InvalidParameterException"
    token = aws.fails("pricing", "get-products", "--service-code", "AmazonS3", *REGION, "--no-paginate",
                      "--next-token", "not-a-token")
    assert token.code == "InvalidNextTokenException"
