"""An offline IAM policy evaluator over the synthesized stacks.

`evaluate` decides one request from policy documents (pure); `references` turns Terraform
references into example ARNs; `documents` loads every identity, resource and key policy from the
stacks; `managed` holds the few AWS-owned policies they rely on; `tables` says what each role,
service and team must (not) be able to do; `python -m netflux_infra_testing.policy ENV` prints it.
"""
