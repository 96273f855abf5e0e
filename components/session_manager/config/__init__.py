"""Stack config: the pydantic models for `Pulumi.<stack>.yaml`, their errors, and loading.

One module per subject: `errors` and `fields` (shared validators) at the bottom; the
models for `preferences`, the optional `resources`, `organization` targets,
`documents` and `people`'s policies above them; `stack` (StackConfig) on top of those;
`loading` (from the Pulumi engine), `reference` (docs/configuration-reference.md) and `targets` (the
account-Regions a stack manages) on top of `stack`.

May import: `session_manager.aws`, pydantic, pulumi (ConfigError is a
`pulumi.RunError`, so Pulumi prints it without a traceback) and cedarpy (`cedar`: Cedar's
own engine for just-in-time access policies). Nothing above config.
"""
