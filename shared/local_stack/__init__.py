"""The local stack: the whole platform on one machine, with no AWS account.

- `aws`: moto's server inside this process (`start_embedded_aws`) and the resources of infra/template.yaml
  created on it with CloudFormation (`provision`), the same template AWS gets;
- `server`: the Chalice app served over HTTP (Chalice's local server);
- `workers`: what AWS would run on events: SQS queue consumers (partial batch responses honoured) and handlers
  of uploads to the batches bucket (S3 event notifications emulated by polling).

`referral211 up` (shared/commands/local_stack.py) puts them together.
"""
