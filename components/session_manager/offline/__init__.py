"""The offline plan: the real program under Pulumi's mock runtime, with no AWS and no CLI.

`mocks` answers registrations the way AWS would; `plan` runs `__main__.py` and
records every resource; `load` is how the commands ask for a stack's plan.

May import: `session_manager.config`, `session_manager.aws` and pulumi. Nothing that
calls AWS (that is `ops`), nothing from the package root.
"""
