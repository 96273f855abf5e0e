"""AWS's own rules and the pure builders.

Partitions, Regions and names; the Session document renderer and its checks; the
IAM, KMS and S3 policy builders; the project's resource defaults. Everything here is
a pure function or a constant that returns plain dicts and strings.

May import: the standard library and PyYAML (YAML documents). Nothing else from this
package, and nothing from pulumi, boto3 or pydantic, so every rule can be tested
directly and reused anywhere. `regions` reads the partitions data file that botocore
ships, as data, without importing botocore.
"""
