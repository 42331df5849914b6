"""An offline Fargate: the environment read back from the emulator, run with Docker as ECS would.

`run.run_environment` is the entry point the rehearsal calls after its apply.
"""
