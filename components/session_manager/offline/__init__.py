"""The offline plan: the real program under Pulumi's mock runtime, with no AWS and no CLI.

`mocks` answers registrations the way AWS would; `plan` runs `__main__.py` and
records every resource, with the engine's URNs (`urns`); `render` prints it, marking
what the mocks made up (`invented`); `preview` plans as a first `pulumi preview`
sees the stack; `diff` compares two plans; `load` is how the commands ask for a
stack's plan.

May import: `session_manager.config`, `session_manager.aws` and pulumi. Nothing that
calls AWS (that is `ops`), nothing from the package root.
"""
