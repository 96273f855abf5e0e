"""Operations that call AWS with boto3: verify, adopt, emulate and the demo.

`aws_access` reaches each planned account the way the program's providers do; the
others compare or apply the offline plan against what AWS holds.

May import: `session_manager.offline`, `session_manager.config`,
`session_manager.aws`, boto3 and moto (the emulator). Nothing from the package root.
"""
