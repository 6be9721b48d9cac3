"""Pure domain logic: models, document builders, merges, preflight and the plan.

Nothing here imports boto3, botocore, moto or Textual, and nothing does I/O.
"""
