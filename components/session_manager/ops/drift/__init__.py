"""What AWS holds against what the plan wants, one module per resource family.

`result` holds the report's records; `compare` the generic, plan-driven field
comparison and the key resolver; `iam`, `kms`, `logs`, `s3`, `ssm` and `ec2` each
read one family's resources back and compare them (`events` with `cloudtrail`,
the trail accountEvents needs); `registry` maps every
resource type to its check. A new resource type needs one function in its
family's module and one line in that module's `CHECKS`.
"""
